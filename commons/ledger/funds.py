"""A project's funds per currency and its expense claims as stored: loading
them into the fold's plain balances and storing them back (so the same
``rules.apply`` that rebuilds them from the journal keeps them), what pages
read, and the comparison ``ledger verify`` makes."""

from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from commons import paging
from commons.accounts.models import User
from commons.ledger import fund_rules, rules
from commons.ledger.models import Claim, Fund, Input
from commons.problems import NotFound
from commons.projects.models import Project


def load_fund(session: Session, project: Project, balances: rules.Balances,
              currency: str) -> None:
    """Put the stored fund in *currency* (if any) into *balances*."""
    fund = session.get(Fund, (project.id, currency))
    if fund is not None:
        balances.funds[currency] = fund_rules.FundBalance(currency, fund.received, fund.paid)


def store_funds(session: Session, project: Project, balances: rules.Balances) -> None:
    """Write the funds in *balances* back to their rows (new ones added)."""
    for currency, folded in balances.funds.items():
        fund = session.get(Fund, (project.id, currency))
        if fund is None:
            fund = Fund(project_id=project.id, currency=currency)
            session.add(fund)
        fund.received, fund.paid = folded.received, folded.paid


def project_funds(session: Session, project: Project) -> list[Fund]:
    """The project's funds, one row per currency it ever received."""
    return list(session.scalars(sa.select(Fund).where(Fund.project_id == project.id)
                                .order_by(Fund.currency)))


def get_claim(session: Session, project: Project, seq: int, share: int = 0) -> Claim:
    """Claim *seq* (an expense claim), or share *share* of distribution entry *seq*."""
    claim = session.scalar(sa.select(Claim).where(Claim.project_id == project.id,
                                                  Claim.seq == seq, Claim.share == share)
                           .options(selectinload(Claim.input), selectinload(Claim.claimant))) \
        if 0 < seq <= 2**31 - 1 and 0 <= share <= 2**31 - 1 else None
    if claim is None:
        name = f"share {share} of distribution entry #{seq}" if share else \
            f"expense claim #{seq}"
        raise NotFound(f"{project.name} has no {name}.")
    return claim


CLAIMS_PER_PAGE = 100
# The cursor: (entry seq, share) of the last claim on the page before (a
# link to one claim starts before its share: share - 1, so -1 at least).
CLAIM_CURSOR = (int, int)


def claim_cursor(cursor: str) -> tuple[int, int]:
    """The key a claims cursor holds; a BadCursor (400) unless it is one
    this list gives out (a seq and a share the columns can hold)."""
    seq, share = paging.decode(cursor, CLAIM_CURSOR)
    if not (0 <= seq <= 2**31 - 1 and -1 <= share <= 2**31 - 1):
        raise paging.not_given_out()
    return seq, share


def list_claims(session: Session, project: Project, *, input_id: int | None = None,
                status: str | None = None, after: tuple[int, int] | None = None,
                limit: int | None = None) -> tuple[list[Claim], tuple[int, int] | None]:
    """A page of the project's claims (of one input, or in one status),
    newest entry first, a distribution's shares in their order, starting
    after the key *after*; with the key to start the next page from, or
    None on the last page. A distribution to 2,000 people is 2,000 claims
    in one entry: they page like any others. *limit* defaults to
    CLAIMS_PER_PAGE."""
    limit = limit or CLAIMS_PER_PAGE
    statement = sa.select(Claim).where(Claim.project_id == project.id)
    if input_id is not None:
        statement = statement.where(Claim.input_id == input_id)
    if status is not None:
        statement = statement.where(Claim.status == status)
    if after is not None:
        seq, share = after
        statement = statement.where(sa.or_(Claim.seq < seq,
                                           sa.and_(Claim.seq == seq, Claim.share > share)))
    found = list(session.scalars(statement.order_by(Claim.seq.desc(), Claim.share)
                                 .limit(limit + 1)
                                 .options(selectinload(Claim.input),
                                          selectinload(Claim.claimant))))
    if len(found) <= limit:
        return found, None
    last = found[limit - 1]
    return found[:limit], (last.seq, last.share)


def claimed_for(session: Session, need_id: int) -> Decimal:
    """What all claims on an input ask for, together, refused ones left
    out (exact: summed here, the column is text)."""
    return sum((amount for amount in session.scalars(
        sa.select(Claim.amount).where(Claim.input_id == need_id,
                                      Claim.status != fund_rules.REFUSED))), Decimal(0))


def owed_to_shares(session: Session, project: Project, currency: str) -> Decimal:
    """What passed distributions owe their shares in *currency* and have
    not paid yet: money the members shared out, which no expense spends."""
    return sum(session.scalars(sa.select(Claim.amount).where(
        Claim.project_id == project.id, Claim.currency == currency, Claim.share > 0,
        Claim.status == fund_rules.APPROVED)), fund_rules.zero(currency))


def is_treasurer(project: Project, user: User | None) -> bool:
    membership = project.membership_of(user)
    return membership is not None and membership.status == "member" and membership.treasurer


def treasurers(project: Project) -> list[User]:
    return [m.user for m in project.memberships if m.status == "member" and m.treasurer]


def owed_and_paid(session: Session, user: User) -> list[dict]:
    """Per project, what it owes *user* (claims approved, not yet paid),
    what awaits approval, and what it paid them, each per currency."""
    found: dict[int, dict] = {}
    for claim, project in session.execute(
            sa.select(Claim, Project).join(Project, Project.id == Claim.project_id)
            .where(Claim.claimant_id == user.id).order_by(Project.slug)):
        row = found.setdefault(project.id, {"project": project, "owed": defaultdict(Decimal),
                                            "pending": defaultdict(Decimal),
                                            "paid": defaultdict(Decimal)})
        key = {"approved": "owed", "pending": "pending", "paid": "paid"}.get(claim.status)
        if key is not None:  # a refused claim is neither owed nor paid
            row[key][claim.currency] += claim.amount
    return list(found.values())


def stored(session: Session, project: Project, balances: rules.Balances) -> None:
    """The stored funds and claims, into *balances* (``stored_balances``)."""
    for fund in project_funds(session, project):
        balances.funds[fund.currency] = fund_rules.FundBalance(fund.currency, fund.received,
                                                               fund.paid)
    for claim, number, username in session.execute(_claims_read(project)):
        balances.claims[claim.seq, claim.share] = _claim_balance(claim, number, username)


def compare(session: Session, project: Project, rebuilt: rules.Balances
            ) -> tuple[int, str] | None:
    """The first stored fund or claim that is not what the journal gives,
    or funds the journal would take below zero."""
    for currency, fund in sorted(rebuilt.funds.items()):
        if fund.balance < 0:
            last = max((c.paid_seq or 0 for c in rebuilt.claims.values()
                        if c.currency == currency), default=0)
            return last, f"the journal pays out more {currency} than the project received"
    funds = {fund.currency: (fund.received, fund.paid)
             for fund in project_funds(session, project)}
    for currency in sorted(set(funds) | set(rebuilt.funds)):
        want = rebuilt.funds.get(currency)
        if want is None or funds.get(currency) != (want.received, want.paid):
            last = max((c.seq for c in rebuilt.claims.values()), default=0)
            return last, f"the stored funds in {currency} differ from the ones the journal gives"
    stored_claims = {}
    for claim, number, username in session.execute(_claims_read(project)):
        balance = _claim_balance(claim, number, username)
        # The status column must say what the folded fields give (a claim
        # marked paid without its payout entry is not paid).
        stored_claims[claim.seq, claim.share] = balance if claim.status == balance.status \
            else None
    for seq, share in sorted(set(stored_claims) | set(rebuilt.claims)):
        if stored_claims.get((seq, share)) != rebuilt.claims.get((seq, share)):
            if share:
                return seq, (f"the stored claim of share {share} of distribution #{seq} "
                             "differs from the journal")
            return seq, f"the stored expense claim #{seq} differs from the journal"
    return None


def _claims_read(project: Project):
    return (sa.select(Claim, Input.number, User.username)
            .outerjoin(Input, Input.id == Claim.input_id)
            .outerjoin(User, User.id == Claim.claimant_id)
            .where(Claim.project_id == project.id))


def _claim_balance(claim: Claim, number: int | None, username: str | None
                   ) -> fund_rules.ClaimBalance:
    return fund_rules.ClaimBalance(seq=claim.seq, input=number, claimant=username or "",
                                   amount=claim.amount, currency=claim.currency,
                                   approved=claim.status in (fund_rules.APPROVED,
                                                             fund_rules.PAID),
                                   paid_seq=claim.paid_seq, share=claim.share,
                                   refused=claim.status == fund_rules.REFUSED)
