"""A project's funds, expense claims and payouts, as plain values: what
money came in per currency, what a member may claim for an input they paid
for, and what a treasurer may pay out. Currencies never mix; amounts are
exact decimals. Pure rules; no Flask, no database.

Funds are credited by any receipt against an input whose unit is a
currency, whoever or whatever the source (a donor, a grant, a pool's
allocation recorded as a receipt): ``credit`` is the one place money in
is counted. A payout debits the claim's currency."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from commons.ledger.quantity_rules import EXACT, cost, shown
from commons.money import currencies

CLAIM_ACTIONS = ("claim", "claim_approve", "payout", "distribution",
                 "claim_refuse")

# A claim's key in the fold: (its entry's seq, its share in a distribution
# entry, 0 for an expense claim).
ClaimKey = tuple[int, int]
PAYOUT_METHODS = ("bank transfer", "cash", "card", "cheque", "online payment", "other")

PENDING, APPROVED, PAID, REFUSED = "pending", "approved", "paid", "refused"
# Why a claim is refused (a ``claim_refuse`` entry's reason): its proposal
# was decided without passing, withdrawn by its author, or the claimant
# withdrew the claim itself.
REFUSAL_REASONS = ("refused", "withdrawn", "withdrawn by the claimant")


@dataclass
class FundBalance:
    """One currency's money in (receipts) and out (payouts)."""

    currency: str
    received: Decimal
    paid: Decimal

    @property
    def balance(self) -> Decimal:
        return EXACT.subtract(self.received, self.paid)


@dataclass
class ClaimBalance:
    """An expense claim, or a distribution's share, and, once paid, its
    payout."""

    seq: int
    input: int | None
    claimant: str
    amount: Decimal
    currency: str
    approved: bool
    paid_seq: int | None = None
    share: int = 0
    refused: bool = False

    @property
    def status(self) -> str:
        return claim_status(self.approved, self.paid_seq is not None, self.refused)


def zero(currency: str) -> Decimal:
    """0 with *currency*'s minor units ("0.00" EUR, "0" JPY)."""
    return Decimal(0).scaleb(-currencies()[currency])


def claim_status(approved: bool, paid: bool, refused: bool = False) -> str:
    """pending (the members decide), approved (owed), paid, or refused
    (its proposal did not pass, or it was withdrawn: never paid, and no
    longer counted against what may be claimed)."""
    if paid:
        return PAID
    if refused:
        return REFUSED
    return APPROVED if approved else PENDING


def withdrawal_refusal(seq: int, status: str) -> str | None:
    """Why claim #*seq* cannot be withdrawn by its claimant, or None: only
    a claim not paid yet and not refused already is withdrawn."""
    if status == PAID:
        return f"Claim #{seq} is paid already; a paid claim stays in the record."
    if status == REFUSED:
        return f"Claim #{seq} is refused or withdrawn already."
    return None


def credit(funds: dict[str, FundBalance], currency: str, amount: Decimal) -> None:
    """Money in: *amount* (signed, for corrections) of *currency*."""
    fund = funds.get(currency)
    if fund is None:  # not setdefault: its two zeros cost every receipt of money
        fund = funds[currency] = FundBalance(currency, zero(currency), zero(currency))
    fund.received = EXACT.add(fund.received, amount)


def priced_in(unit: str, unit_cost: Decimal | None, currency: str | None) -> str | None:
    """The currency a claim on an input is in: the one its unit cost is
    estimated in. None for money given to the project (its unit is a
    currency: that is funds, not an expense) and for an input with no
    price."""
    if unit in currencies() or unit_cost is None or not currency:
        return None
    return currency


def claimable(received: Decimal, unit_cost: Decimal, currency: str,
              claimed: Decimal) -> Decimal:
    """What may still be claimed for an input: the cost of what arrived,
    less what earlier claims asked for. Never negative."""
    left = EXACT.subtract(cost(received, unit_cost, currency), claimed)
    return max(left, zero(currency))


def claim_refusal(number: int, title: str, approved: bool, input_currency: str | None,
                  is_money: bool, claim_currency: str, amount: Decimal,
                  still_claimable: Decimal) -> str | None:
    """Why a claim of *amount* *claim_currency* on input #*number* is
    refused, or None. The input must be approved and priced, the claim in
    its currency and no more than what arrived is worth less what was
    claimed already."""
    name = f"Input #{number} ({title})"
    if not approved:
        return (f"{name} is not approved yet; an expense is claimed only for an input the "
                "project agreed to. Claim once its input proposal passes.")
    if is_money:
        return (f"{name} is money given to the project, not something bought; claim against "
                "the input you paid for.")
    if input_currency is None:
        return (f"{name} has no estimated cost, so nothing can be claimed for it. Correct its "
                "unit cost first.")
    if claim_currency != input_currency:
        return (f"{name} is priced in {input_currency}; claim in {input_currency} (currencies "
                "are never mixed or converted).")
    if amount > still_claimable:
        return (f"{name}: what arrived is worth {shown(still_claimable, claim_currency)} "
                f"{claim_currency} not claimed yet; claim at most that, or record the "
                "receipt of what you bought first.")
    return None


def payout_refusal(seq: int | str, status: str, amount: Decimal, currency: str,
                   available: Decimal, set_aside: Decimal | None = None) -> str | None:
    """Why claim #*seq* cannot be paid now, or None. Never twice, never
    before it is approved, never above the funds in its currency, and, for
    an expense, never out of *set_aside*: what a passed distribution owes
    its shares and has not paid yet. The members shared that money out by
    a decision (sized against the expenses owed then), so an expense
    approved later waits for new money rather than spend it."""
    if status == PAID:
        return f"Claim #{seq} is paid already; a claim is paid once."
    if status == PENDING:
        return (f"Claim #{seq} awaits the members' approval (its proposal); pay it once it "
                "passes.")
    if status == REFUSED:
        return (f"Claim #{seq} was refused or withdrawn; it is not paid. The claimant may "
                "claim again.")
    if amount > available:
        return (f"Claim #{seq} asks {shown(amount, currency)} {currency}, but the project "
                f"holds {shown(available, currency)} {currency}; record the money received "
                "first. Nothing was paid.")
    if set_aside and amount > EXACT.subtract(available, set_aside):
        free = max(EXACT.subtract(available, set_aside), zero(currency))
        return (f"Claim #{seq} asks {shown(amount, currency)} {currency}, but of the "
                f"{shown(available, currency)} {currency} the project holds, "
                f"{shown(set_aside, currency)} {currency} is owed to distribution shares not "
                f"paid yet and only {shown(free, currency)} {currency} is free; pay the shares "
                "or record more money received first. Nothing was paid.")
    return None


def claim_key(data: dict[str, Any]) -> ClaimKey:
    """The claim an approval or payout entry names."""
    return data["claim"], data.get("share", 0)


def apply_claim(funds: dict[str, FundBalance], claims: dict[ClaimKey, ClaimBalance], seq: int,
                action: str, data: dict[str, Any]) -> None:
    """Fold a claim, its approval, its refusal, its payout, or a
    distribution (one approved claim per share with an amount) into
    *funds* and *claims*."""
    if action == "claim":
        claims[seq, 0] = ClaimBalance(seq=seq, input=data["input"], claimant=data["claimant"],
                                      amount=Decimal(data["amount"]), currency=data["currency"],
                                      approved=data["approval"] == APPROVED)
    elif action == "claim_approve":
        claims[claim_key(data)].approved = True
    elif action == "claim_refuse":  # no longer owed, whether it was approved or not
        claim = claims[claim_key(data)]
        claim.approved, claim.refused = False, True
    elif action == "payout":
        claim = claims[claim_key(data)]
        claim.paid_seq = seq
        amount = Decimal(data["amount"])
        fund = funds.setdefault(claim.currency, FundBalance(
            claim.currency, zero(claim.currency), zero(claim.currency)))
        fund.paid = EXACT.add(fund.paid, amount)
    elif action == "distribution":
        for place, share in enumerate(data["shares"], start=1):
            amount = Decimal(share["amount"])
            if amount > 0:  # a share rounded to nothing owes nothing
                claims[seq, place] = ClaimBalance(
                    seq=seq, input=None, claimant=share["user"], amount=amount,
                    currency=data["currency"], approved=True, share=place)
    else:
        raise ValueError(f"unknown claim action {action!r}")
