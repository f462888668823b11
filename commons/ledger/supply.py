"""Supply: pledges (and their withdrawal), receipts with their evidence,
and consumption of what arrived."""

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.ledger import rules
from commons.ledger.checks import (
    MAX_NUMBER,
    checked_text,
    no_pledge,
    no_receipt,
    require_member,
    rule_problem,
)
from commons.ledger.journal import append_entry, fold_entry, hold_journal
from commons.ledger.models import EvidenceFile, Input, LedgerEntry, Pledge
from commons.ledger.queries import get_input
from commons.ledger.rules import RuleError
from commons.problems import Conflict, Forbidden, Invalid, NotFound
from commons.projects.models import Project
from commons.signals import input_supplied

_COMMIT = re.compile(r"[0-9a-f]{7,40}")
_URL = re.compile(r"https?://[^\s<>\"]{1,2000}")


@dataclass(frozen=True)
class Evidence:
    """A file stored content-addressed (see ``evidence.store``)."""

    sha256: str
    size: int
    name: str
    type: str


# ---------------------------------------------------------------- pledges

def pledge(session: Session, project: Project, actor: User, number: int, quantity: object,
           note: object = "", *, now: datetime) -> Pledge:
    """Anyone logged in pledges part or all of what is still needed."""
    note = checked_text(note, "Note", "note", 2000, required=False, multiline=True)
    held = hold_journal(session, project)
    need = get_input(session, project, number)
    if refusal := no_pledge(need):
        raise Conflict(refusal, field="quantity")
    try:
        amount = rules.quantity(quantity, need.unit)
    except RuleError as error:
        raise rule_problem(error) from None
    if need.recurs is None and amount > need.still_needed:
        raise Invalid(f"Only {rules.shown(need.still_needed, need.unit)} {need.unit} of {need.title} is "
                      f"still needed; pledge at most that.", field="quantity")
    data = {"input": number, "quantity": rules.text(amount), "note": note,
            "pledger": actor.username}
    entry = append_entry(session, project, held, actor, "pledge", data, now, number)
    fold_entry(session, project, entry, data, need, now, pledger=actor)
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
    entry = append_entry(session, project, held, actor, "withdraw", data, now, need.number)
    fold_entry(session, project, entry, data, need, now)
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
    require_member(project, actor, "record what arrived")
    provider = checked_text(provider, "Provider", "provider", 200, required=False)
    url = str(evidence_url or "").strip() or None
    if url is not None and not _URL.fullmatch(url):
        raise Invalid("Evidence is a link starting with https:// or http://.",
                      field="evidence_url")
    try:
        day = rules.check_date(received_on, "Received on", "date", today=now.date(),
                               not_after_today=True) or now.date().isoformat()
    except RuleError as error:
        raise rule_problem(error) from None
    held = hold_journal(session, project)
    need = get_input(session, project, number)
    if refusal := no_receipt(need):
        raise Conflict(refusal)
    try:
        amount = rules.quantity(quantity, need.unit)
    except RuleError as error:
        raise rule_problem(error) from None
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
    entry = append_entry(session, project, held, actor, "receipt", data, now, number)
    if evidence is not None:
        session.add(EvidenceFile(project_id=project.id, sha256=evidence.sha256, seq=entry.seq))
    fold_entry(session, project, entry, data, need, now)
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
    require_member(project, actor, "record what was used")
    purpose = checked_text(purpose, "Purpose", "purpose", 2000, multiline=True)
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
        raise rule_problem(error) from None
    held = hold_journal(session, project)
    need = get_input(session, project, number)
    try:
        amount = rules.quantity(quantity, need.unit)
    except RuleError as error:
        raise rule_problem(error) from None
    available = need.received - need.consumed
    if amount > available:
        raise Invalid(f"{rules.shown(need.received, need.unit)} {need.unit} arrived and "
                      f"{rules.shown(need.consumed, need.unit)} {need.unit} is used already, so at most "
                      f"{rules.shown(available, need.unit)} {need.unit} can be recorded as used. Record "
                      "the receipt first.", field="quantity")
    data = {"input": number, "quantity": rules.text(amount), "purpose": purpose,
            "commit": commit, "proposal": proposal_number, "date": day}
    entry = append_entry(session, project, held, actor, "consume", data, now, number)
    fold_entry(session, project, entry, data, need, now)
    return entry
