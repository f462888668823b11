"""How notifications follow the other domains: each event a person should
hear of is recorded, in bulk, inside the transaction of what happened
(``commons.signals``); a rollback takes the notices with it.

The ledger's signals carry no session: their receivers use ``db.session``,
the one the ledger writes with."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons import signals
from commons.accounts.models import User
from commons.extensions import db
from commons.governance.models import Comment, Proposal, Stance
from commons.governance.queries import members_of
from commons.ledger.models import Input, Pledge
from commons.notifications import rules
from commons.notifications.recording import notify_many
from commons.projects.models import Project


def connect_reactions() -> None:
    """Connect the receivers (idempotent: blinker keeps one connection per
    receiver, however often the app is created)."""
    signals.proposal_opened.connect(proposal_opened, weak=False)
    signals.stance_taken.connect(stance_taken, weak=False)
    signals.proposal_decided.connect(proposal_decided, weak=False)
    signals.comment_added.connect(comment_added, weak=False)
    signals.membership_requested.connect(membership_requested, weak=False)
    signals.input_closed.connect(input_closed, weak=False)
    signals.input_changed.connect(input_changed, weak=False)


def proposal_path(project: Project, proposal: Proposal) -> str:
    return f"/projects/{project.slug}/proposals/{proposal.number}"


def _affected(proposal: Proposal) -> set[int]:
    return {party.user_id for party in proposal.affected if party.user_id is not None}


def _actor(user: User | None) -> str:
    return user.username if user is not None else "someone"


def proposal_opened(project: Project, *, session: Session, proposal: Proposal,
                    now: datetime) -> None:
    """The project's members and the people it affects hear of a new
    proposal (a request to join is told by ``membership_requested``)."""
    if proposal.kind == "membership":
        return
    affected = _affected(proposal)
    who = (members_of(session, project.id) | affected) - {proposal.author_id}
    notify_many(session, project, who, "proposal_opened", proposal=proposal,
                text=f"{_actor(proposal.author)} opened #{proposal.number} "
                     f"{proposal.title} in {project.name}",
                url=proposal_path(project, proposal), now=now, affected_ids=frozenset(affected),
                key=f"proposal_opened:{proposal.id}")


def membership_requested(project: Project, *, session: Session, proposal: Proposal, user: User,
                         now: datetime) -> None:
    """Members of a consent project hear that someone asks to join."""
    who = members_of(session, project.id) - {user.id}
    notify_many(session, project, who, "membership", proposal=proposal,
                text=f"{user.username} asks to join {project.name} (#{proposal.number})",
                url=proposal_path(project, proposal), now=now,
                key=f"membership:{proposal.id}")


def stance_taken(project: Project, *, session: Session, proposal: Proposal, stance: Stance,
                 now: datetime) -> None:
    """A proposal's author hears of each objection to it."""
    if stance.stance != "object" or proposal.author_id in (None, stance.user_id):
        return
    assert proposal.author_id is not None
    reason = " ".join(stance.reason.split())
    reason = reason if len(reason) <= 300 else reason[:299] + "…"
    notify_many(session, project, [proposal.author_id], "objection", proposal=proposal,
                text=f"{_actor(stance.user)} objects to #{proposal.number} "
                     f"{proposal.title}: {reason}",
                url=proposal_path(project, proposal), now=now,
                key=f"objection:{proposal.id}:{proposal.revision}:{stance.user_id}")


def proposal_decided(project: Project, *, session: Session, proposal: Proposal,
                     now: datetime) -> None:
    """Everyone who had standing hears how it was decided and what came
    of it."""
    affected = _affected(proposal)
    who = members_of(session, project.id) | affected
    outcome = f": {proposal.outcome}" if proposal.outcome else ""
    notify_many(session, project, who, "decided", proposal=proposal,
                text=f"#{proposal.number} {proposal.title} {proposal.status}{outcome}",
                url=proposal_path(project, proposal), now=now, affected_ids=frozenset(affected),
                key=f"decided:{proposal.id}:{proposal.revision}")


def comment_added(project: Project, *, session: Session, proposal: Proposal,
                  comment: Comment, now: datetime) -> None:
    """People a comment mentions by @username hear of it; names that are
    nobody's stay plain text."""
    names = rules.mentioned(comment.body)
    if not names:
        return
    who = set(session.scalars(sa.select(User.id).where(User.username.in_(names[:50]))))
    if comment.user_id is not None:
        who.discard(comment.user_id)
    notify_many(session, project, who, "mention", proposal=proposal,
                text=f"{_actor(comment.user)} mentioned you on #{proposal.number} "
                     f"{proposal.title}",
                url=f"{proposal_path(project, proposal)}#comment-{comment.id}", now=now,
                key=f"mention:{comment.id}")


def input_closed(project: Project, need: Input, actor: User | None, now: datetime) -> None:
    """Whoever pledged to a need hears that it was closed."""
    _tell_pledgers(project, need, actor, now, f"{_actor(actor)} closed input "
                   f"#{need.number} {need.title}, which you pledged to",
                   f"pledge:closed:{need.id}")


def input_changed(project: Project, need: Input, actor: User | None, now: datetime) -> None:
    """Whoever pledged to a need hears that it was corrected."""
    _tell_pledgers(project, need, actor, now, f"{_actor(actor)} corrected input "
                   f"#{need.number} {need.title}, which you pledged to",
                   f"pledge:changed:{need.id}:{now.isoformat()}")


def _tell_pledgers(project: Project, need: Input, actor: User | None, now: datetime, text: str,
                   key: str) -> None:
    session = db.session
    who = set(session.scalars(sa.select(Pledge.pledger_id).where(
        Pledge.input_id == need.id, Pledge.withdrawn.is_(False),
        Pledge.pledger_id.is_not(None))))
    if actor is not None:
        who.discard(actor.id)
    notify_many(session, project, {w for w in who if w is not None}, "pledge",
                text=text, url=f"/projects/{project.slug}/inputs/{need.number}", now=now,
                key=key)

