"""The page to comment on one line of a merge proposal's diff (or object
citing it), and what the Changes view and the proposal's page need to show
line comments: ``comments_by_line``, ``comment_url`` and ``line_link``."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import HiddenField, TextAreaField

from commons import clock
from commons.extensions import db
from commons.forms import attempt
from commons.git.repositories import repository_path
from commons.governance import line_comments, line_rules, services
from commons.governance.line_comments import Place
from commons.governance.line_objections import object_citing_lines
from commons.governance.models import Comment, Proposal
from commons.governance.views import PROPOSAL, _load, bp, settings
from commons.markdown import render_markdown
from commons.problems import Problem
from commons.projects.models import Project
from commons.urls import base_url

SIDE_WORDS = {line_rules.NEW: "proposed", line_rules.OLD: "base"}


class LineCommentForm(FlaskForm):
    # Where the line is and the head the person read: sent back as shown.
    path = HiddenField()
    side = HiddenField()
    line = HiddenField()
    head = HiddenField()
    revision = HiddenField()
    body = TextAreaField("Your comment", description=(
        "Markdown. To object citing this line, write your reason here and press "
        "“Object citing this line”."))


@dataclass(frozen=True)
class LineNote:
    """A line comment as the diff shows it beside its line."""

    id: int
    user: object | None
    author_name: str
    body_html: Markup
    outdated: bool
    created_at: datetime
    is_objection: bool
    anchor: str


def max_chars() -> int:
    return int(current_app.config.get("COMMENT_MAX_CHARS", line_rules.DEFAULT_MAX_CHARS))


def note(comment: Comment) -> LineNote:
    assert comment.path is not None and comment.side is not None and comment.line is not None
    return LineNote(
        comment.id, comment.user, comment.user.username if comment.user else "someone",
        Markup(render_markdown(comment.body, 3, origin=base_url(current_app.config))),
        comment.outdated, comment.created_at, comment.is_objection,
        line_rules.line_anchor(comment.path, comment.side, comment.line))


def comments_by_line(proposal: Proposal, include_outdated: bool = False
                     ) -> dict[tuple[str, str, int], list[LineNote]]:
    """The proposal's line comments keyed by (path, side, line) in its
    current diff, oldest first. Outdated ones count lines of an earlier
    revision, so they are left out unless asked for (the timeline has them)."""
    found: dict[tuple[str, str, int], list[LineNote]] = {}
    for comment in proposal.comments:
        if comment.path is None or comment.side is None or comment.line is None:
            continue
        if comment.outdated and not include_outdated:
            continue
        found.setdefault((comment.path, comment.side, comment.line), []).append(note(comment))
    return found


def comment_url(project: Project, proposal: Proposal) -> Callable[[str, str, int], str]:
    """For the diff: (path, side, line) → the page to comment on that line."""
    def url(path: str, side: str, line: int) -> str:
        return url_for("governance.line_comment_form", slug=project.slug,
                       number=proposal.number, path=path, side=side, line=line)
    return url


@bp.app_template_global()
def line_link(project: Project, proposal: Proposal, comment: Comment) -> str:
    """Where a line comment's line is shown: its anchor on the Changes view;
    for an outdated one, the line in the file as it was when commented."""
    assert comment.path is not None and comment.side is not None and comment.line is not None
    anchor = "#" + line_rules.line_anchor(comment.path, comment.side, comment.line)
    if comment.outdated:
        commit = comment.head if comment.side == line_rules.NEW else comment.base
        if commit and commit != line_comments.EMPTY_TREE:
            return url_for("browse.blob", slug=project.slug,
                           spec=f"{commit}/{comment.path}") + f"#L{comment.line}"
    return url_for("governance.changes", slug=project.slug, number=proposal.number) + anchor


def _place_from(values) -> Place | None:
    line = str(values.get("line") or "")
    if not line.isdigit() or len(line) > 9:
        return None
    return Place(str(values.get("path") or ""), str(values.get("side") or ""), int(line))


@bp.route(PROPOSAL + "/changes/comment", methods=["GET", "POST"], endpoint="line_comment_form")
@login_required
def line_comment_form(slug: str, number: int):
    project, proposal = _load(slug, number)
    form = LineCommentForm(request.form if request.method == "POST" else None)
    place = _place_from(request.form if request.method == "POST" else request.args)
    if place is None:
        abort(404, description="Name a line: path, side (old or new) and line number.")
    problem: Problem | None = None
    if request.method == "GET":
        form.path.data, form.side.data, form.line.data = place.path, place.side, str(place.line)
        form.head.data = str(proposal.details.get("head") or "")
        form.revision.data = str(proposal.revision)
        problem = _check_line(project, proposal, place)
    elif form.validate_on_submit():
        objecting = request.form.get("action") == "object"
        done = attempt(lambda: _send(project, proposal, place, form, objecting), show_on=form)
        problem = done.problem
        if done.ok:
            flash("Your objection is recorded, with its reason beside the line." if objecting
                  else "Comment added beside the line.", "success")
            return redirect(line_link(project, proposal, done.result))
        project, proposal = _load(slug, number)  # as it is after the rollback
    else:
        form.form_errors.append("This form could not be checked as coming from this site; "
                                "reload the page and send it again.")
    return _render(project, proposal, place, form, problem)


def _send(project: Project, proposal: Proposal, place: Place, form: LineCommentForm,
          objecting: bool) -> Comment:
    head = form.head.data or ""
    if objecting:
        read = form.revision.data or ""
        stance = object_citing_lines(
            db.session, project, proposal, current_user, form.body.data or "", [place],
            clock.now(), settings(), int(read) if read.isdigit() else None, head=head,
            max_chars=max_chars())
        return stance.cited_lines[-1]
    return line_comments.add_line_comment(
        db.session, project, proposal, current_user, place.path, place.side, place.line, head,
        form.body.data or "", clock.now(), settings(), max_chars=max_chars())


def _check_line(project: Project, proposal: Proposal, place: Place) -> Problem | None:
    """Whether the line can be commented on now (a GET shows why not)."""
    try:
        checked = line_comments.check_place(place.path, place.side, place.line)
        head = line_comments.check_proposal(proposal)
        repo = repository_path(settings().repos_dir, project.slug)
        line_comments.check_in_diff(repo, line_comments.diff_base(repo, project, proposal), head,
                                    checked)
    except Problem as problem:
        return problem
    return None


def _render(project: Project, proposal: Proposal, place: Place, form: LineCommentForm,
            problem: Problem | None):
    head = str(proposal.details.get("head") or "")
    context: list[tuple[int, str]] = []
    if proposal.kind == "merge" and head and place.side in line_rules.SIDES:
        repo = repository_path(settings().repos_dir, project.slug)
        base = line_comments.diff_base(repo, project, proposal)
        context = line_comments.context_lines(settings(), project, place, head, base)
    if request.method == "GET" and problem is not None:
        form.form_errors.append(problem.message)
    for hidden in (form.path, form.side, form.line, form.head, form.revision):
        # A problem with where the line is or what was read is not the
        # hidden field's to show: it goes above the form.
        form.form_errors.extend(hidden.errors)
        hidden.errors = []
    standing = current_user.id in services.standing(db.session, proposal)
    notes = comments_by_line(proposal).get((place.path, place.side, place.line), [])
    anchor = line_rules.line_anchor(place.path, place.side, place.line) \
        if place.side in line_rules.SIDES else "line"
    return render_template(
        "governance/line_comment.html", project=project, proposal=proposal, place=place,
        side_word=SIDE_WORDS.get(place.side, place.side), context=context, form=form,
        notes=notes, anchor=anchor, can_object=standing and proposal.status == "open",
        open_to_comments=proposal.kind == "merge" and proposal.status in ("open", "blocked"),
    ), (problem.status if problem else 200)
