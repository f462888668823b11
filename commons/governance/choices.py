"""What the new-proposal form offers to choose from: the project's
branches, the open licences, the person who may be admitted and the inputs
waiting for approval. Suggestions only (a datalist beside a text field):
the kinds' ``read_details`` still judge whatever is sent."""

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.git import reading
from commons.git.repositories import repository_path
from commons.governance.settings import Settings
from commons.ledger.models import Input
from commons.projects.licences import Licence, open_licences
from commons.projects.models import Project

# A form lists at most this many of each: a datalist past a few hundred
# options helps no one, and typing still reaches the rest.
LIMIT = 200


@dataclass(frozen=True)
class Choices:
    """The options of each kind's field, as (value, label) pairs."""

    branches: list[tuple[str, str]] = field(default_factory=list)
    licences: list[Licence] = field(default_factory=list)
    people: list[tuple[str, str]] = field(default_factory=list)
    inputs: list[tuple[int, str]] = field(default_factory=list)


def branches(project: Project, settings: Settings) -> list[tuple[str, str]]:
    """The project's branches other than its default, most recently changed
    first, each with its last commit's subject."""
    path = repository_path(settings.repos_dir, project.slug)
    if not path.exists():
        return []
    return [(ref.name, ref.summary) for ref in reading.refs(path, "heads")
            if ref.name != project.default_branch][:LIMIT]


def pending_inputs(session: Session, project: Project) -> list[tuple[int, str]]:
    """The inputs an input proposal can approve: pending and not closed."""
    rows = session.execute(
        sa.select(Input.number, Input.title)
        .where(Input.project_id == project.id, Input.status == "pending",
               Input.closed.is_(False))
        .order_by(Input.number).limit(LIMIT))
    return [(number, title) for number, title in rows]


def for_proposal(session: Session, project: Project, author: User,
                 settings: Settings) -> Choices:
    """Everything the form suggests to *author*. A membership proposal
    admits only the person who asks (``kinds.membership``), so that person
    is the one suggestion."""
    return Choices(branches=branches(project, settings), licences=open_licences(),
                   people=[(author.username, "you")],
                   inputs=pending_inputs(session, project))
