"""Changing a proposal while it is undecided: stances and comments, and the
author's (or a push's) revisions, escalations and withdrawals."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons import signals
from commons.accounts.models import User
from commons.governance import kinds, line_comments, rules
from commons.governance.closing import decide_at_close
from commons.governance.guards import hold, withdraw_for
from commons.governance.kinds import Opened, merge
from commons.governance.models import Comment, Proposal, Stance, TimelineEvent
from commons.governance.notices import record_notices
from commons.governance.queries import standing
from commons.governance.settings import Settings
from commons.problems import Conflict, Forbidden, Invalid, NotFound
from commons.projects.models import Project
from commons.text import TextError, clean_text


def take_stance(session: Session, proposal: Proposal, user: User, stance: str, reason: str,
                now: datetime, revision: int | None = None) -> Stance:
    """Take or change *user*'s stance on the current revision (*revision*, if
    given, is the one they read: consent is given to content). Stances are
    taken while the window is open; after it closes the proposal is decided."""
    if proposal.status != rules.OPEN or now >= proposal.closes_at:
        state = proposal.status if proposal.status != rules.OPEN else "past its window"
        raise Conflict(f"Proposal #{proposal.number} is {state}; "
                       "stances are taken while it is open.")
    reason = checked_reason(stance, reason)
    if user.id not in standing(session, proposal):
        raise Forbidden("Stances count from the project's members and the people this "
                        "proposal affects. Leave a comment instead, or join the project.")
    hold(session, proposal, (rules.OPEN,), open_window_at=now, revision=revision)
    # Read again under the hold: a stance sent twice at once updates one row.
    current = session.scalar(sa.select(Stance).where(Stance.proposal_id == proposal.id,
                                                     Stance.user_id == user.id))
    if current is None:
        current = Stance(proposal=proposal, user=user)
        session.add(current)
    current.stance, current.reason, current.revision, current.taken_at = \
        stance, reason, proposal.revision, now
    verb = rules.STANCE_WORDS[stance].verb
    proposal.events.append(TimelineEvent(at=now, actor_id=user.id, text=(
        f"{user.username} {verb}" + (f": {reason}" if reason else "."))))
    session.flush()
    signals.stance_taken.send(proposal.project, session=session, proposal=proposal,
                              stance=current, now=now)
    return current


def checked_reason(stance: str, reason: str) -> str:
    """*reason* cleaned, once *stance* with it may be taken; raises Invalid
    on the field at fault otherwise (an objection needs a reason)."""
    try:
        reason = clean_text(reason, label="Reason", max_length=5000, required=False,
                            multiline=True)
    except TextError as error:
        raise Invalid(str(error), field="reason") from None
    if problem := rules.stance_problem(stance, reason):
        raise Invalid(problem, field="reason" if stance == "object" else "stance")
    return reason


def withdraw_stance(session: Session, proposal: Proposal, user: User,
                    now: datetime) -> None:
    """Withdraw *user*'s own stance (so only its author withdraws an
    objection), while the window is open."""
    if proposal.status != rules.OPEN or now >= proposal.closes_at:
        raise Conflict(f"Proposal #{proposal.number} is no longer open for stances.")
    current = next((s for s in proposal.stances if s.user_id == user.id), None)
    if current is None:
        raise NotFound("You have taken no stance on this proposal.")
    hold(session, proposal, (rules.OPEN,), open_window_at=now)
    proposal.stances.remove(current)
    proposal.events.append(TimelineEvent(at=now, actor_id=user.id,
                                         text=f"{user.username} withdrew their "
                                              f"{rules.STANCE_WORDS[current.stance].noun}."))
    session.flush()


def add_comment(session: Session, proposal: Proposal, user: User, body: str,
                now: datetime) -> Comment:
    """A non-binding comment from anyone logged in."""
    try:
        body = clean_text(body, label="Comment", max_length=10000, multiline=True)
    except TextError as error:
        raise Invalid(str(error), field="body") from None
    comment = Comment(user=user, body=body, created_at=now)
    proposal.comments.append(comment)
    session.flush()
    signals.comment_added.send(proposal.project, session=session, proposal=proposal,
                               comment=comment, now=now)
    return comment


def revise(session: Session, proposal: Proposal, project: Project, actor: User | None,
           settings: Settings, why: str, now: datetime,
           title: str | None = None, body: str | None = None, *,
           pusher: User | None = None) -> Proposal:
    """A new revision: the window restarts and earlier stances go stale.
    *pusher*: whose push made it (the push rules checked they may), named
    in the timeline; *why* is then the commit they pushed."""
    if proposal.status not in (rules.OPEN, rules.BLOCKED):
        raise Conflict(f"Proposal #{proposal.number} is {proposal.status}; it cannot be revised.")
    if actor is not None and proposal.author_id != actor.id:
        raise Forbidden("Only the proposal's author revises it.")
    hold(session, proposal, (rules.OPEN, rules.BLOCKED))
    if title is not None or body is not None:
        try:
            proposal.title = clean_text(title if title is not None else proposal.title,
                                        label="Title", max_length=200)
            proposal.body = clean_text(body if body is not None else proposal.body,
                                       label="Body", max_length=20000, required=False,
                                       multiline=True)
        except TextError as error:
            raise Invalid(str(error)) from None
    proposal.revision += 1
    proposal.status = rules.OPEN
    proposal.voting = rules.CONSENSUS
    proposal.closes_at = rules.new_window(now, project.review_window, settings.min_review_window)
    what = (f"{pusher.username} pushed {why} (revision {proposal.revision})" if pusher
            else f"Revised ({why})")
    proposal.events.append(TimelineEvent(
        at=now, actor_id=actor.id if actor else pusher.id if pusher else None,
        text=f"{what}; the window restarts and earlier stances are stale."))
    session.flush()
    decide_at_close(session, proposal)
    signals.proposal_revised.send(project, session=session, proposal=proposal, now=now)
    return proposal


def escalate(session: Session, proposal: Proposal, project: Project, actor: User,
             settings: Settings, now: datetime) -> Proposal:
    """Put a blocked proposal to a majority vote in a fresh window."""
    if proposal.status != rules.BLOCKED:
        raise Conflict("Only a blocked proposal can be put to a vote.")
    if not project.is_member(actor):
        raise Forbidden("Members put a blocked proposal to a vote.")
    hold(session, proposal, (rules.BLOCKED,))
    proposal.revision += 1
    proposal.status, proposal.voting = rules.OPEN, rules.MAJORITY
    proposal.closes_at = rules.new_window(now, project.review_window, settings.min_review_window)
    proposal.events.append(TimelineEvent(at=now, actor_id=actor.id, text=(
        f"{actor.username} put it to a majority vote: it passes with more supports than "
        "objections and at least min(3, members) supports. State your stance again.")))
    session.flush()
    decide_at_close(session, proposal)
    return proposal


def withdraw_proposal(session: Session, proposal: Proposal, actor: User,
                      now: datetime) -> Proposal:
    if proposal.author_id != actor.id:
        raise Forbidden("Only the proposal's author withdraws it.")
    if proposal.status not in (rules.OPEN, rules.BLOCKED):
        raise Conflict(f"Proposal #{proposal.number} is {proposal.status} already.")
    kind = kinds.lookup(proposal.kind)
    if kind.author_withdrew is not None and kind.before_claim is not None:
        # Withdrawing it has an effect (a claim is refused in the journal):
        # the locks that effect needs first, in the order every decider
        # takes them, before the proposal's own.
        kind.before_claim(session, proposal.project)
    hold(session, proposal, (rules.OPEN, rules.BLOCKED))
    proposal.status, proposal.decided_at = rules.WITHDRAWN, now
    if (undo := kind.author_withdrew) is not None:
        undo(session, proposal)
    proposal.events.append(TimelineEvent(at=proposal.decided_at, actor_id=actor.id,
                                         text=f"{actor.username} withdrew the proposal."))
    session.flush()
    return proposal


def revise_merges_for_push(session: Session, project: Project, moved: dict[str, str],
                           settings: Settings, now: datetime,
                           pusher: User | None = None) -> list[Proposal]:
    """Merge proposals whose branch a push moved pin the new head and start
    again (consent is tied to content); a deleted branch withdraws its
    proposal. The timeline names *pusher* (None: a decision moved it, or
    the account is gone). Who may move a proposed branch is checked before
    git runs (commons.git.rules.protection_refusal)."""
    revised = []
    for proposal in session.scalars(sa.select(Proposal).where(
            Proposal.project_id == project.id, Proposal.kind == "merge",
            Proposal.status.in_([rules.OPEN, rules.BLOCKED]))):
        branch = proposal.details.get("branch")
        new = moved.get(f"refs/heads/{branch}")
        if not new or new == proposal.details.get("head"):
            continue
        if set(new) == {"0"}:
            withdraw_for(session, proposal, f"withdrawn: {pusher.username} deleted the branch "
                         f"{branch}." if pusher else f"The branch {branch} was deleted, so the "
                         "proposal is withdrawn.", now, actor=pusher)
            continue
        try:
            revise(session, proposal, project, None, settings,
                   new[:10] if pusher else f"{branch} moved to {new[:10]}", now, pusher=pusher)
        except Conflict:
            continue  # decided meanwhile: the decision stands, with what it pinned
        try:
            opened = merge.read_details(session, project, proposal.author, {"branch": branch},
                                        settings)
        except Invalid:
            opened = Opened({"branch": branch, "head": new}, [], False)
        repin(session, project, proposal, {**opened.details, "head": new}, opened, settings, now)
        revised.append(proposal)
    return revised


def repin(session: Session, project: Project, proposal: Proposal, details: dict,
          opened: Opened, settings: Settings, now: datetime) -> None:
    """After a revision: pin *details* (with the new head) and the parties
    read for it; comments on lines the revision changed go outdated."""
    proposal.details = details
    proposal.affected.clear()
    session.flush()  # old parties out before new ones in (unique per email)
    proposal.affected = opened.affected
    proposal.affected_complete = opened.complete
    session.flush()
    record_notices(session, proposal, settings, now)  # parties the revision brought in
    line_comments.mark_outdated(session, project, proposal, now, settings)


def withdraw_membership_requests(session: Session, project: Project, user: User,
                                 now: datetime) -> None:
    """Someone who withdraws their request to join withdraws the proposal
    that would admit them."""
    for proposal in session.scalars(sa.select(Proposal).where(
            Proposal.project_id == project.id, Proposal.kind == "membership",
            Proposal.status.in_([rules.OPEN, rules.BLOCKED]))):
        if proposal.details.get("username") == user.username:
            withdraw_for(session, proposal, f"{user.username} withdrew the request to join.",
                         now)
