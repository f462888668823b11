"""/search: one box, every kind of thing, grouped, matched words marked."""

from pathlib import Path

import sqlalchemy as sa
from flask import abort, current_app, render_template, request

from commons.extensions import db
from commons.projects.models import Project
from commons.search import bp, rules, services
from commons.search.code import MIN_CHARS
from commons.search.throttle import code_search_allowed


@bp.route("/search")
def search():
    raw = request.args.get("q", "")
    project = None
    if slug := request.args.get("project", "").strip():
        project = db.session.scalar(sa.select(Project).where(Project.slug == slug))
        if project is None:
            abort(404, description=f"No project is called {slug!r}; search everywhere instead.")
    wants_code = len(raw.strip()) >= MIN_CHARS
    code_allowed = wants_code and code_search_allowed()
    results = services.search(db.session, raw, services.Settings.from_config(current_app.config),
                              project=project,
                              repos_dir=Path(current_app.config["REPOS_DIR"]) if code_allowed
                              else None)
    return render_template("search/results.html", results=results, query=results.query,
                           code_limited=wants_code and not code_allowed,
                           raw=raw, project=project, highlight=rules.highlight,
                           snippet=rules.snippet, literal=rules.literal_highlight,
                           code_min_chars=MIN_CHARS)
