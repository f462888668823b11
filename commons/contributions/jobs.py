"""The contributor records' jobs."""

from flask import current_app

from commons.contributions import services
from commons.extensions import db
from commons.git.repositories import repository_path
from commons.jobs import job
from commons.projects import services as projects


@job("contributions.reindex")
def reindex(slug: str) -> None:
    """Rebuild *slug*'s git-derived records (as `contributions reindex`)."""
    project = projects.get_project(db.session, slug, with_members=False)
    services.reindex(db.session, project, repository_path(current_app.config["REPOS_DIR"], slug))
    db.session.commit()
