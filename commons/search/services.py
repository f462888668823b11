"""Search across everything, for the page and the API: each kind's best
matches and how many there are, people by name, and code."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.git.models import Push
from commons.git.repositories import repository_path
from commons.governance.models import Proposal
from commons.ledger.models import Input
from commons.projects.models import Project
from commons.search import backends, rules
from commons.search import code as code_search

# Counts stop here ("1,000+"): counting every match of a common word costs
# more than knowing the exact number is worth.
COUNT_CAP = 1000


@dataclass(frozen=True)
class Settings:
    per_kind: int = 20
    code_budget: float = 2.0  # seconds for all the git greps of one search
    code_projects: int = 20  # repositories searched when no project is chosen
    code_hits: int = 50
    count_cap: int = COUNT_CAP

    @classmethod
    def from_config(cls, config) -> "Settings":
        return cls(per_kind=int(config.get("SEARCH_PER_KIND", 20)),
                   code_budget=float(config.get("SEARCH_CODE_TIMEOUT", 2.0)),
                   code_projects=int(config.get("SEARCH_CODE_PROJECTS", 20)),
                   code_hits=int(config.get("SEARCH_CODE_HITS", 50)))


@dataclass
class Group:
    """One kind's results: the best *items* and how many match in all
    (*count*; *more* when it reached the cap and there may be more)."""

    kind: str
    items: list = field(default_factory=list)
    count: int = 0
    more: bool = False


@dataclass
class Results:
    query: rules.Query
    projects: Group
    proposals: Group
    needs: Group
    people: Group
    code: code_search.CodeSearch | None = None
    code_total_projects: int = 0

    @property
    def groups(self) -> list[Group]:
        return [self.projects, self.proposals, self.needs, self.people]

    @property
    def nothing(self) -> bool:
        return not any(group.count for group in self.groups) and not (
            self.code and self.code.hits)


KINDS = {"projects": (backends.PROJECTS, Project),
         "proposals": (backends.PROPOSALS, Proposal),
         "needs": (backends.NEEDS, Input)}


def search(session: Session, raw: str | None, settings: Settings, *,
           project: Project | None = None, repos_dir: Path | None = None) -> Results:
    """Everything that matches the query *raw* (within *project* when one
    is given); code too when *repos_dir* is given."""
    query = rules.parse(raw)
    empty = Results(query, Group("projects"), Group("proposals"), Group("needs"),
                    Group("people"))
    if query.empty:
        if repos_dir is not None and query.text:
            empty.code, empty.code_total_projects = _search_code(
                session, query, [], settings, project, repos_dir)
        return empty
    backend = backends.for_session(session)
    project_id = project.id if project is not None else None
    groups = {}
    for name, (kind, model) in KINDS.items():
        if name == "projects" and project is not None:
            groups[name] = Group(name)
            continue
        count = backend.count(session, kind, query, settings.count_cap, project_id)
        # A word in more rows than the cap is ranked among the newest of them.
        pool = settings.count_cap if count >= settings.count_cap else None
        ids = backend.ids(session, kind, query, settings.per_kind, project_id, pool) \
            if count else []
        groups[name] = Group(name, _load(session, model, ids), count,
                             count >= settings.count_cap)
    people = find_people(session, query, settings.per_kind) if project is None else []
    results = Results(query, groups["projects"], groups["proposals"], groups["needs"],
                      Group("people", people, len(people), len(people) >= settings.per_kind))
    if repos_dir is not None:
        results.code, results.code_total_projects = _search_code(
            session, query, results.projects.items, settings, project, repos_dir)
    return results


@dataclass(frozen=True)
class Item:
    """A row found and the project it belongs to (itself, for a project)."""

    row: Any
    project: Project


def _load(session: Session, model, ids: list[int]) -> list[Item]:
    """The rows with *ids*, in that order (the rank's), with their projects."""
    if not ids:
        return []
    found = {row.id: row for row in session.scalars(sa.select(model).where(model.id.in_(ids)))}
    rows = [found[id_] for id_ in ids if id_ in found]
    if model is Project:
        return [Item(row, row) for row in rows]
    wanted = {row.project_id for row in rows}
    owners = {p.id: p for p in session.scalars(sa.select(Project).where(Project.id.in_(wanted)))}
    return [Item(row, owners[row.project_id]) for row in rows]


def find_people(session: Session, query: rules.Query, limit: int) -> list[User]:
    """People whose username holds every word of the query; the exact name
    first, then names that start with it. Email addresses are never searched."""
    if query.empty:
        return []
    name = sa.func.lower(User.username)
    conditions = [name.like(pattern, escape="\\") for pattern in rules.username_patterns(query)]
    first = query.terms[0].lower()
    order = sa.case((name == first, 0),
                    (name.like(rules.escape_like(first) + "%", escape="\\"), 1), else_=2)
    return list(session.scalars(sa.select(User).where(*conditions)
                                .order_by(order, User.username).limit(limit)))


def _search_code(session: Session, query: rules.Query, matched: list[Item],
                 settings: Settings, project: Project | None,
                 repos_dir: Path) -> tuple[code_search.CodeSearch, int]:
    """git grep for the query as typed: in *project*, or else in the
    projects that matched and then the most recently pushed to, up to
    ``code_projects`` of them. Every project is public today; a private one
    would be left out here."""
    if project is not None:
        chosen = [project]
        total = 1
    else:
        limit = settings.code_projects
        # The newest push records by id (the primary key's index), not a
        # grouping of every push ever made: a few per project is plenty.
        recent = sa.select(Push.project_id).order_by(Push.id.desc()).limit(limit * 10)
        newest = sa.select(Project.id).order_by(Project.id.desc()).limit(limit)
        ids = list(dict.fromkeys([item.project.id for item in matched] + list(session.scalars(recent))
                                 + list(session.scalars(newest))))[:limit]
        by_id = {p.id: p for p in session.scalars(sa.select(Project).where(Project.id.in_(ids)))}
        chosen = [by_id[id_] for id_ in ids if id_ in by_id]
        total = session.scalar(sa.select(sa.func.count(Project.id))) or 0
    repositories = [code_search.Repository(p.slug, repository_path(repos_dir, p.slug),
                                    p.default_branch) for p in chosen]
    return (code_search.search(repositories, query.text, budget=settings.code_budget,
                        max_hits=settings.code_hits), total)
