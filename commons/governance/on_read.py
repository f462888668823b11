"""Deciding on read: a project's pages and API answers first decide its
proposals whose window has closed, so one machine needs no scheduler."""

from flask import current_app

from commons import clock
from commons.extensions import db
from commons.governance import services
from commons.projects.models import Project


def decide_due_for(project: Project) -> None:
    """Decide *project*'s due proposals in the request's session: one
    indexed query, and most reads find nothing. Commits what it decides."""
    services.decide_due(db.session, services.Settings.from_config(current_app.config),
                        clock.now(), project.id)
