"""Objections that cite lines of a merge proposal's diff: the objection is
taken as any other, and each cited line gets a line comment carrying its
reason, linked to it, so the reason shows beside the line."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.git.repositories import repository_path
from commons.governance import line_comments, line_rules
from commons.governance.line_comments import Place
from commons.governance.models import Proposal, Stance
from commons.governance.settings import Settings
from commons.governance.stances import take_stance
from commons.problems import Invalid
from commons.projects.models import Project

# How many lines one objection may cite.
MAX_CITED_LINES = 20


def object_citing_lines(session: Session, project: Project, proposal: Proposal, user: User,
                        reason: str, places: Iterable[Place], now: datetime, settings: Settings,
                        revision: int | None = None, head: str | None = None,
                        max_chars: int = line_rules.DEFAULT_MAX_CHARS) -> Stance:
    """Object (as ``take_stance`` does) and cite lines of the diff: each gets
    a line comment carrying the reason, linked to the objection. Either all
    of it is recorded or, on a bad line, none (the caller rolls back)."""
    # Each line once, in the order sent.
    cited = list(dict.fromkeys(line_comments.check_place(p.path, p.side, p.line)
                               for p in places))
    if len(cited) > MAX_CITED_LINES:
        raise Invalid(f"An objection cites at most {MAX_CITED_LINES} lines; cite the ones that "
                      "matter most and say the rest in the reason.", field="lines")
    pinned = line_comments.check_proposal(proposal) if cited else None
    if head is not None and pinned is not None and head != pinned:
        raise Invalid(f"The proposal was revised (it pins {pinned[:10]} now); reload the "
                      "changes and object on the current head.", field="head")
    stance = take_stance(session, proposal, user, "object", reason, now, revision)
    if pinned is None:
        return stance
    line_comments.check_body(stance.reason, max_chars, label="Reason")
    repo = repository_path(settings.repos_dir, project.slug)
    base = line_comments.diff_base(repo, project, proposal)
    for place in cited:
        line_comments.check_in_diff(repo, base, pinned, place)
        line_comments.record(proposal, user, place, stance.reason, pinned, base, now, stance)
    session.flush()
    return stance
