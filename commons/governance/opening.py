"""Opening a proposal of any kind: who may, the title and body, the kind's
own details (``governance.kinds``), and a number under the project lock."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commons import signals
from commons.accounts.models import User
from commons.git.pushes import lock_project
from commons.governance import kinds, rules
from commons.governance.closing import decide_at_close
from commons.governance.kinds import Details, Opened
from commons.governance.models import Proposal, TimelineEvent
from commons.governance.settings import Settings
from commons.problems import Conflict, Invalid
from commons.projects.models import Project
from commons.text import TextError, clean_text


def open_proposal(session: Session, project: Project, author: User, kind: str, title: str,
                  body: str, details: Details | None, settings: Settings,
                  now: datetime) -> Proposal:
    """Open a proposal of *kind*; its window closes after the project's
    review window. Members open proposals; anyone may ask to be admitted."""
    if kind not in rules.KINDS:
        raise Invalid(f"A proposal is one of: {', '.join(rules.KINDS)}.", field="kind")
    what = kinds.lookup(kind)
    sent = dict(details or {})
    what.may_open(project, author, sent)
    try:
        title = clean_text(title, label="Title", max_length=200)
        body = clean_text(body, label="Body", max_length=20000, required=False, multiline=True)
    except TextError as error:
        raise Invalid(str(error), field="title" if "Title" in str(error) else "body") from None
    opened = what.read_details(session, project, author, sent, settings)
    return add_proposal(session, project, author, kind, title, body, opened, settings, now)


def add_proposal(session: Session, project: Project, author: User, kind: str, title: str,
                 body: str, opened: Opened, settings: Settings, now: datetime) -> Proposal:
    """Number and add a proposal whose author, title, body and details are
    checked already (by ``open_proposal``, or a push to refs/for/)."""
    what = kinds.lookup(kind)
    lock_project(session, project.id)
    if what.check_under_lock is not None:  # two at once cannot both pass it
        what.check_under_lock(session, project, opened.details, settings)
    number = (session.scalar(sa.select(sa.func.max(Proposal.number))
                             .where(Proposal.project_id == project.id)) or 0) + 1
    proposal = Proposal(project_id=project.id, number=number, kind=kind, title=title, body=body,
                        author=author, details=opened.details, opened_at=now, revision=1,
                        closes_at=rules.new_window(now, project.review_window,
                                                   settings.min_review_window),
                        affected=opened.affected, affected_complete=opened.complete)
    proposal.events.append(TimelineEvent(at=now, actor_id=author.id,
                                         text=f"{author.username} opened this {kind} proposal."))
    session.add(proposal)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict("Another proposal was opened at the same moment; send it again.") from None
    decide_at_close(session, proposal)
    signals.proposal_opened.send(project, session=session, proposal=proposal, now=now)
    return proposal


def request_membership(session: Session, project: Project, user: User, settings: Settings,
                       now: datetime) -> Proposal:
    """The membership proposal a join request under consent admission opens."""
    proposal = open_proposal(session, project, user, "membership", f"Admit {user.username}",
                             f"{user.username} asks to join {project.name}.",
                             {"username": user.username}, settings, now)
    signals.membership_requested.send(project, session=session, proposal=proposal, user=user,
                                      now=now)
    return proposal
