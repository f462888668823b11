"""Browse pages: tree, blob, raw, history, commit, branches, tags and
archives. Open to everyone, no login."""

import logging
import math
import time
from pathlib import Path
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    url_for,
)
from limits import parse as parse_limit
from markupsafe import Markup

from commons import paging
from commons.extensions import db, limiter
from commons.git import diffing, history_rows, path_index, reading, ref_lists, ref_rows, rendering
from commons.git.diff_rules import line_anchor
from commons.git.reading import NotInRepository
from commons.git.repositories import repository_path
from commons.governance import services as governance
from commons.problems import NotFound
from commons.projects import services as projects
from commons.urls import absolute_url, base_url

bp = Blueprint("browse", __name__, url_prefix="/projects/<slug>")
log = logging.getLogger(__name__)

SHOW_LIMIT = 1024 * 1024          # larger files: offer the raw download only
HIGHLIGHT_LIMIT = 256 * 1024      # larger text: shown plain, not highlighted, even when asked
README_NAMES = ("readme.md", "readme.markdown", "readme", "readme.txt")
PAGE = 50
ARCHIVES = {".tar.gz": ("tar.gz", "application/gzip"), ".zip": ("zip", "application/zip")}


def _open(slug: str):
    try:
        project = projects.get_project(db.session, slug, with_members=False)
    except NotFound as problem:
        abort(404, description=problem.message)
    return project, repository_path(current_app.config["REPOS_DIR"], project.slug)


def _locate(path: Path, spec: str) -> tuple[str, str, str]:
    """(ref, commit id, path) from the URL part after tree/ or blob/."""
    try:
        return reading.locate(path, spec)
    except NotInRepository as error:
        abort(404, description=f"Nothing at {spec!r}: {error}. Check the branch and path.")


def _crumbs(subpath: str) -> list[tuple[str, str]]:
    parts = subpath.split("/") if subpath else []
    return [(part, "/".join(parts[:i + 1])) for i, part in enumerate(parts)]


@bp.route("/tree/<path:spec>")
def tree(slug: str, spec: str):
    project, path = _open(slug)
    ref, sha, subpath = _locate(path, spec)
    try:
        tree_sha, kind, _ = reading.object_at(path, sha, subpath)
    except NotInRepository as error:
        abort(404, description=str(error))
    if kind != "tree":
        abort(404, description=f"{subpath} is a file; see it at its blob page.")
    entries = reading.tree(path, tree_sha, subpath)
    readme = next((e for e in entries if e.kind == "blob" and e.name.lower() in README_NAMES), None)
    readme_html = readme_plain = None
    if readme is not None and (readme.size or 0) <= SHOW_LIMIT:
        def text(sha: str = readme.sha) -> str:
            return reading.blob_head(path, sha, SHOW_LIMIT).decode("utf-8", "replace")
        if readme.name.lower().endswith((".md", ".markdown")):
            readme_html = Markup(rendering.markdown(readme.sha, text, 2,
                                                    base_url(current_app.config)))
        else:
            readme_plain = text()
    return render_template("git/tree.html", project=project, ref=ref, sha=sha, subpath=subpath,
                           entries=entries, crumbs=_crumbs(subpath), readme=readme,
                           readme_html=readme_html, readme_plain=readme_plain)


@bp.route("/tree")
def tree_default(slug: str):
    project, path = _open(slug)
    if reading.is_empty(path):
        return _empty(project, "code")
    return tree(slug, project.default_branch)


def _empty(project, tab: str) -> str:
    """A repository with no commits yet: how to make the first push."""
    return render_template("git/empty.html", project=project, tab=tab,
                           clone_url=absolute_url("projects.show", slug=project.slug) + ".git")


def _file(path: Path, spec: str) -> tuple[str, str, str, str, int]:
    """(ref, commit id, path, blob id, size) of the file the URL names."""
    ref, sha, subpath = _locate(path, spec)
    try:
        blob_sha, kind, size = reading.object_at(path, sha, subpath)
    except NotInRepository as error:
        abort(404, description=str(error))
    if kind != "blob" or not subpath:
        abort(404, description=f"{subpath or '/'} is a folder; see it at its tree page.")
    return ref, sha, subpath, blob_sha, size


@bp.route("/blob/<path:spec>")
def blob(slug: str, spec: str):
    project, path = _open(slug)
    ref, sha, subpath, blob_sha, size = _file(path, spec)
    head = reading.blob_head(path, blob_sha, min(size, SHOW_LIMIT) + 1)
    binary = b"\0" in head[:8000]
    too_large = size > SHOW_LIMIT
    shown = None
    wait = 0   # seconds before this client may ask for highlighting again
    if not binary and not too_large:
        text = head.decode("utf-8", "replace")
        if size > HIGHLIGHT_LIMIT:
            shown = rendering.Blob(rendering.plain(text), False, False)
        else:
            # Past BLOB_HIGHLIGHT_BYTES the first view is plain (fast) unless
            # someone asked before (cached) or the reader asks (?highlight=1),
            # which is counted per client: it costs up to half a second.
            shown = rendering.blob(blob_sha, subpath, text, highlight=size <= current_app
                                   .config["BLOB_HIGHLIGHT_BYTES"])
            if (request.args.get("highlight") == "1" and not shown.highlighted
                    and shown.can_highlight):
                wait = _highlighting_refused()
                if not wait:
                    shown = rendering.blob(blob_sha, subpath, text, highlight=True)
    page = render_template("git/blob.html", project=project, ref=ref, sha=sha, subpath=subpath,
                           crumbs=_crumbs(subpath), size=size, binary=binary,
                           too_large=too_large, shown=shown, wait=wait,
                           code=Markup(shown.html) if shown else None)
    return (page, 429, {"Retry-After": str(wait)}) if wait else page


def _highlighting_refused() -> int:
    """Count one highlighting of a large file for this client against
    BLOB_HIGHLIGHT_RATE_LIMIT: 0 if allowed, else the seconds to wait."""
    item = parse_limit(current_app.config["BLOB_HIGHLIGHT_RATE_LIMIT"])
    client = request.remote_addr or "unknown"
    try:
        if limiter.limiter.hit(item, "blob-highlight", client):
            return 0
        reset = limiter.limiter.get_window_stats(item, "blob-highlight", client).reset_time
    except Exception:  # noqa: BLE001 - each storage client raises its own errors
        # The limiter's storage failing must not cost the page; it falls
        # back to counting in memory by itself on the next requests.
        log.warning("Could not count a highlighting; highlighting anyway", exc_info=True)
        return 0
    return max(1, math.ceil(reset - time.time()))


@bp.route("/raw/<path:spec>")
def raw(slug: str, spec: str):
    _, path = _open(slug)
    _, _, subpath, blob_sha, size = _file(path, spec)
    binary = b"\0" in reading.blob_head(path, blob_sha, 8000)
    response = Response(reading.stream(path, "cat-file", "blob", blob_sha))
    # Nothing from a repository renders in our origin: text is text/plain,
    # everything else a download, and a sandbox CSP if a browser tries.
    if binary:
        response.mimetype = "application/octet-stream"
        response.headers["Content-Disposition"] = \
            f"attachment; filename*=UTF-8''{_quote(subpath.rsplit('/', 1)[-1])}"
    else:
        response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.headers["Content-Length"] = str(size)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.route("/commits/<path:spec>")
def commits(slug: str, spec: str):
    project, path = _open(slug)
    ref, sha, subpath = _locate(path, spec)
    after = request.args.get("after", "")
    start: str | None = sha
    if after:
        if not reading.is_commit_id(after):
            abort(404, description="?after= takes a full commit id from the previous page.")
        try:
            start = reading.parent(path, after)  # None after the root commit
        except NotInRepository:
            start = None  # no such commit: nothing after it
    entries = path_index.log_page(db.session, project.id, path, start, subpath, PAGE + 1) \
        if start else []
    more = len(entries) > PAGE
    return render_template("git/commits.html", project=project, ref=ref, sha=sha,
                           subpath=subpath, crumbs=_crumbs(subpath),
                           rows=history_rows.rows(project.slug, entries[:PAGE]),
                           next_after=entries[PAGE - 1].sha if more else None, after=after)


@bp.route("/commits")
def commits_default(slug: str):
    project, path = _open(slug)
    if reading.is_empty(path):
        return _empty(project, "commits")
    return commits(slug, project.default_branch)


@bp.app_template_global("line_anchor")
def _line_anchor(path: str, side: str, line: int) -> str:
    """Templates build the same line ids as the code (see diff_rules)."""
    return line_anchor(path, side, line)  # type: ignore[arg-type]


bp.add_app_template_global(diffing.hunk_rows, "diff_hunk_rows")


@bp.route("/commit/<sha>")
def commit(slug: str, sha: str):
    project, path = _open(slug)
    if not reading.is_commit_id(sha):
        abort(404, description="A commit page takes a full commit id.")
    try:
        # The metadata only: the diff is read below, within the page's caps.
        view = reading.read_commit(path, sha)
    except (NotInRepository, ValueError):
        abort(404, description=f"There is no commit {sha} in {project.name}.")
    base = view.entry.parents[0] if view.entry.parents else _empty_tree(path)
    change = rendering.change(path, base, sha, diffing.caps_from(current_app.config))
    return render_template("git/commit.html", project=project, view=view, change=change)


def _empty_tree(path: Path) -> str:
    """The id of the empty tree (what a first commit is compared with)."""
    return reading.git(path, "hash-object", "-t", "tree", "--stdin", input=b"").decode().strip()


@bp.route("/commit/<sha>.patch")
def patch(slug: str, sha: str):
    _, path = _open(slug)
    if not reading.is_commit_id(sha):
        abort(404, description="A patch takes a full commit id.")
    if not reading.has_commit(path, sha):
        abort(404, description=f"There is no commit {sha}.")
    # Counted first, sent second: a patch is refused whole rather than cut
    # off where a reader could take it for complete.
    limit = current_app.config["MAX_PATCH_BYTES"]
    command = ("format-patch", "-1", "--stdout", sha)
    if reading.output_exceeds(path, limit, *command):
        return Response(f"This patch is over {limit} bytes, more than the server sends "
                        f"(COMMONS_MAX_PATCH_BYTES). Clone the repository and run "
                        f"`git format-patch -1 {sha}` to get it.\n", 413, mimetype="text/plain",
                        headers={"X-Content-Type-Options": "nosniff"})
    return Response(reading.stream(path, *command),
                    mimetype="text/plain", headers={"X-Content-Type-Options": "nosniff"})


@bp.route("/branches")
def branches(slug: str):
    project, path = _open(slug)
    shown, following = _ref_page(slug, "branches", reading.refs(path, "heads"))
    # A branch already proposed links to its proposal instead of offering another.
    proposed = {p.details.get("branch"): p.number for p in governance.list_proposals(
        db.session, project, status="open", limit=500) if p.kind == "merge" and p.details}
    return render_template("git/refs.html", project=project, kind="branches", refs=shown,
                           rows=ref_rows.rows(project.slug, project.default_branch, "branches",
                                              shown, proposed),
                           following=following, later=bool(request.args.get("after")))


@bp.route("/tags")
def tags(slug: str):
    project, path = _open(slug)
    shown, following = _ref_page(slug, "tags", reading.refs(path, "tags"))
    return render_template("git/refs.html", project=project, kind="tags", refs=shown,
                           rows=ref_rows.rows(project.slug, project.default_branch, "tags",
                                              shown, {}),
                           following=following, later=bool(request.args.get("after")))


def _ref_page(slug: str, kind: str, refs: list[reading.Ref]
              ) -> tuple[list[reading.Ref], str | None]:
    """The page of *refs* the request's ``after`` cursor asks for, and the
    next page's address (None on the last)."""
    cursor = request.args.get("after")
    try:
        after = paging.decode(cursor, (int, str)) if cursor else None
    except paging.BadCursor as problem:
        abort(400, description=problem.message)
    shown, next_key = ref_lists.page(refs, after)
    following = url_for(f"browse.{kind}", slug=slug, after=paging.encode(next_key)) \
        if next_key else None
    return shown, following


@bp.route("/archive/<path:spec>")
def archive(slug: str, spec: str):
    project, path = _open(slug)
    suffix = next((s for s in ARCHIVES if spec.endswith(s)), None)
    if suffix is None:
        abort(404, description="Archives are .tar.gz or .zip.")
    fmt, mimetype = ARCHIVES[suffix]
    ref = spec[: -len(suffix)]
    try:
        sha = reading.resolve_commit(path, ref)
    except NotInRepository:
        abort(404, description=f"There is no branch, tag or commit {ref!r}.")
    name = f"{project.slug}-{ref.replace('/', '-')}"
    try:
        output = reading.stream(path, "-c", "tar.tar.gz.command=gzip -cn", "archive",
                                f"--format={fmt}", f"--prefix={name}/", sha)
    except NotInRepository as error:
        abort(404, description=f"git could not archive {ref}: {error}")
    return Response(
        output,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quote(name + suffix)}"})


COMPARE_COMMITS = 250   # commits listed on a compare page (the count is always exact)


def _compare_ends(path: Path, spec: str) -> tuple[str, str, str, str]:
    """(base name, head name, base commit, head commit) of "base...head";
    the base commit is where head left base (their merge base), so the
    page shows what head brings, as GitHub's three dots do."""
    base_name, dots, head_name = spec.partition("...")
    if not dots or not base_name or not head_name:
        abort(404, description="Compare two refs as /compare/<base>...<head>, "
                               "e.g. /compare/main...my-branch.")
    ends = []
    for name in (base_name, head_name):
        try:
            ends.append(reading.resolve_commit(path, name))
        except NotInRepository:
            abort(404, description=f"There is no branch, tag or commit {name!r} to compare. "
                                   f"Check the name on the Branches page.")
    base = diffing.merge_base(path, ends[0], ends[1])
    if base is None:
        abort(404, description=f"{base_name} and {head_name} share no history, so there is "
                               f"nothing to compare.")
    return base_name, head_name, base, ends[1]


@bp.route("/compare/<path:spec>")
def compare(slug: str, spec: str):
    if spec.endswith(".patch"):
        return compare_patch(slug, spec.removesuffix(".patch"))
    project, path = _open(slug)
    base_name, head_name, base, head = _compare_ends(path, spec)
    change = rendering.change(path, base, head, diffing.caps_from(current_app.config))
    return render_template(
        "git/compare.html", project=project, base_name=base_name, head_name=head_name,
        change=change, commits=diffing.commits_between(path, base, head, COMPARE_COMMITS),
        commit_count=diffing.count_commits(path, base, head),
        patch_url=url_for("browse.compare", slug=slug, spec=f"{spec}.patch"))


def compare_patch(slug: str, spec: str):
    """The commits base...head brings as one mbox (git format-patch), cut at
    MAX_PATCH_BYTES with a last line that says so."""
    _, path = _open(slug)
    _, _, base, head = _compare_ends(path, spec)
    limit = current_app.config["MAX_PATCH_BYTES"]
    pieces = reading.stream(path, "format-patch", "--stdout", "--no-color", f"{base}..{head}")

    def capped():
        sent = 0
        for piece in pieces:
            if sent + len(piece) > limit:
                yield piece[:limit - sent]
                yield (f"\n-- cut here: this patch is over {limit} bytes, more than the server "
                       f"sends (COMMONS_MAX_PATCH_BYTES). Clone the repository and run "
                       f"`git format-patch {base}..{head}` to get it all.\n").encode()
                pieces.close()
                return
            sent += len(piece)
            yield piece

    return Response(capped(), mimetype="text/plain",
                    headers={"X-Content-Type-Options": "nosniff"})


def _quote(name: str) -> str:
    return quote(name, safe="")
