"""A project's ledger as files anyone can take away: the journal as CSV and
JSON, the inputs with their balances as CSV (and inside the JSON), and the
journal as Valueflows JSON-LD (``commons.ledger.valueflows``).

Every export is cut at a head (seq, hash) fixed before its first row is
read. Entries are append-only, so "seq <= head" is the same set however
long the download takes; the input balances, which do change, are read
together with that head (``snapshot``). An entry appended meanwhile never
tears a file. Rows leave the database ``BATCH`` at a time and the text
leaves as it is made: a million entries never sit in memory.

The records here are also the JSON API's shapes for entries and inputs:
every decimal is a string written exactly ("12.50"), never a float."""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from commons.ledger import recurrence_rules, recurring, rules
from commons.ledger.confirm_rules import period_of
from commons.ledger.models import Claim, Fund, Input, LedgerEntry, LedgerHead, Pledge, WorkLog
from commons.problems import Conflict
from commons.projects.models import Project

BATCH = 1000

LEDGER_COLUMNS = ("seq", "at", "actor", "action", "input", "quantity", "unit", "payload",
                  "prev_hash", "hash")
INPUT_COLUMNS = ("number", "title", "kind", "status", "unit", "needed", "pledged", "received",
                 "consumed", "still_needed", "unit_cost", "currency", "estimated_total",
                 "needed_by", "approved", "closed", "description", "recurs", "starts",
                 "covered_through", "head_seq", "head_hash")

# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Head:
    """The last entry an export includes."""

    seq: int
    hash: str

    def record(self) -> dict:
        return {"seq": self.seq, "hash": self.hash}


@dataclass(frozen=True)
class Row:
    """A journal entry as stored: its hashed payload and its links."""

    seq: int
    payload: str
    prev_hash: str
    hash: str


# ---------------------------------------------------------------- reading

def read_head(session: Session, project: Project) -> Head:
    """The journal's head as committed now (a column read, never a cached
    object)."""
    row = session.execute(sa.select(LedgerHead.seq, LedgerHead.hash)
                          .where(LedgerHead.project_id == project.id)).first()
    return Head(row.seq, row.hash) if row else Head(0, rules.GENESIS)


def snapshot(session: Session, project: Project, today: date | None = None,
             attempts: int = 5) -> tuple[Head, list[dict]]:
    """The head and the input records (``input_record``) as of that head,
    recurring needs as they stand in *today*'s month.
    Balances change in the same transaction as the head, so if the head
    reads the same before and after the balances, no entry landed in
    between; else read again. Plain records, not rows that could refresh
    themselves while the file is being written."""
    for _ in range(attempts):
        before = read_head(session, project)
        inputs = [input_record(need, today=today) for need in session.scalars(
            sa.select(Input).where(Input.project_id == project.id).order_by(Input.number)
            .options(selectinload(Input.pledges).selectinload(Pledge.pledger))
            .execution_options(populate_existing=True))]
        if read_head(session, project) == before:
            return before, inputs
    raise Conflict("The ledger kept changing while it was being read; try again in a moment.")


def rows(session: Session, project: Project, head: Head) -> Iterator[Row]:
    """The entries up to *head*, oldest first, fetched a batch at a time."""
    result = session.execute(
        sa.select(LedgerEntry.seq, LedgerEntry.payload, LedgerEntry.prev_hash, LedgerEntry.hash)
        .where(LedgerEntry.project_id == project.id, LedgerEntry.seq <= head.seq)
        .order_by(LedgerEntry.seq).execution_options(yield_per=BATCH))
    try:
        for seq, payload, prev_hash, digest in result:
            yield Row(seq, payload, prev_hash, digest)
    finally:
        result.close()


def batched(items: Iterable, size: int = BATCH) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# ---------------------------------------------------------------- records

def entry_record(seq: int, payload: str, prev_hash: str, digest: str) -> dict:
    """An entry as the API and the JSON export give it. ``hash`` is
    sha256(prev_hash || canonical JSON of {project, seq, at, actor, action,
    data}), so anyone can check the chain from these fields alone."""
    document = json.loads(payload)
    data = document["data"]
    return {"seq": seq, "at": document["at"], "actor": document["actor"],
            "action": document["action"], "input": data.get("input"), "data": data,
            "prev_hash": prev_hash, "hash": digest}


def entry_of(entry: LedgerEntry) -> dict:
    return entry_record(entry.seq, entry.payload, entry.prev_hash, entry.hash)


def work_record(work: WorkLog) -> dict:
    """A work log as the API answers it: who, when, how long, what kind,
    the worker's rating and who confirmed it (issue 20)."""
    return {"seq": work.seq, "worker": work.user.username if work.user else None,
            "date": work.date.isoformat(), "period": period_of(work.date),
            "hours": rules.text(work.hours), "category": work.category,
            "description": work.description, "onerous": work.onerous,
            "confirmed_by": work.confirmed_by.username if work.confirmed_by else None,
            "confirmed_at": rules.timestamp(work.confirmed_at) if work.confirmed_at else None,
            "confirmed_seq": work.confirmed_seq}


def _text(value) -> str | None:
    return None if value is None else rules.text(value)


def _amount(value: Decimal, places: int) -> str:
    """*value* written with its unit's decimals: balances that start at
    zero are Decimal(0), and "0.000" kg reads as what it is. Only pads; an
    amount is never rounded here."""
    if value.as_tuple().exponent > -places:  # type: ignore[operator]
        value = value.quantize(Decimal(1).scaleb(-places), context=rules.EXACT)
    return rules.text(value)


def pledge_record(pledge: Pledge, places: int) -> dict:
    return {"seq": pledge.seq, "pledger": pledge.pledger.username if pledge.pledger else None,
            "quantity": _amount(pledge.quantity, places),
            "received": _amount(pledge.received, places),
            "outstanding": _amount(_outstanding(pledge), places),
            "withdrawn": pledge.withdrawn, "note": pledge.note}


def _outstanding(pledge: Pledge) -> Decimal:
    """What the pledger has still to deliver (the rules' own definition)."""
    return rules.PledgeBalance(pledge.seq, 0, "", pledge.quantity, pledge.received,
                               pledge.withdrawn).outstanding


def input_record(need: Input, with_pledges: bool = True, today: date | None = None) -> dict:
    """An input with its balances; amounts as exact decimal strings. A
    recurring need (issue 20) is as it stands in *today*'s month: needed
    and still needed run through it, its status and ``open`` are this
    month's; ``needed`` stays the quantity per month in ``per_month``."""
    if today is not None:
        need = recurring.as_of(need, today)
    per_month = need.per_month if isinstance(need, recurring.NeedInMonth) else None
    estimate = rules.estimated_total(per_month if per_month is not None else need.needed,
                                     need.unit, need.unit_cost, need.currency)
    places = rules.decimals_of(need.unit)
    return {
        "number": need.number, "seq": need.seq, "title": need.title, "kind": need.kind,
        "description": need.description, "unit": need.unit,
        "needed": _amount(need.needed, places), "pledged": _amount(need.pledged, places),
        "received": _amount(need.received, places), "consumed": _amount(need.consumed, places),
        "still_needed": _amount(need.still_needed, places), "status": need.status,
        "open": rules.is_open(need.closed, need.still_needed), "approved": need.approved, "closed": need.closed,
        "unit_cost": _text(need.unit_cost), "currency": need.currency,
        "estimated_total": {"amount": rules.text(estimate[0]), "currency": estimate[1]}
        if estimate else None,
        "needed_by": need.needed_by.isoformat() if need.needed_by else None,
        **_recurrence_record(need, places),
        **({"pledges": [pledge_record(p, places) for p in need.pledges]}
           if with_pledges else {}),
    }


def _recurrence_record(need, places: int) -> dict:
    """How a need recurs: "recurs" ("monthly" or null), its "starts" month,
    "per_month", the last month "covered_through" (from what was received
    and pledged; null while none is) and, as of a month, "months_ahead"
    (negative: months behind) and "coverage" in words."""
    if need.recurs is None:
        return {"recurs": None, "starts": None, "per_month": None, "covered_through": None,
                "months_ahead": None, "coverage": None}
    per_month = need.per_month if isinstance(need, recurring.NeedInMonth) else need.needed
    through = recurrence_rules.covered_through(need.starts, per_month,
                                               need.received + need.pledged)
    seen = isinstance(need, recurring.NeedInMonth)
    return {"recurs": need.recurs, "starts": rules.month_text(need.starts),
            "per_month": _amount(per_month, places),
            "covered_through": rules.month_text(through) if through else None,
            "months_ahead": need.months_ahead if seen else None,
            "coverage": need.coverage if seen else None}


# ---------------------------------------------------------------- CSV

def _cell(text: str | None) -> str:
    """Free text made safe to open in a spreadsheet: a leading ' stops a
    title such as "=HYPERLINK(...)" from running as a formula."""
    text = text or ""
    return "'" + text if text.startswith(_FORMULA_START) else text


class _CsvText:
    """csv.writer into a buffer emptied after each batch."""

    def __init__(self):
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer)

    def lines(self, rows_: Iterable[Iterable]) -> str:
        self.writer.writerows(rows_)
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate(0)
        return text


def _summary(action: str, data: dict, units: dict[int, str]) -> tuple[str, str]:
    """The (quantity, unit) an entry moves, for people reading the CSV; the
    payload column has everything."""
    if action == "need":
        units[data["input"]] = data["unit"]
        return data["quantity"], data["unit"]
    if action in ("pledge", "receipt", "consume"):
        return data["quantity"], units.get(data["input"], "")
    if action == "work":
        return data["hours"], "hour"
    if action in ("claim", "payout", "distribution"):  # money, in its currency
        return data["amount"], data["currency"]
    if action == "correct":
        deltas = data["deltas"]
        if "quantity" in deltas:
            return deltas["quantity"], units.get(data["input"], "") if "input" in data else ""
        if "hours" in deltas:
            return deltas["hours"], "hour"
    return "", ""


def ledger_csv(session: Session, project: Project, head: Head) -> Iterator[str]:
    """The journal, one row per entry up to *head*; the last row's hash is
    the head."""
    out, units = _CsvText(), dict[int, str]()
    yield out.lines([LEDGER_COLUMNS])
    for batch in batched(rows(session, project, head)):
        lines = []
        for row in batch:
            document = json.loads(row.payload)
            data = document["data"]
            quantity, unit = _summary(document["action"], data, units)
            lines.append((row.seq, document["at"], document["actor"] or "", document["action"],
                          data.get("input", ""), quantity, unit, row.payload, row.prev_hash,
                          row.hash))
        yield out.lines(lines)


def inputs_csv(head: Head, inputs: Iterable[dict]) -> Iterator[str]:
    """One row per input record (``snapshot``) with its balances, each
    saying which head it is as of."""
    out = _CsvText()
    yield out.lines([INPUT_COLUMNS])
    for batch in batched(inputs):
        lines = []
        for record in batch:
            estimate = record["estimated_total"]
            lines.append((
                record["number"], _cell(record["title"]), record["kind"], record["status"],
                record["unit"], record["needed"], record["pledged"], record["received"],
                record["consumed"], record["still_needed"], record["unit_cost"] or "",
                record["currency"] or "",
                f"{estimate['amount']} {estimate['currency']}" if estimate else "",
                record["needed_by"] or "", "yes" if record["approved"] else "no",
                "yes" if record["closed"] else "no", _cell(record["description"]),
                record["recurs"] or "", record["starts"] or "", record["covered_through"] or "",
                head.seq, head.hash))
        yield out.lines(lines)


# ---------------------------------------------------------------- JSON

def ledger_json(session: Session, project: Project, head: Head,
                inputs: Iterable[dict], money: dict | None = None) -> Iterator[str]:
    """{"project", "head", "entries": [...oldest first], "inputs": [the
    records of ``snapshot``], and with *money* (``money_snapshot``) "funds"
    and "claims"}, written as it is read."""
    dumps = _dumps
    yield f'{{"project":{dumps(project.slug)},"head":{dumps(head.record())},"entries":['
    first = True
    for batch in batched(rows(session, project, head)):
        text = ",".join(dumps(entry_record(r.seq, r.payload, r.prev_hash, r.hash))
                        for r in batch)
        yield text if first else "," + text
        first = False
    yield '],"inputs":['
    yield ",".join(dumps(record) for record in inputs)
    if money is not None:
        yield f'],"funds":{dumps(money["funds"])},"claims":{dumps(money["claims"])}}}'
    else:
        yield "]}"


def fund_record(fund: Fund) -> dict:
    """A currency's funds; amounts exact, as strings."""
    return {"currency": fund.currency, "received": rules.text(fund.received),
            "paid": rules.text(fund.paid), "balance": rules.text(fund.balance)}


def claim_record(claim: Claim) -> dict:
    """An expense claim, or a distribution's share, and once paid its
    payout; amounts exact. A share has no input, its "share" (1, 2...) and
    the distribution entry it came from."""
    return {"seq": claim.seq, "input": claim.input.number if claim.input else None,
            "share": claim.share, "distribution": claim.distribution_seq,
            "claimant": claim.claimant.username if claim.claimant else None,
            "amount": rules.text(claim.amount), "currency": claim.currency,
            "description": claim.description, "status": claim.status,
            "payout": None if claim.paid_seq is None else {
                "seq": claim.paid_seq, "method": claim.method, "reference": claim.reference,
                "date": claim.paid_on.isoformat() if claim.paid_on else None}}


def money_snapshot(session: Session, project: Project, head: Head) -> dict:
    """The funds and claims as of *head*, read right after ``snapshot``
    read the inputs at that head; Conflict if an entry landed meanwhile."""
    funds = [fund_record(fund) for fund in session.scalars(
        sa.select(Fund).where(Fund.project_id == project.id).order_by(Fund.currency)
        .execution_options(populate_existing=True))]
    claims = [claim_record(claim) for claim in session.scalars(
        sa.select(Claim).where(Claim.project_id == project.id)
        .order_by(Claim.seq, Claim.share)
        .options(selectinload(Claim.input), selectinload(Claim.claimant))
        .execution_options(populate_existing=True))]
    if read_head(session, project) == head:
        return {"funds": funds, "claims": claims}
    raise Conflict("The ledger kept changing while it was being read; try again in a moment.")


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
