"""Notice before silence counts: who was told of a proposal, and when.

Each party with standing gets a notice row when the proposal opens, or when
they gain standing later (a pledger, the parties of a revised merge).
Account holders are told in the app: their row is sent at once (the inbox
lists the proposal from that moment; ``commons.notifications`` may mail
them too). Affected people without an account get one mail per proposal at
their commit address, when the project opts in (``notify_outside_authors``)
and always for a licence change; their row is sent once the SMTP server took
the mail (the ``governance.send_notices`` job composes it with the mail core,
delivers it with the mail core, then ``mark_sent``). Who cannot
be reached is recorded with the reason.

The rule that uses these rows is ``notice_rules.gate``."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from commons import jobs, mail
from commons.accounts.models import User
from commons.governance import notice_links, notice_rules, rules
from commons.governance.models import NoticeOptOut, Proposal, ProposalNotice
from commons.governance.queries import members_of, outside_address
from commons.governance.settings import Settings
from commons.projects.models import Project

# The job that delivers a notice mail and marks its notice sent.
SEND = "governance.send_notices"
BATCH = 50
CHUNK = 500  # addresses per query (bound parameters stay few)
_BATCH_KEY = "commons.governance.notice-batch"
NOT_OPTED_IN = "the project does not mail people without an account"
OPTED_OUT = "asked for no mail from this project"
NO_ADDRESS = "no address to write to"


def record_notices(session: Session, proposal: Proposal, settings: Settings,
                   now: datetime) -> int:
    """Record notice for each party with standing on *proposal* who has none
    yet, and mail those without an account whom the project may mail.
    Idempotent; flushes. Returns how many notices it recorded."""
    if proposal.id is None:
        session.flush()
    project = session.get_one(Project, proposal.project_id)
    known = session.execute(sa.select(ProposalNotice.user_id, ProposalNotice.email)
                            .where(ProposalNotice.proposal_id == proposal.id)).all()
    known_users = {user_id for user_id, _ in known if user_id is not None}
    known_emails = {email for _, email in known if email is not None}
    users = (members_of(session, project.id)
             | {p.user_id for p in proposal.affected if p.user_id is not None}) - known_users
    rows: list[dict[str, Any]] = []
    # An account holder's notice is the proposal in their inbox, there from
    # now on: sent at once.
    for user_id, username in (session.execute(sa.select(User.id, User.username)
                                              .where(User.id.in_(users))).all()
                              if users else []):
        rows.append(_notice_row(proposal, now, user_id=user_id, name=username, sent_at=now))
    outside: dict[str, str] = {}
    for party in proposal.affected:
        address = outside_address(party.email)
        if party.user_id is None and address not in known_emails:
            outside.setdefault(address, party.name)
    rows += _outside_notices(session, project, proposal, outside, settings, now)
    # Plain rows in bulk, not ORM objects: a proposal in a project of
    # thousands of members records thousands of notices, and nothing reads
    # them back in this transaction (bench/README.md, "Under load").
    session.flush()
    if rows:
        session.execute(sa.insert(ProposalNotice), rows)
    return len(rows)


def _notice_row(proposal: Proposal, now: datetime, **values: Any) -> dict[str, Any]:
    return {"proposal_id": proposal.id, "user_id": None, "email": None, "recorded_at": now,
            "mailed_at": None, "sent_at": None, "undeliverable": None, **values}


def _outside_notices(session: Session, project: Project, proposal: Proposal,
                     outside: dict[str, str], settings: Settings,
                     now: datetime) -> list[dict[str, Any]]:
    """A notice row for each address in *outside* (address → name), mailed
    or marked undeliverable."""
    reasons = undeliverable_many(session, project, proposal, outside, settings, now)
    notices = []
    for address, name in outside.items():
        if reason := reasons.get(address):
            notices.append(_notice_row(proposal, now, email=address, name=name[:255],
                                       undeliverable=reason))
        else:
            notices.append(_notice_row(proposal, now, email=address, name=name[:255],
                                       mailed_at=now))
            _send(session, proposal, address)
    return notices


def undeliverable(session: Session, project: Project, proposal: Proposal, address: str,
                  settings: Settings, now: datetime) -> str | None:
    """Why *address* gets no notice mail for *proposal*, or None."""
    return undeliverable_many(session, project, proposal, [address], settings, now).get(address)


def undeliverable_many(session: Session, project: Project, proposal: Proposal,
                       addresses: Iterable[str], settings: Settings,
                       now: datetime) -> dict[str, str]:
    """Why each of *addresses* gets no notice mail for *proposal*; those
    that get one are left out. Two queries per CHUNK addresses, not two
    per address: a licence change may reach hundreds of authors."""
    reasons: dict[str, str] = {}
    wanted = []
    for address in dict.fromkeys(addresses):
        if "@" not in address.strip("@"):
            reasons[address] = NO_ADDRESS
        elif not (project.notify_outside_authors or proposal.kind == "license"):
            reasons[address] = NOT_OPTED_IN
        else:
            wanted.append(address)
    opted_out: set[str] = set()
    mailed: dict[str | None, int] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start:start + CHUNK]
        opted_out.update(session.scalars(sa.select(NoticeOptOut.email).where(
            NoticeOptOut.project_id == project.id, NoticeOptOut.email.in_(chunk))))
        mailed.update((email, count) for email, count in session.execute(
            sa.select(ProposalNotice.email, sa.func.count())
            .where(ProposalNotice.email.in_(chunk),
                   ProposalNotice.mailed_at > now - timedelta(days=1))
            .group_by(ProposalNotice.email)))
    for address in wanted:
        if address in opted_out:
            reasons[address] = OPTED_OUT
        elif notice_rules.rate_limited(mailed.get(address, 0), settings.outside_notice_limit):
            reasons[address] = (f"rate-limited: {settings.outside_notice_limit} notice mails "
                                "to this address in the last day")
    return reasons


def _send(session: Session, proposal: Proposal, address: str) -> None:
    # Composed and delivered by jobs after the commit, BATCH addresses a job
    # over one SMTP connection: opening a proposal that affects hundreds of
    # authors only writes their rows and queues a few jobs.
    key = (_BATCH_KEY, proposal.id)
    batch = session.info.get(key)
    if batch is None or len(batch) >= BATCH:
        batch = session.info[key] = []  # the job takes the list; added to until the commit
        jobs.enqueue_after_commit(session, SEND, proposal_id=proposal.id, addresses=batch)
    batch.append(address)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _end_batches(session: Session, *_: object) -> None:
    for key in [k for k in session.info if isinstance(k, tuple) and k[0] == _BATCH_KEY]:
        del session.info[key]


def notice_mail(session: Session, proposal_id: int, address: str,
                settings: Settings) -> mail.Message | None:
    """The notice mail to *address* about proposal *proposal_id*, or None if
    it needs none any more (decided or withdrawn meanwhile, sent already, or
    no longer a party)."""
    notice = session.scalar(sa.select(ProposalNotice).where(
        ProposalNotice.proposal_id == proposal_id, ProposalNotice.email == address))
    proposal = session.get(Proposal, proposal_id)
    if notice is None or notice.sent_at is not None or proposal is None \
            or proposal.status != rules.OPEN:
        return None
    project = session.get_one(Project, proposal.project_id)
    links = notice_links.for_notice(settings, project, proposal, address)
    return mail.compose(
        address, f"[{project.name}] Proposal #{proposal.number}: {proposal.title}",
        "governance/outside_notice",
        {"name": notice.name, "project": project, "proposal": proposal,
         "proposal_url": settings.proposal_url(project, proposal),
         "stance_url": links.stance, "opt_out_url": links.opt_out,
         "license_change": proposal.kind == "license"},
        thread=f"proposal-{project.id}-{proposal.number}", unsubscribe=links.opt_out)


def mark_sent(session: Session, proposal_id: int, address: str, at: datetime) -> None:
    """The notice mail to *address* went out at *at*: its notice is sent
    (the first delivery counts; a retry that delivers again changes nothing)."""
    session.execute(sa.update(ProposalNotice).where(
        ProposalNotice.proposal_id == proposal_id, ProposalNotice.email == address,
        ProposalNotice.sent_at.is_(None)).values(sent_at=at)
        .execution_options(synchronize_session=False))


def gate_values(session: Session, proposal_ids: Iterable[int]
                ) -> dict[int, list[notice_rules.NoticeValue]]:
    """Each proposal's notices as the pure rule reads them."""
    found: dict[int, list[notice_rules.NoticeValue]] = {}
    ids = list(proposal_ids)
    if not ids:
        return found
    for proposal_id, sent_at, reason in session.execute(
            sa.select(ProposalNotice.proposal_id, ProposalNotice.sent_at,
                      ProposalNotice.undeliverable)
            .where(ProposalNotice.proposal_id.in_(ids))):
        found.setdefault(proposal_id, []).append(
            notice_rules.NoticeValue(sent_at, reason is None))
    return found


def opt_out(session: Session, project: Project, address: str, now: datetime) -> bool:
    """Remember that *address* wants no more notice mail from *project*.
    Whether it is new (a second click changes nothing)."""
    if session.scalar(sa.select(NoticeOptOut.id).where(NoticeOptOut.project_id == project.id,
                                                        NoticeOptOut.email == address)):
        return False
    session.add(NoticeOptOut(project_id=project.id, email=address, at=now))
    session.flush()
    return True


@dataclass(frozen=True)
class Party:
    """One line of a proposal's "Notice and stances" list."""

    name: str
    account: bool
    notified_at: datetime | None
    undeliverable: str | None
    stance: str | None        # on the current revision; None: none taken
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "account": self.account, "notified_at": self.notified_at,
                "undeliverable": self.undeliverable, "stance": self.stance}


def parties(session: Session, proposal: Proposal) -> list[Party]:
    """Who was told of *proposal* (when, or why not), and who took a stance
    on its current revision: stances first, then the silent."""
    stances: dict[int | str, tuple[str, str]] = {
        s.user_id: (s.stance, s.reason) for s in proposal.stances
        if s.revision == proposal.revision}
    stances.update({s.email: (s.stance, s.reason) for s in proposal.outside_stances
                    if s.revision == proposal.revision})
    found = []
    for notice in session.scalars(sa.select(ProposalNotice).where(
            ProposalNotice.proposal_id == proposal.id).order_by(ProposalNotice.id)):
        key: int | str = notice.user_id if notice.user_id is not None else notice.email or ""
        stance, reason = stances.get(key, (None, ""))
        found.append(Party(notice.name, notice.user_id is not None, notice.sent_at,
                           notice.undeliverable, stance, reason))
    found.sort(key=lambda party: party.stance is None)
    return found


def pending(session: Session, proposal: Proposal) -> int:
    """How many deliverable notices of *proposal* are not sent yet."""
    return session.scalar(sa.select(sa.func.count()).select_from(ProposalNotice).where(
        ProposalNotice.proposal_id == proposal.id, ProposalNotice.undeliverable.is_(None),
        ProposalNotice.sent_at.is_(None))) or 0
