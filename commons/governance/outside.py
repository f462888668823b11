"""Proposals from outside: anyone logged in pushes to
``refs/for/<branch>[/<topic>]``, member of the project or not, and opens a
merge proposal into that branch with themselves as its author, or revises
the one they opened for the same branch and topic. The commits live under
``refs/proposals/<n>/head`` (``commons.git.outside`` moves that ref); the
members and the people whose lines it changes decide, as for any merge."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.git import rules as git_rules
from commons.git.pushes import lock_project
from commons.governance import rules
from commons.governance.kinds import merge
from commons.governance.models import Proposal
from commons.governance.opening import add_proposal
from commons.governance.settings import Settings
from commons.governance.stances import repin, revise
from commons.projects.models import Project
from commons.text import TextError, clean_text


@dataclass(frozen=True)
class Proposed:
    """What a push to refs/for/ did: *opened* a proposal, revised it, or
    neither (it pins that commit already)."""

    proposal: Proposal
    opened: bool
    revised: bool


def proposal_ref(number: int) -> str:
    """Where the commits of proposal *number* are kept: never a branch."""
    return f"refs/proposals/{number}/head"


def propose_from_outside(session: Session, project: Project, user: User, target: str,
                         topic: str, head: str, message: str, settings: Settings,
                         now: datetime) -> Proposed:
    """Open a merge of *head* into *target* by *user*, or revise *user*'s
    undecided one for the same target and topic. *message* is the head
    commit's message: its first line is the title. Invalid if *target*
    holds *head* already. Takes the project lock; flushes."""
    label = git_rules.proposal_label(target, topic, user.username)
    pushed_to = f"{git_rules.FOR_PREFIX}{target}{'/' + topic if topic else ''}"
    kept = {"branch": label, "source": merge.OUTSIDE, "target": target, "topic": topic,
            "proposer": user.id, "pushed_to": pushed_to}
    opened = merge.pin(session, project, user, kept, head, target, settings)
    lock_project(session, project.id)
    existing = undecided(session, project, user, target, topic)
    if existing is not None:
        if existing.details.get("head") == head:
            return Proposed(existing, opened=False, revised=False)
        revise(session, existing, project, user, settings, f"{head[:10]} to {pushed_to}", now,
               pusher=user)
        repin(session, project, existing, opened.details, opened, settings, now)
        return Proposed(existing, opened=False, revised=True)
    title, body = _title_and_body(message, f"Merge {pushed_to} from {user.username}")
    proposal = add_proposal(session, project, user, "merge", title, body, opened, settings, now)
    return Proposed(proposal, opened=True, revised=False)


def undecided(session: Session, project: Project, user: User, target: str,
              topic: str) -> Proposal | None:
    """*user*'s open or blocked outside proposal into *target* under *topic*."""
    return session.scalar(sa.select(Proposal).where(
        Proposal.project_id == project.id, Proposal.kind == "merge",
        Proposal.author_id == user.id, Proposal.status.in_([rules.OPEN, rules.BLOCKED]),
        Proposal.details["source"].as_string() == merge.OUTSIDE,
        Proposal.details["target"].as_string() == target,
        Proposal.details["topic"].as_string() == topic).order_by(Proposal.number).limit(1))


def _title_and_body(message: str, fallback: str) -> tuple[str, str]:
    """The commit message's first line as the title, the rest as the body;
    *fallback* (and no body) when the message cannot be a title."""
    subject, _, rest = message.strip().partition("\n")
    try:
        title = clean_text(subject[:200], label="Title", max_length=200)
    except TextError:
        return fallback, ""
    try:
        body = clean_text(rest[:20000], label="Body", max_length=20000, required=False,
                          multiline=True)
    except TextError:
        body = ""
    return title, body
