"""The change a merge proposal brings, before anyone takes a stance: the
Changes view (commits, files, the diff) and, for the proposal page, its
summary and whether it merges cleanly. Always the pinned head
(``details["head"]``), never whatever the branch holds now."""

from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, url_for
from flask_login import current_user

from commons.extensions import db
from commons.git import diffing, merging, reading, rendering
from commons.git.diffing import Summary
from commons.git.merging import Mergeability
from commons.git.repositories import repository_path
from commons.governance import services
from commons.problems import NotFound
from commons.projects import services as projects

CHANGES_COMMITS = 250   # commits listed on the Changes view (the count is always exact)


@dataclass
class MergeChange:
    """What a merge proposal would change, as of now."""
    target: str                   # the branch it merges into
    branch: str                   # the branch it proposes
    head: str                     # the pinned commit
    target_head: str | None = None
    base: str | None = None       # where the pinned head left the target
    summary: Summary | None = None
    mergeability: Mergeability | None = None   # only while it can still be merged
    problem: str | None = None    # why none of the above can be shown


def merge_change(project, proposal) -> MergeChange | None:
    """The change of a merge proposal, or None for other kinds. A merged
    proposal shows what it brought onto the target as it stood then."""
    if proposal.kind != "merge":
        return None
    details = proposal.details or {}
    path = _path(project)
    change = MergeChange(details.get("target") or project.default_branch,
                         details.get("branch") or "", details.get("head") or "")
    if not reading.is_commit_id(change.head) or not reading.has_commit(path, change.head):
        change.problem = "The proposed commit is no longer in the repository."
        return change
    merged = (proposal.result or {}).get("merge_commit")
    if merged and reading.has_commit(path, merged):
        change.target_head = reading.git(path, "rev-parse", f"{merged}^1").decode().strip()
    else:
        change.target_head = merging.branch_head(path, change.target)
    if change.target_head is None:
        change.problem = f"The branch {change.target} it would merge into does not exist."
        return change
    change.base = diffing.merge_base(path, change.target_head, change.head)
    if change.base is None:
        change.problem = (f"{change.branch} shares no history with {change.target}, "
                          f"so there is no change to show.")
        return change
    change.summary = diffing.summary(path, change.base, change.head)
    if proposal.status in ("open", "blocked"):
        change.mergeability = merging.mergeability(path, change.target_head, change.head)
    return change


def changes(slug: str, number: int):
    """The Changes view of merge proposal *number*, with its line comments."""
    from commons.governance import line_comment_pages  # it registers on views' blueprint
    try:
        project = projects.get_project(db.session, slug, with_members=False)
    except NotFound as problem:
        abort(404, description=problem.message)
    try:
        proposal = services.get_proposal(db.session, project, number)
    except NotFound as problem:
        abort(404, description=problem.message)
    change = merge_change(project, proposal)
    if change is None:
        abort(404, description=f"Proposal #{number} is a {proposal.kind} proposal; only merge "
                               f"proposals change code.")
    if change.problem or change.base is None:
        return render_template("governance/changes.html", project=project, proposal=proposal,
                               change=change, diff=None), 404
    path = _path(project)
    diff = rendering.change(path, change.base, change.head,
                            diffing.caps_from(current_app.config))
    return render_template(
        "governance/changes.html", project=project, proposal=proposal, change=change,
        diff=diff, commits=diffing.commits_between(path, change.base, change.head,
                                                   CHANGES_COMMITS),
        commit_count=change.summary.commits if change.summary else 0,
        patch_url=url_for("browse.compare", slug=slug,
                          spec=f"{change.base}...{change.head}.patch"),
        comments=line_comment_pages.comments_by_line(proposal),
        # Lines take comments while the proposal is undecided, from anyone
        # logged in (the line's page checks the rest).
        comment_url=line_comment_pages.comment_url(project, proposal)
        if current_user.is_authenticated and proposal.status in ("open", "blocked") else None)


def _path(project) -> Path:
    return repository_path(current_app.config["REPOS_DIR"], project.slug)


def init(bp: Blueprint, proposal_rule: str) -> None:
    """Add the Changes view to the governance blueprint, and merge_change()
    to every template (the proposal page shows the summary)."""
    bp.add_url_rule(proposal_rule + "/changes", "changes", changes)
    bp.app_context_processor(lambda: {"merge_change": merge_change})
