"""The git domain's jobs: the one path by which moved refs become push
records (``git.reconcile``), and the care of the repositories (sweeping
what crashed pushes leave, git's own maintenance, commit-graphs, pruning)."""

import logging
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from huey import crontab

from commons import clock
from commons.extensions import db
from commons.git import path_index, path_rules, pruning, reading, reconcile, runner, sweeping
from commons.git.repositories import repository_path
from commons.jobs import enqueue, job
from commons.projects.models import Project

log = logging.getLogger(__name__)


@job("git.reconcile")
def reconcile_project(project_id: int) -> None:
    """Record, index and announce what git's reflogs show of project
    *project_id* that has no push record yet (enqueued after each push and
    each decision that moves a ref); then bring the commit-graph and its
    Bloom filters up to date if commits came or it has none, and the path
    index up to the default branch's tip."""
    project = db.session.get(Project, project_id)
    if project is None:
        return  # deleted since
    path = repository_path(current_app.config["REPOS_DIR"], project.slug)
    result = reconcile.reconcile(db.session, project_id, path, clock.now(),
                                 slack=int(current_app.config["GIT_RECONCILE_SLACK"]),
                                 wall=time.time())
    if result.recorded:
        log.info("%s: %d push(es) recorded from the reflogs", project.slug, result.recorded)
    if result.recorded or (path.is_dir() and not sweeping.has_changed_paths(path)
                           and not reading.is_empty(path)):
        # New commits, or a repository without Bloom filters (new, or a
        # backup restored without its commit-graph): a file's history wants
        # them. In this job, not one of its own, so the push's follow-up is
        # one job; a new layer of a few commits costs milliseconds.
        sweeping.write_commit_graph(path)
    _index_paths(project_id, path)
    if result.failed:
        # Raised so the queue tries again later; what was done stands.
        raise RuntimeError(f"{result.failed} push(es) of {project.slug} could not be indexed")


def _index_paths(project_id: int, path: Path) -> None:
    """The path index up to the default branch's tip, in a transaction of
    its own: the push records above stand whatever happens here, and a
    failure leaves the index as it was (a file's history asks git then)."""
    project = db.session.get(Project, project_id)
    if project is None:
        return
    try:
        indexed = path_index.update(db.session, project_id, path, project.default_branch)
        db.session.commit()
    except (runner.GitError, path_rules.Unreadable, path_index.Moved,
            sa.exc.SQLAlchemyError) as error:
        db.session.rollback()
        log.warning("%s: the path index was not brought up to date: %s", path.name, error)
        return
    if indexed:
        log.info("%s: %d commit(s) added to the path index", path.name, indexed)


@job("git.reconcile_all", periodic=crontab(minute="*/5"), at_start=True)
def reconcile_all() -> None:
    """Every few minutes and whenever a worker starts: reconcile every
    project, so a push whose web worker, database or host died after git
    accepted it is recorded all the same."""
    for project_id in db.session.scalars(sa.select(Project.id).order_by(Project.id)).all():
        enqueue("git.reconcile", project_id=project_id)


@job("git.sweep", periodic=crontab(minute="*/15"))
def sweep() -> None:
    """Remove what crashed pushes left behind once COMMONS_GIT_QUARANTINE_GRACE
    has passed: git's quarantine folders, proposals' incoming refs, and the
    push-log files of earlier versions."""
    grace = int(current_app.config["GIT_QUARANTINE_GRACE"])
    repos_dir = Path(current_app.config["REPOS_DIR"])
    swept = sweeping.sweep(repos_dir, grace, sweeping.file_system_now(repos_dir))
    if swept:
        log.info("swept %d leftover(s) of crashed pushes", swept)


@job("git.maintain", periodic=crontab(hour="3", minute="17"))
def maintain() -> None:
    """Daily: git's own upkeep of each repository (``git maintenance run
    --auto``: packs loose objects once there are many), then pruning what
    no branch or tag holds once COMMONS_GIT_PRUNE_GRACE has passed (as
    ``flask git prune``)."""
    root = Path(current_app.config["REPOS_DIR"])
    for path in sorted(root.glob("*.git")):
        sweeping.maintain(path)
    cutoff = clock.now() - timedelta(seconds=int(current_app.config["GIT_PRUNE_GRACE"]))
    for slug, outcome in pruning.prune_projects(db.session, current_app.config["REPOS_DIR"],
                                                cutoff):
        if isinstance(outcome, Exception):
            log.warning("%s: not pruned: %s", slug, outcome)
