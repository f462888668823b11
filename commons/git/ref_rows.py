"""The branches and tags pages' rows, each kept per worker by everything it
shows, so a repeat view, or the first view after a push, renders only the
rows that changed instead of a hundred (six links each).

A row shows its ref (name, commit, subject, date), the links' prefix (the
site's root and the project), the default branch (marked, and compared
with), the proposal open for a branch, the viewer's time zone (the exact
time as a tooltip) and the date relative to now. All of it is in the key,
the relative time worked out first, so a kept row is never stale: once
"3 hours ago" moves on, the key is another and the old one ages out."""

from collections.abc import Mapping
from types import SimpleNamespace

from flask import current_app, request
from markupsafe import Markup

from commons import times
from commons.git.history_rows import Kept
from commons.git.reading import Ref
from commons.urls import urls_for
from commons.web import VIEWER_CLOCK, ViewerClock, viewer_clock

EXTENSION = "commons.git.ref_rows"
# About 850 characters a row; a longer row (a long subject) is rendered
# each time: 16 MB per worker at most.
KEPT_ROWS = 4096
KEPT_ROW_CHARACTERS = 4096


def rows(slug: str, default_branch: str, kind: str, refs: list[Ref],
         proposed: Mapping[str | None, int]) -> Markup:
    """The ``<tr>`` of each of *refs* ("branches" or "tags" of project
    *slug*) as git/_ref_row.html renders them; *proposed* maps a branch to
    its open merge proposal's number."""
    zone, now = viewer_clock()
    page = (kind, request.script_root, slug, default_branch, zone)
    keys = [page + (ref, times.relative(ref.committed_at, now), proposed.get(ref.name))
            for ref in refs]
    # Kept per app: each has its own templates (the tests make many apps).
    kept = current_app.extensions.get(EXTENSION) or \
        current_app.extensions.setdefault(EXTENSION, Kept(KEPT_ROWS))
    shown = [kept.get(key) for key in keys]
    if None in shown:
        links = SimpleNamespace(
            tree=urls_for("browse.tree", "spec", slug=slug),
            commit=urls_for("browse.commit", "sha", slug=slug),
            archive=urls_for("browse.archive", "spec", slug=slug),
            compare=urls_for("browse.compare", "spec", slug=slug),
            propose=urls_for("governance.new", "branch", slug=slug, kind="merge"))
        # Rendered against the same clock the keys were made with.
        module = current_app.jinja_env.get_template("git/_ref_row.html").make_module({
            "kind": kind, "slug": slug, "default_branch": default_branch, "links": links,
            VIEWER_CLOCK: ViewerClock((zone, now))})
        row = module.row  # type: ignore[attr-defined]  # the template's macro
        for index, (ref, key) in enumerate(zip(refs, keys, strict=True)):
            if shown[index] is None:
                made = Markup(row(ref, key[-1]))
                if len(made) <= KEPT_ROW_CHARACTERS:
                    kept.put(key, made)
                shown[index] = made
    return Markup("").join(shown)
