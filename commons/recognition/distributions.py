"""Distributions (issue 20): sharing an amount of the project's funds among
people by the value rule for a month. Opening one computes every share
(``preview``); the figures are fixed in the proposal's details, so people
consent to exactly what will be owed. Passing it appends one
``distribution`` journal entry whose fold makes one approved claim per
share with an amount; the treasurer's payout flow then pays them, and the
month is closed."""

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.governance import rules as governance_rules
from commons.governance.models import AffectedParty, Proposal
from commons.ledger import fund_rules, funds
from commons.ledger import rules as ledger_rules
from commons.ledger.journal import append_entry, hold_journal
from commons.ledger.models import Claim, Fund, LedgerEntry
from commons.ledger.rules import RuleError
from commons.problems import Conflict, Invalid
from commons.projects.models import Project
from commons.recognition import distribution_rules, periods, queries
from commons.recognition.models import ClosedPeriod
from commons.recognition.rules import rule_on

KIND = "distribution"
_PERIOD = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class Share:
    """One person's part: their recognition in the period and their amount."""

    user: User
    recognition: Decimal
    hours: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Preview:
    """A distribution as it would be proposed now."""

    period: str
    amount: Decimal
    currency: str
    rule_version: int
    available: Decimal
    shares: list[Share]

    @property
    def total_recognition(self) -> Decimal:
        return sum((share.recognition for share in self.shares), Decimal(0))

    def details(self) -> dict:
        """What the proposal keeps: every figure as exact text."""
        return {"period": self.period, "amount": ledger_rules.text(self.amount),
                "currency": self.currency, "rule_version": self.rule_version,
                "total_recognition": _plain(self.total_recognition),
                "shares": [{"user": share.user.username,
                            "recognition": _plain(share.recognition),
                            "hours": _plain(share.hours),
                            "amount": ledger_rules.text(share.amount)}
                           for share in self.shares]}


def _plain(value: Decimal) -> str:
    """A recognition or hours exactly, without trailing zeros ("6", "4.5")."""
    return ledger_rules.text(value.normalize()) if value else "0"


def period_bounds(period: object, today: date) -> tuple[str, date, date]:
    """("YYYY-MM", its first day, the first day of the next month) of a
    month that has begun; Invalid otherwise."""
    text = str(period or "").strip()
    match = _PERIOD.fullmatch(text)
    if match is None:
        raise Invalid("The period is a month written YYYY-MM, such as 2026-11.", field="period")
    year, month = int(match.group(1)), int(match.group(2))
    start = date(year, month, 1)
    end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    if start > today:
        raise Invalid(f"{text} has not begun; share out a month whose work is done.",
                      field="period")
    return text, start, end


def available_to_share(session: Session, project: Project, currency: str,
                       excluding: int | None = None) -> Decimal:
    """The funds in *currency* less the claims approved and not yet paid and
    what open distribution proposals (other than proposal id *excluding*)
    would share."""
    fund = session.get(Fund, (project.id, currency))
    balance = fund.balance if fund is not None else fund_rules.zero(currency)
    owed = sum(session.scalars(sa.select(Claim.amount).where(
        Claim.project_id == project.id, Claim.currency == currency,
        Claim.status == fund_rules.APPROVED)), Decimal(0))
    reserved = sum((Decimal(proposal.details["amount"])
                    for proposal in open_distributions(session, project, excluding)
                    if proposal.details.get("currency") == currency), Decimal(0))
    return distribution_rules.available(balance, owed, reserved)


def open_distributions(session: Session, project: Project,
                       excluding: int | None = None) -> list[Proposal]:
    """Distribution proposals not decided yet (open or blocked)."""
    statement = sa.select(Proposal).where(
        Proposal.project_id == project.id, Proposal.kind == KIND,
        Proposal.status.in_([governance_rules.OPEN, governance_rules.BLOCKED]))
    if excluding is not None:
        statement = statement.where(Proposal.id != excluding)
    return list(session.scalars(statement.order_by(Proposal.number)))


def preview(session: Session, project: Project, period: object, amount: object,
            currency: object, now: datetime) -> Preview:
    """Each person's amount if *amount* *currency* were shared by the rule
    for *period* now. Invalid (with the field to fix) when the month is
    not a begun, open month (Conflict: another open proposal shares it), the amount is not money in that currency or
    is above what is available, or nobody has recognition."""
    name, start, end = period_bounds(period, now.date())
    code = str(currency or "").strip().upper()
    try:
        total = ledger_rules.money(amount, code, "Amount", "amount")
    except RuleError as error:
        raise Invalid(str(error), field=error.field or "amount") from None
    if session.get(ClosedPeriod, (project.id, name)) is not None:
        raise Invalid(f"{name} was shared out already (its period is closed); choose another "
                      "month.", field="period")
    if (other := get_open_distribution_for(session, project, name)) is not None:
        raise Conflict(f"Proposal #{other.number} already proposes to share out {name}; take "
                       "a stance there, or wait for it to close.", field="period")
    free = available_to_share(session, project, code)
    if refusal := distribution_rules.amount_refusal(total, code, free):
        raise Invalid(refusal, field="amount")
    people = {person.user_id: person
              for person in queries.recognition_for(session, project, start, end)}
    try:
        parts = distribution_rules.shares(
            total, {user_id: person.recognition for user_id, person in people.items()},
            ledger_rules.currencies()[code])
    except distribution_rules.DistributionRefused as refused:
        raise Invalid(f"{refused} ({name})", field="period") from None
    users = {user.id: user for user in session.scalars(
        sa.select(User).where(User.id.in_(list(parts))))}
    shares = [Share(users[user_id], people[user_id].recognition,
                    people[user_id].confirmed_hours, part)
              for user_id, part in parts.items() if user_id in users]
    shares.sort(key=lambda share: (-share.amount, share.user.username))
    # The version in force on the period's last day: work done earlier in
    # it may count by an older one (each day's work by its day's rule, as
    # the arithmetic lines say).
    last_day = date.fromordinal(min(end.toordinal() - 1, now.date().toordinal()))
    version = rule_on(queries.rule_versions(session, project), last_day).version
    return Preview(name, total, code, version, free, shares)


def member_parties(project: Project) -> list[AffectedParty]:
    """Every member is a party: the money shared is the whole project's."""
    return [AffectedParty(user_id=m.user.id, name=m.user.username,
                          email=m.user.primary_email or f"{m.user.username}@users.commons.invalid",
                          reason="a member: the project's funds are shared", weight=1)
            for m in project.memberships if m.status == "member"]


def carry_out(session: Session, project: Project, proposal: Proposal,
              now: datetime) -> LedgerEntry:
    """Append the passed distribution's entry (under the journal head), fold
    its shares into approved claims and close its month. Conflict if the
    funds no longer cover it (claims approved or paid meanwhile) or the
    month was shared out already."""
    details = proposal.details
    held = hold_journal(session, project)
    amount, currency = Decimal(details["amount"]), details["currency"]
    free = available_to_share(session, project, currency, excluding=proposal.id)
    if amount > free:
        raise Conflict(f"The funds no longer cover this distribution: "
                       f"{ledger_rules.shown(max(free, Decimal(0)), currency)} {currency} is "
                       f"available to share, not {ledger_rules.shown(amount, currency)}. "
                       "Nothing was shared; record the money received and propose it again.")
    if session.get(ClosedPeriod, (project.id, details["period"])) is not None:
        raise Conflict(f"{details['period']} was shared out already; nothing was shared.")
    data = {"proposal": proposal.number, "period": details["period"],
            "amount": details["amount"], "currency": currency,
            "rule_version": details["rule_version"],
            "shares": [{"user": share["user"], "recognition": share["recognition"],
                        "amount": share["amount"]} for share in details["shares"]]}
    entry = append_entry(session, project, held, None, KIND, data, now)
    balances = ledger_rules.Balances()
    ledger_rules.apply(balances, entry.seq, KIND, data)
    users = {user.username: user for user in session.scalars(
        sa.select(User).where(User.username.in_([s["user"] for s in data["shares"]])))}
    for (seq, share), folded in sorted(balances.claims.items()):
        session.add(Claim(project_id=project.id, seq=seq, share=share, input_id=None,
                          distribution_seq=entry.seq, claimant=users.get(folded.claimant),
                          amount=folded.amount, currency=folded.currency,
                          description=f"Share of the distribution for {details['period']} "
                                      f"(proposal #{proposal.number})",
                          status=folded.status, created_at=now))
    periods.close(session, project.id, details["period"], entry.seq, now)
    session.flush()
    return entry


@dataclass(frozen=True)
class Distribution:
    """A distribution as its list shows it: the proposal, and once passed
    its entry and the claims (with their payouts) it made."""

    proposal: Proposal
    entry_seq: int | None
    claims: dict[str, Claim]


def list_distributions(session: Session, project: Project) -> list[Distribution]:
    """Every distribution proposal of the project, newest first, with the
    claims of the passed ones by username."""
    proposals = list(session.scalars(sa.select(Proposal).where(
        Proposal.project_id == project.id, Proposal.kind == KIND)
        .order_by(Proposal.number.desc()).limit(200)))
    entries: dict[int, int] = {}
    for seq, payload in session.execute(sa.select(LedgerEntry.seq, LedgerEntry.payload).where(
            LedgerEntry.project_id == project.id, LedgerEntry.action == KIND)):
        entries[json.loads(payload)["data"]["proposal"]] = seq
    claims: dict[int, dict[str, Claim]] = {}
    if entries:
        for claim in session.scalars(sa.select(Claim).where(
                Claim.project_id == project.id,
                Claim.distribution_seq.in_(list(entries.values())))):
            name = claim.claimant.username if claim.claimant else ""
            claims.setdefault(claim.seq, {})[name] = claim
    return [Distribution(proposal, entries.get(proposal.number),
                         claims.get(entries.get(proposal.number, 0), {}))
            for proposal in proposals]


def get_open_distribution_for(session: Session, project: Project,
                              period: str) -> Proposal | None:
    """The undecided distribution proposal for *period*, if any."""
    return next((proposal for proposal in open_distributions(session, project)
                 if proposal.details.get("period") == period), None)


def funds_overview(session: Session, project: Project) -> list[tuple[str, Decimal]]:
    """(currency, available to share) for each currency the project holds."""
    return [(fund.currency, available_to_share(session, project, fund.currency))
            for fund in funds.project_funds(session, project)]
