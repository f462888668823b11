"""Ledger use cases: record needs, pledges, receipts, consumption, work and
corrections as journal entries; read balances; verify the chain.

Every writing use case takes the project's journal head first (one row
lock; on SQLite the write lock), then reads what it checks, appends one
entry chained to the head, and folds the entry into the stored balances
with the same ``rules.apply`` that rebuilds them. Session first; these
flush, never commit."""

import gc
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from commons.accounts.models import User
from commons.ledger import rules
from commons.ledger.models import (
    EvidenceFile,
    Input,
    LedgerEntry,
    LedgerHead,
    Pledge,
    WorkLog,
)
from commons.ledger.rules import RuleError
from commons.money import currencies
from commons.problems import Conflict, Forbidden, Invalid, NotFound
from commons.projects.models import Project
from commons.signals import (
    entry_appended,
    input_changed,
    input_closed,
    input_pending,
    input_supplied,
)
from commons.text import TextError, clean_text


MAX_NUMBER = 2**31 - 1  # numbers and seqs are 32-bit integers in the database

_COMMIT = re.compile(r"[0-9a-f]{7,40}")
_URL = re.compile(r"https?://[^\s<>\"]{1,2000}")


@dataclass(frozen=True)
class Evidence:
    """A file stored content-addressed (see ``evidence.store``)."""

    sha256: str
    size: int
    name: str
    type: str


# ---------------------------------------------------------------- reading

def get_input(session: Session, project: Project, number: int) -> Input:
    if not 0 < number <= MAX_NUMBER:
        raise NotFound(f"{project.name} has no input #{number}.")
    need = session.scalar(sa.select(Input).where(Input.project_id == project.id,
                                                 Input.number == number)
                          .options(selectinload(Input.pledges).selectinload(Pledge.pledger)))
    if need is None:
        raise NotFound(f"{project.name} has no input #{number}.")
    return need


def open_clause():
    """``rules.is_open`` as SQL, for lists that filter before they load:
    not closed, and something still needed. An open input's status is
    pending or approved (covered and fulfilled ones need nothing more), so
    the indexed status narrows the rows first; still needed is stored as
    exact text, so it is compared as a number. A test checks the SQL and
    the rule agree."""
    return sa.and_(Input.status.in_(("pending", "approved")), Input.closed.is_(False),
                   sa.cast(Input.still_needed, sa.Numeric) > 0)


def list_inputs(session: Session, project: Project, *, after: int | None = None,
                limit: int | None = None, open_only: bool = False,
                not_closed: bool = False) -> list[Input]:
    """Inputs by number, *limit* at a time after the number *after*: all,
    the open ones (``rules.is_open``), or those not closed."""
    statement = sa.select(Input).where(Input.project_id == project.id)
    if after is not None:
        statement = statement.where(Input.number > after)
    if open_only:
        statement = statement.where(open_clause())
    if not_closed:
        statement = statement.where(Input.closed.is_(False))
    statement = statement.order_by(Input.number)
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.scalars(statement))


def count_inputs(session: Session, project: Project, not_closed: bool = False) -> int:
    statement = sa.select(sa.func.count()).select_from(Input).where(
        Input.project_id == project.id)
    if not_closed:
        statement = statement.where(Input.closed.is_(False))
    return session.scalar(statement) or 0


def head(session: Session, project: Project) -> tuple[int, str]:
    """The journal's last (seq, hash); (0, GENESIS) before the first entry."""
    row = session.get(LedgerHead, project.id)
    return (row.seq, row.hash) if row else (0, rules.GENESIS)


def journal(session: Session, project: Project, *, before: int | None = None,
            input_number: int | None = None, limit: int = 50) -> list[LedgerEntry]:
    """Entries newest first, *limit* at a time from *before* (a seq): a
    cursor, so page 20,000 costs what page 1 costs."""
    statement = sa.select(LedgerEntry).where(LedgerEntry.project_id == project.id)
    if input_number is not None:
        statement = statement.where(LedgerEntry.input_number == input_number)
    if before is not None:
        statement = statement.where(LedgerEntry.seq < before)
    statement = statement.order_by(LedgerEntry.seq.desc()).limit(limit)
    return list(session.scalars(statement.options(selectinload(LedgerEntry.actor))))


def get_entry(session: Session, project: Project, seq: int) -> LedgerEntry:
    if not 0 < seq <= MAX_NUMBER:
        raise NotFound(f"{project.name}'s ledger has no entry #{seq}.")
    entry = session.scalar(sa.select(LedgerEntry).where(LedgerEntry.project_id == project.id,
                                                        LedgerEntry.seq == seq))
    if entry is None:
        raise NotFound(f"{project.name}'s ledger has no entry #{seq}.")
    return entry


def entry_data(entry: LedgerEntry) -> dict:
    return json.loads(entry.payload)["data"]


def totals(session: Session, project: Project) -> dict[str, rules.Totals]:
    """Per-currency totals over every input, from plain rows (a project may
    have thousands of inputs; only these columns are needed)."""
    return rules.totals(session.execute(
        sa.select(Input.unit, Input.unit_cost, Input.currency, Input.still_needed,
                  Input.pledged, Input.received, Input.closed).where(Input.project_id == project.id)))


def open_needs(session: Session, limit: int = 2000) -> list[tuple[Input, Project]]:
    """Every project's open needs (``rules.is_open``), for the needs board."""
    rows = session.execute(
        sa.select(Input, Project).join(Project, Project.id == Input.project_id)
        .where(open_clause())
        .order_by(Input.resource, Input.needed_by.is_(None), Input.needed_by, Input.id)
        .limit(limit)).all()
    return [(need, project) for need, project in rows]


# ---------------------------------------------------------------- appending

def hold_journal(session: Session, project: Project) -> LedgerHead:
    """Hold the project's journal head for this transaction. Appends queue
    here, so each one chains to the entry before it: PostgreSQL locks the
    row, SQLite the database."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(LedgerHead).values(project_id=project.id, seq=0, hash=rules.GENESIS,
                                              inputs=0)
                    .on_conflict_do_nothing(index_elements=["project_id"]))
    session.execute(sa.update(LedgerHead).where(LedgerHead.project_id == project.id)
                    .values(seq=LedgerHead.seq).execution_options(synchronize_session=False))
    row = session.scalar(sa.select(LedgerHead).where(LedgerHead.project_id == project.id)
                         .execution_options(populate_existing=True))
    assert row is not None
    return row


def _append(session: Session, project: Project, held: LedgerHead, actor: User | None,
            action: str, data: dict, now: datetime,
            input_number: int | None = None) -> LedgerEntry:
    seq = held.seq + 1
    document = rules.document(project.slug, seq, now, actor.username if actor else None,
                              action, data)
    payload = rules.canonical(document)
    entry = LedgerEntry(project_id=project.id, seq=seq, at=now,
                        actor_id=actor.id if actor else None, action=action,
                        input_number=input_number, payload=payload.decode("utf-8"),
                        prev_hash=held.hash, hash=rules.chain(held.hash, payload))
    session.add(entry)
    held.seq, held.hash = seq, entry.hash
    entry_appended.send(project, session=session, entry=entry, data=data)
    return entry


def _balance(need: Input) -> rules.InputBalance:
    return rules.InputBalance(
        number=need.number, seq=need.seq, title=need.title, kind=need.kind, unit=need.unit,
        needed=need.needed, unit_cost=need.unit_cost, currency=need.currency,
        needed_by=need.needed_by.isoformat() if need.needed_by else None,
        description=need.description, approved=need.approved, closed=need.closed,
        received=need.received, consumed=need.consumed,
        pledges={p.seq: rules.PledgeBalance(seq=p.seq, input=need.number,
                                            pledger=p.pledger.username if p.pledger else "",
                                            quantity=p.quantity, received=p.received,
                                            withdrawn=p.withdrawn, note=p.note)
                 for p in need.pledges})


def _fold(session: Session, project: Project, entry: LedgerEntry, data: dict,
          need: Input | None, now: datetime, *, pledger: User | None = None,
          worker: User | None = None) -> Input | None:
    """Apply *entry* to the stored balances, through ``rules.apply``."""
    balances = rules.Balances()
    if need is not None:
        balances.inputs[need.number] = _balance(need)
    work = session.scalar(sa.select(WorkLog).where(WorkLog.project_id == project.id,
                                                   WorkLog.seq == data["corrects"])) \
        if entry.action == "correct" and data["action"] == "work" else None
    if work is not None:
        balances.work[work.seq] = rules.WorkBalance(work.seq, "", work.date.isoformat(),
                                                    work.hours, work.category, work.description)
    rules.apply(balances, entry.seq, entry.action, data)
    if entry.action == "work":
        logged = balances.work[entry.seq]
        session.add(WorkLog(project_id=project.id, seq=entry.seq, user=worker,
                            date=date.fromisoformat(logged.date), hours=logged.hours,
                            category=logged.category, description=logged.description))
        return None
    if work is not None:
        work.hours = balances.work[work.seq].hours
        return None
    folded = balances.inputs[data["input"]]
    if need is None:
        need = Input(project_id=project.id, number=folded.number, seq=folded.seq,
                     title=folded.title, kind=folded.kind,
                     resource=rules.resource_key(folded.kind, folded.title), unit=folded.unit,
                     unit_cost=folded.unit_cost, currency=folded.currency,
                     needed_by=date.fromisoformat(folded.needed_by) if folded.needed_by else None,
                     description=folded.description)
        session.add(need)
    need.needed, need.unit_cost = folded.needed, folded.unit_cost
    need.approved, need.closed = folded.approved, folded.closed
    need.received, need.consumed, need.pledged = folded.received, folded.consumed, folded.pledged
    need.status, need.still_needed = folded.status, folded.still_needed
    need.updated_at = now
    stored = {p.seq: p for p in need.pledges}
    for seq, pledge in folded.pledges.items():
        row = stored.get(seq)
        if row is None:
            row = Pledge(project_id=project.id, seq=seq, pledger=pledger, note=pledge.note)
            need.pledges.append(row)
        row.quantity, row.received, row.withdrawn = pledge.quantity, pledge.received, \
            pledge.withdrawn
    session.flush()
    return need


def _problem(error: RuleError) -> Invalid:
    return Invalid(str(error), field=error.field)


def _text(value: object, label: str, field: str, max_length: int, *, required: bool = True,
          multiline: bool = False) -> str:
    try:
        return clean_text(None if value is None else str(value), label=label,
                          max_length=max_length, required=required, multiline=multiline)
    except TextError as error:
        raise Invalid(str(error), field=field) from None


def _require_member(project: Project, actor: User, what: str) -> None:
    if not project.is_member(actor):
        raise Forbidden(f"Members of {project.name} {what}. Join the project first.")


def no_pledge(need: Input) -> str | None:
    """Why *need* takes no pledge now (closed, arrived or pledged in full),
    or None."""
    return rules.pledge_refusal(need.number, need.title, need.unit, need.closed, need.needed,
                                need.received, need.pledged)


def no_receipt(need: Input) -> str | None:
    """Why *need* takes no receipt now (closed, or not approved yet), or None."""
    return rules.receipt_refusal(need.number, need.title, need.closed, need.approved)


def _open(project: Project, need: Input) -> None:
    if need.closed:
        raise Conflict(f"Input #{need.number} ({need.title}) is closed; nothing more is "
                       "recorded against it.")


# ---------------------------------------------------------------- needs

@dataclass(frozen=True)
class NeedForm:
    """What a person asks for, as typed (strings, or numbers from JSON)."""

    title: object
    kind: object
    quantity: object
    unit: object
    unit_cost: object = None
    currency: object = None
    needed_by: object = None
    description: object = ""


def record_need(session: Session, project: Project, actor: User, form: NeedForm,
                now: datetime) -> Input:
    """Add an input requirement. Above the project's approval threshold (or
    priced in another currency) it is pending until an `input` proposal
    passes; governance opens that proposal on the ``input_pending`` signal."""
    _require_member(project, actor, "record what the project needs")
    title = _text(form.title, "Title", "title", 200)
    description = _text(form.description, "Description", "description", 10000,
                        required=False, multiline=True)
    kind = str(form.kind or "").strip().lower()
    if kind not in rules.KINDS:
        raise Invalid(f"Kind is one of: {', '.join(rules.KINDS)}.", field="kind")
    try:
        unit = rules.unit_named(str(form.unit or "").strip(), money=kind == "money")
        needed = rules.quantity(form.quantity, unit)
        currency = str(form.currency or "").strip().upper() or None
        unit_cost = None
        if unit in currencies():
            if form.unit_cost not in (None, ""):
                raise RuleError("Money needed in a currency costs itself; leave unit cost "
                                "empty.", "unit_cost")
            currency = None
        elif form.unit_cost not in (None, ""):
            if currency is None:
                raise RuleError("Give the currency of the unit cost (EUR, USD, ...).",
                                "currency")
            unit_cost = rules.money(form.unit_cost, currency)
        elif currency is not None:
            raise RuleError("Give the unit cost too, or leave the currency empty.", "unit_cost")
        if kind == "money" and unit not in currencies():
            raise RuleError("Money is needed in a currency: put its code (EUR, ...) as the "
                            "unit.", "unit")
        needed_by = rules.check_date(form.needed_by, "Needed by", "needed_by")
    except RuleError as error:
        raise _problem(error) from None
    estimate = rules.estimated_total(needed, unit, unit_cost, currency)
    pending = rules.needs_proposal(estimate, project.approval_amount, project.approval_currency)
    held = hold_journal(session, project)
    held.inputs += 1
    data = {"input": held.inputs, "title": title, "kind": kind, "quantity": rules.text(needed),
            "unit": unit, "unit_cost": rules.text(unit_cost) if unit_cost is not None else None,
            "currency": currency, "needed_by": needed_by, "description": description,
            "approval": "pending" if pending else "approved"}
    entry = _append(session, project, held, actor, "need", data, now, held.inputs)
    need = _fold(session, project, entry, data, None, now)
    assert need is not None
    if pending:
        input_pending.send(project, need=need, actor=actor, now=now)
    return need


def approve_input(session: Session, project: Project, number: int, proposal: int,
                  now: datetime) -> Input:
    """Carry out a passed `input` proposal. Raises Conflict if the input was
    closed meanwhile."""
    held = hold_journal(session, project)
    need = get_input(session, project, number)
    _open(project, need)
    if need.approved:
        return need
    data = {"input": number, "proposal": proposal}
    entry = _append(session, project, held, None, "approve", data, now, number)
    _fold(session, project, entry, data, need, now)
    return need


def close_input(session: Session, project: Project, actor: User, number: int, reason: object,
                now: datetime) -> Input:
    """A member closes a need nobody should pledge to any more."""
    _require_member(project, actor, "close needs")
    reason = _text(reason, "Reason", "reason", 2000, multiline=True)
    held = hold_journal(session, project)
    need = get_input(session, project, number)
    _open(project, need)
    data = {"input": number, "reason": reason}
    entry = _append(session, project, held, actor, "close", data, now, number)
    _fold(session, project, entry, data, need, now)
    input_closed.send(project, need=need, actor=actor, now=now)
    return need


# ---------------------------------------------------------------- pledges

def pledge(session: Session, project: Project, actor: User, number: int, quantity: object,
           note: object = "", *, now: datetime) -> Pledge:
    """Anyone logged in pledges part or all of what is still needed."""
    note = _text(note, "Note", "note", 2000, required=False, multiline=True)
    held = hold_journal(session, project)
    need = get_input(session, project, number)
    if refusal := no_pledge(need):
        raise Conflict(refusal, field="quantity")
    try:
        amount = rules.quantity(quantity, need.unit)
    except RuleError as error:
        raise _problem(error) from None
    if amount > need.still_needed:
        raise Invalid(f"Only {rules.shown(need.still_needed, need.unit)} {need.unit} of {need.title} is "
                      f"still needed; pledge at most that.", field="quantity")
    data = {"input": number, "quantity": rules.text(amount), "note": note,
            "pledger": actor.username}
    entry = _append(session, project, held, actor, "pledge", data, now, number)
    _fold(session, project, entry, data, need, now, pledger=actor)
    input_supplied.send(project, need=need)
    return next(p for p in need.pledges if p.seq == entry.seq)


def withdraw_pledge(session: Session, project: Project, actor: User, seq: int,
                    now: datetime) -> Pledge:
    """The pledger withdraws what they have not delivered yet (an entry;
    the pledge stays in the journal)."""
    held = hold_journal(session, project)
    row = session.scalar(sa.select(Pledge).where(Pledge.project_id == project.id,
                                                 Pledge.seq == seq)) \
        if 0 < seq <= MAX_NUMBER else None
    if row is None:
        raise NotFound(f"{project.name} has no pledge #{seq}.")
    if row.pledger_id != actor.id:
        raise Forbidden("Only the person who pledged withdraws a pledge.")
    if row.withdrawn:
        raise Conflict(f"Pledge #{seq} is withdrawn already.")
    if row.received >= row.quantity:
        raise Conflict(f"Pledge #{seq} has been delivered in full; there is nothing left to "
                       "withdraw.")
    need = get_input(session, project, row.input.number)
    data = {"input": need.number, "pledge": seq}
    entry = _append(session, project, held, actor, "withdraw", data, now, need.number)
    _fold(session, project, entry, data, need, now)
    input_supplied.send(project, need=need)
    return row


# ---------------------------------------------------------------- receipts, use

# Passed as a receipt's pledge: deliver the provider's own outstanding
# pledge to the input, if they made one.
PROVIDERS_PLEDGE = "auto"


def record_receipt(session: Session, project: Project, actor: User, number: int,
                   quantity: object, provider: object = "", *, received_on: object = None,
                   evidence_url: object = None, evidence: Evidence | None = None,
                   pledge_seq: object = None, now: datetime) -> LedgerEntry:
    """A member records what arrived, from whom, with evidence (a link or a
    stored file), against a pledge if there was one: *pledge_seq* names it,
    None (or "") means none, and ``PROVIDERS_PLEDGE`` means the provider's
    own oldest outstanding pledge to this input, if any (otherwise the
    pledge would stay "to come" and its amount count twice, as pledged and
    as received)."""
    _require_member(project, actor, "record what arrived")
    provider = _text(provider, "Provider", "provider", 200, required=False)
    url = str(evidence_url or "").strip() or None
    if url is not None and not _URL.fullmatch(url):
        raise Invalid("Evidence is a link starting with https:// or http://.",
                      field="evidence_url")
    try:
        day = rules.check_date(received_on, "Received on", "date", today=now.date(),
                               not_after_today=True) or now.date().isoformat()
    except RuleError as error:
        raise _problem(error) from None
    held = hold_journal(session, project)
    need = get_input(session, project, number)
    if refusal := no_receipt(need):
        raise Conflict(refusal)
    try:
        amount = rules.quantity(quantity, need.unit)
    except RuleError as error:
        raise _problem(error) from None
    against = None
    if pledge_seq == PROVIDERS_PLEDGE:
        against = _providers_pledge(need, provider)
    elif pledge_seq not in (None, ""):
        try:
            seq = int(str(pledge_seq))
        except ValueError:
            raise Invalid("pledge is the number of a pledge to this input.",
                          field="pledge") from None
        against = next((p for p in need.pledges if p.seq == seq), None)
        if against is None:
            raise Invalid(f"Input #{number} has no pledge #{seq}.", field="pledge")
        if against.withdrawn:
            raise Conflict(f"Pledge #{seq} was withdrawn; record the receipt without it.",
                           field="pledge")
        provider = provider or (against.pledger.username if against.pledger else "")
    if not provider:
        raise Invalid("Name who provided it (a person, a shop, an organisation).",
                      field="provider")
    # A receipt credits an account only when the account stands behind it:
    # the pledger it fulfils, or the member recording their own delivery.
    # Otherwise anyone could credit anyone (and give them standing).
    provider_user = None
    if against is not None and against.pledger is not None \
            and provider.lower() == against.pledger.username:
        provider_user = against.pledger
    elif provider.lower() == actor.username:
        provider_user = actor
    data = {"input": number, "quantity": rules.text(amount), "provider": provider,
            "provider_user": provider_user.username if provider_user else None,
            "date": day, "evidence_url": url,
            "evidence": {"sha256": evidence.sha256, "size": evidence.size,
                         "name": evidence.name, "type": evidence.type} if evidence else None,
            "pledge": against.seq if against else None}
    entry = _append(session, project, held, actor, "receipt", data, now, number)
    if evidence is not None:
        session.add(EvidenceFile(project_id=project.id, sha256=evidence.sha256, seq=entry.seq))
    _fold(session, project, entry, data, need, now)
    if provider_user is not None:
        input_supplied.send(project, need=need)
    return entry


def _providers_pledge(need: Input, provider: str) -> Pledge | None:
    """The oldest pledge to *need* that the account named *provider* has not
    delivered in full nor withdrawn."""
    name = provider.lower()
    return next((p for p in need.pledges
                 if p.pledger is not None and p.pledger.username == name
                 and not p.withdrawn and p.received < p.quantity), None)


def record_consumption(session: Session, project: Project, actor: User, number: int,
                       quantity: object, purpose: object, *, commit: object = None,
                       proposal: object = None, used_on: object = None,
                       now: datetime) -> LedgerEntry:
    """A member records what was used and for what; never more than arrived."""
    _require_member(project, actor, "record what was used")
    purpose = _text(purpose, "Purpose", "purpose", 2000, multiline=True)
    commit = str(commit or "").strip().lower() or None
    if commit is not None and not _COMMIT.fullmatch(commit):
        raise Invalid("commit is a commit id (7 to 40 hexadecimal digits).", field="commit")
    proposal_number = None
    if proposal not in (None, ""):
        try:
            proposal_number = int(str(proposal).lstrip("#"))
        except ValueError:
            raise Invalid("proposal is a proposal number, such as 3.", field="proposal") from None
    try:
        day = rules.check_date(used_on, "Used on", "date", today=now.date(),
                               not_after_today=True) or now.date().isoformat()
    except RuleError as error:
        raise _problem(error) from None
    held = hold_journal(session, project)
    need = get_input(session, project, number)
    try:
        amount = rules.quantity(quantity, need.unit)
    except RuleError as error:
        raise _problem(error) from None
    available = need.received - need.consumed
    if amount > available:
        raise Invalid(f"{rules.shown(need.received, need.unit)} {need.unit} arrived and "
                      f"{rules.shown(need.consumed, need.unit)} {need.unit} is used already, so at most "
                      f"{rules.shown(available, need.unit)} {need.unit} can be recorded as used. Record "
                      "the receipt first.", field="quantity")
    data = {"input": number, "quantity": rules.text(amount), "purpose": purpose,
            "commit": commit, "proposal": proposal_number, "date": day}
    entry = _append(session, project, held, actor, "consume", data, now, number)
    _fold(session, project, entry, data, need, now)
    return entry


# ---------------------------------------------------------------- work

def log_work(session: Session, project: Project, actor: User, hours: object, category: object,
             description: object, worked_on: object = None,
             *, now: datetime, max_days_back: int = rules.WORK_MAX_DAYS_BACK) -> WorkLog:
    """A member logs their own hours: at most 24 in a day, across projects,
    on a day since they joined and at most *max_days_back* days ago."""
    _require_member(project, actor, "log work")
    membership = project.membership_of(actor)
    joined = membership.joined_at if membership is not None else None
    category = str(category or "").strip().lower()
    if category not in rules.WORK_CATEGORIES:
        raise Invalid(f"Category is one of: {', '.join(rules.WORK_CATEGORIES)}.",
                      field="category")
    description = _text(description, "Description", "description", 2000, multiline=True)
    try:
        amount = rules.quantity(hours, "hour", "hours", field_name="hours")
        day = rules.check_work_date(worked_on, today=now.date(),
                                    joined=joined.date() if joined else None,
                                    max_days_back=max_days_back)
    except RuleError as error:
        raise _problem(error) from None
    held = hold_journal(session, project)
    _check_day(session, actor, date.fromisoformat(day), amount)
    data = {"worker": actor.username, "hours": rules.text(amount), "category": category,
            "description": description, "date": day}
    entry = _append(session, project, held, actor, "work", data, now)
    _fold(session, project, entry, data, None, now, worker=actor)
    session.flush()
    return session.scalars(sa.select(WorkLog).where(WorkLog.project_id == project.id,
                                                    WorkLog.seq == entry.seq)).one()


def _check_day(session: Session, user: User | None, day: date, adding: Decimal) -> None:
    """At most 24 hours a day per person across projects: the person's row
    is locked first, so two projects logging at once cannot both fit."""
    if user is None:
        return
    session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    logged = sum(session.scalars(sa.select(WorkLog.hours).where(WorkLog.user_id == user.id,
                                                                WorkLog.date == day)),
                 Decimal(0))
    if logged + adding > rules.MAX_HOURS_PER_DAY:
        raise Invalid(f"{user.username} has {rules.text(logged)} hours logged on "
                      f"{day.isoformat()} already; a day has 24.", field="hours")


# ---------------------------------------------------------------- corrections

def correct(session: Session, project: Project, actor: User, seq: int, deltas: dict,
            reason: object, now: datetime) -> LedgerEntry:
    """Fix a mistake with an entry that references the original, carrying
    signed deltas and a reason. Members correct any entry; anyone their own."""
    reason = _text(reason, "Reason", "reason", 2000, multiline=True)
    held = hold_journal(session, project)
    original = get_entry(session, project, seq)
    said = entry_data(original)
    if original.action == "correct":
        raise Invalid(f"Entry #{seq} is itself a correction; correct entry "
                      f"#{said['corrects']} instead.", field="corrects")
    if original.actor_id != actor.id and not project.is_member(actor):
        raise Forbidden(f"Members of {project.name} correct entries, and anyone their own.")
    need = get_input(session, project, said["input"]) if "input" in said else None
    try:
        changes = rules.check_correction(original.action, dict(deltas or {}),
                                         need.unit if need else "hour",
                                         need.currency if need else None)
    except RuleError as error:
        raise _problem(error) from None
    data: dict = {"corrects": seq, "action": original.action, "reason": reason,
                  "deltas": {key: rules.text(value) for key, value in changes.items()}}
    if original.action == "work":
        work = session.scalars(sa.select(WorkLog).where(WorkLog.project_id == project.id,
                                                        WorkLog.seq == seq)).one()
        new_hours = work.hours + changes["hours"]
        if new_hours < 0:
            raise Invalid(f"Entry #{seq} logs {rules.text(work.hours)} hours; it cannot go "
                          "below zero.", field="hours")
        if changes["hours"] > 0:
            _check_day(session, work.user, work.date, changes["hours"])
        data.update(worker=said["worker"], date=said["date"])
        entry = _append(session, project, held, actor, "correct", data, now)
        _fold(session, project, entry, data, None, now)
        return entry
    assert need is not None
    data["input"] = need.number
    current = _corrected_quantity(session, project, need.number, seq, said)
    _check_corrected(project, need, original.action, said, seq, changes, data, current)
    entry = _append(session, project, held, actor, "correct", data, now, need.number)
    _fold(session, project, entry, data, need, now)
    if original.action == "need":
        input_changed.send(project, need=need, actor=actor, now=now)
    return entry


def _corrected_quantity(session: Session, project: Project, number: int, seq: int,
                        said: dict) -> Decimal:
    """Entry *seq*'s quantity with every correction of it applied."""
    amount = Decimal(said.get("quantity", "0"))
    for payload in session.scalars(sa.select(LedgerEntry.payload).where(
            LedgerEntry.project_id == project.id, LedgerEntry.input_number == number,
            LedgerEntry.action == "correct", LedgerEntry.seq > seq)):
        data = json.loads(payload)["data"]
        if data["corrects"] == seq:
            amount += Decimal(data["deltas"].get("quantity", "0"))
    return amount


def _check_corrected(project: Project, need: Input, action: str, said: dict, seq: int,
                     changes: dict[str, Decimal], data: dict, current: Decimal) -> None:
    """Refuse a correction that would leave a balance impossible. *current*
    is the corrected entry's quantity after the corrections before this one."""
    change = changes.get("quantity", Decimal(0))
    unit = need.unit
    if action == "need":
        if need.needed + change <= 0:
            raise Invalid(f"That leaves input #{need.number} needing nothing; close it "
                          "instead.", field="quantity")
        unit_cost = need.unit_cost
        if "unit_cost" in changes:
            unit_cost = (unit_cost or Decimal(0)) + changes["unit_cost"]
            if unit_cost < 0:
                raise Invalid("The unit cost cannot go below zero.", field="unit_cost")
        estimate = rules.estimated_total(need.needed + change, unit, unit_cost, need.currency)
        pending = rules.needs_proposal(estimate, project.approval_amount,
                                       project.approval_currency)
        if pending and need.approved:
            data["approval"] = "pending"
        elif not pending and not need.approved:
            data["approval"] = "approved"
    elif action == "pledge":
        row = next(p for p in need.pledges if p.seq == seq)
        if change > need.still_needed:
            raise Invalid(f"Only {rules.shown(need.still_needed, unit)} {unit} is still needed; the "
                          "pledge can grow by at most that.", field="quantity")
        if row.quantity + change < row.received:
            raise Invalid(f"{rules.shown(row.received, unit)} {unit} of pledge #{seq} has "
                          "arrived already; the pledge cannot go below that.",
                          field="quantity")
    elif action == "receipt":
        if need.received + change < need.consumed:
            raise Invalid(f"{rules.shown(need.consumed, unit)} {unit} is recorded as used; received "
                          "cannot go below that. Correct the consumption first.",
                          field="quantity")
        if current + change < 0:
            raise Invalid(f"Receipt #{seq} is for {rules.shown(current, unit)} {unit} after "
                          "earlier corrections; it cannot go below zero.", field="quantity")
        if said.get("pledge") is not None:
            data["pledge"] = said["pledge"]
            row = next(p for p in need.pledges if p.seq == said["pledge"])
            if row.received + change < 0:
                raise Invalid("That takes the pledge's delivered amount below zero.",
                              field="quantity")
    elif action == "consume":
        if need.consumed + change < 0 or current + change < 0:
            raise Invalid(f"Entry #{seq} used {rules.shown(current, unit)} {unit} after earlier "
                          "corrections; it cannot go below zero.", field="quantity")
        if need.consumed + change > need.received:
            raise Invalid(f"Only {rules.shown(need.received, unit)} {unit} arrived; used cannot "
                          "exceed that.", field="quantity")


# ---------------------------------------------------------------- verifying

@dataclass(frozen=True)
class Verification:
    entries: int
    head: tuple[int, str]
    bad_seq: int | None
    problem: str

    @property
    def intact(self) -> bool:
        return self.bad_seq is None


def verify(session: Session, project: Project, batch: int = 20000) -> Verification:
    """Recompute the chain from the first entry, then rebuild the balances
    from the journal alone and compare them with the stored ones."""
    stored_head = session.get(LedgerHead, project.id)
    head_pair = (stored_head.seq, stored_head.hash) if stored_head else None
    found = head_pair or (0, rules.GENESIS)
    balances = rules.Balances()

    def fold(entry: rules.StoredEntry, said: dict) -> str | None:
        try:
            rules.apply(balances, entry.seq, entry.action, said["data"])
        except (KeyError, TypeError, ValueError, ArithmeticError) as error:
            return f"its data cannot be applied ({error!r})"
        return None

    # A million entries make millions of short-lived objects and no cycles;
    # the cyclic collector would spend a third of the time finding none.
    collecting = gc.isenabled()
    gc.disable()
    try:
        rows = session.execute(
            sa.select(LedgerEntry.seq, LedgerEntry.at, User.username, LedgerEntry.action,
                      LedgerEntry.payload, LedgerEntry.prev_hash, LedgerEntry.hash,
                      LedgerEntry.input_number)
            .outerjoin(User, User.id == LedgerEntry.actor_id)
            .where(LedgerEntry.project_id == project.id).order_by(LedgerEntry.seq)
            .execution_options(yield_per=batch))
        count, bad, problem = rules.verify_chain(
            project.slug, (rules.StoredEntry(*row) for row in rows), head_pair, fold)
        rows.close()
        if bad is not None:
            return Verification(count, found, bad, problem)
        if mismatch := _compare_balances(session, project, balances):
            return Verification(count, found, mismatch[0], mismatch[1])
        return Verification(count, found, None, "")
    finally:
        if collecting:
            gc.enable()


def rebuild_balances(session: Session, project: Project) -> rules.Balances:
    """The balances the journal alone gives."""
    rows = session.execute(sa.select(LedgerEntry.seq, LedgerEntry.action, LedgerEntry.payload)
                           .where(LedgerEntry.project_id == project.id)
                           .order_by(LedgerEntry.seq).execution_options(yield_per=20000))
    return rules.rebuild((seq, action, json.loads(payload)["data"])
                         for seq, action, payload in rows)


def stored_balances(session: Session, project: Project) -> rules.Balances:
    """The balances kept in the tables, in the same shape."""
    balances = rules.Balances()
    for need in session.scalars(sa.select(Input).where(Input.project_id == project.id)
                                .options(selectinload(Input.pledges)
                                         .selectinload(Pledge.pledger))):
        balances.inputs[need.number] = _balance(need)
    for work, username in session.execute(
            sa.select(WorkLog, User.username).outerjoin(User, User.id == WorkLog.user_id)
            .where(WorkLog.project_id == project.id)):
        balances.work[work.seq] = rules.WorkBalance(work.seq, username or "",
                                                    work.date.isoformat(), work.hours,
                                                    work.category, work.description)
    return balances


def _compare_balances(session: Session, project: Project,
                      rebuilt: rules.Balances) -> tuple[int, str] | None:
    """The first stored balance that is not what the journal gives: every
    column pages read, the derived ones (status, pledged, still needed, the
    needs board's resource) and who pledged or worked included. Plain rows,
    not ORM objects: there may be hundreds of thousands of pledges."""
    pledges: dict[int, list] = {}
    for pledge_row in session.execute(
            sa.select(Input.number, Pledge.seq, User.username, Pledge.quantity,
                      Pledge.received, Pledge.withdrawn, Pledge.note)
            .join(Input, Input.id == Pledge.input_id)
            .outerjoin(User, User.id == Pledge.pledger_id)
            .where(Pledge.project_id == project.id)):
        pledges.setdefault(pledge_row[0], []).append(tuple(pledge_row[1:]))
    stored = {row[0]: row for row in session.execute(
        sa.select(Input.number, Input.seq, Input.title, Input.kind, Input.resource, Input.unit,
                  Input.needed, Input.unit_cost, Input.currency, Input.needed_by,
                  Input.description, Input.approved, Input.closed, Input.received,
                  Input.consumed, Input.pledged, Input.still_needed, Input.status)
        .where(Input.project_id == project.id))}
    for number in sorted(set(rebuilt.inputs) | set(stored)):
        row, want = stored.get(number), rebuilt.inputs.get(number)
        if row is None or want is None or \
                _row_view(row, pledges.get(number, [])) != _balance_view(want):
            seq = want.seq if want is not None else stored[number].seq
            return seq, (f"the stored balance of input #{number} differs from the one the "
                         "journal gives")
    work = {row[0]: row[1:] for row in session.execute(
        sa.select(WorkLog.seq, User.username, WorkLog.hours, WorkLog.date, WorkLog.category,
                  WorkLog.description).outerjoin(User, User.id == WorkLog.user_id)
        .where(WorkLog.project_id == project.id))}
    for seq in sorted(set(rebuilt.work) | set(work)):
        have, logged = work.get(seq), rebuilt.work.get(seq)
        if have is None or logged is None or \
                (have[0], have[1], have[2].isoformat(), have[3], have[4]) != \
                (logged.worker, logged.hours, logged.date, logged.category, logged.description):
            return seq, f"the stored work log of entry #{seq} differs from the journal"
    return None


def _balance_view(need: rules.InputBalance) -> tuple:
    return (need.title, need.kind, rules.resource_key(need.kind, need.title), need.unit,
            need.needed, need.unit_cost, need.currency, need.needed_by, need.description,
            need.approved, need.closed, need.received, need.consumed, need.pledged,
            need.still_needed, need.status,
            sorted((p.seq, p.pledger, p.quantity, p.received, p.withdrawn, p.note)
                   for p in need.pledges.values()))


def _row_view(row, pledges: list) -> tuple:
    (_, _, title, kind, resource, unit, needed, unit_cost, currency, needed_by, description,
     approved, closed, received, consumed, pledged, still_needed, status) = row
    return (title, kind, resource, unit, needed, unit_cost, currency,
            needed_by.isoformat() if needed_by else None, description, approved, closed,
            received, consumed, pledged, still_needed, status, sorted(pledges))


# ---------------------------------------------------------------- pages

def evidence_receipt(session: Session, project: Project, sha256: str) -> LedgerEntry | None:
    """The first receipt of *project* whose evidence is the stored file
    *sha256*: the evidence page serves a file only for a project that
    recorded it."""
    seq = session.scalar(sa.select(sa.func.min(EvidenceFile.seq)).where(
        EvidenceFile.project_id == project.id, EvidenceFile.sha256 == sha256))
    return None if seq is None else get_entry(session, project, seq)


def inputs_numbered(session: Session, project: Project, numbers) -> dict[int, Input]:
    """The inputs a page of the journal mentions, by number."""
    wanted = sorted(set(numbers))
    if not wanted:
        return {}
    return {need.number: need for need in session.scalars(
        sa.select(Input).where(Input.project_id == project.id, Input.number.in_(wanted)))}


def recent_work(session: Session, project: Project, limit: int = 50) -> list[WorkLog]:
    """The project's logged work, newest entry first."""
    return list(session.scalars(
        sa.select(WorkLog).where(WorkLog.project_id == project.id)
        .order_by(WorkLog.seq.desc()).limit(limit).options(selectinload(WorkLog.user))))
