"""Forgetting what no branch or tag holds any more: commits force-pushed
away, and the objects only they used, once a grace period has passed.

git serves any object it has to a protocol v2 fetch by id, and the commit
pages show any commit in the repository, so removing the objects is the only
way to stop serving them. Commits an open proposal pins are kept by refs
under ``refs/commons/pinned/``, which the transport hides from clients."""

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.git import catfile, reading, runner
from commons.git.repositories import repository_path
from commons.governance.queries import pinned_commits
from commons.projects.models import Project

PINNED = "refs/commons/pinned/"


class PruneError(RuntimeError):
    """git could not prune the repository; the message says why."""


@dataclass(frozen=True)
class Pruned:
    objects_before: int
    objects_after: int


def git_date(moment: datetime) -> str:
    """*moment* as git's date parser reads it, to the second, in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +0000")


def prune(path: Path, cutoff: datetime, keep: Iterable[str] = ()) -> Pruned:
    """Drop every object of the repository at *path* that no branch, tag or
    commit in *keep* reaches and that was written before *cutoff*; reflog
    entries of such commits expire first, so they keep nothing alive."""
    before = _object_count(path)
    _pin(path, set(keep))
    when = git_date(cutoff)
    # git keeps a reflog entry stamped in the cut-off's own second but drops
    # an object written then; one second on, both mean "up to the cut-off".
    entries_before = git_date(cutoff + timedelta(seconds=1))
    _git(path, "reflog", "expire", f"--expire-unreachable={entries_before}", "--all")
    # gc packs what is reachable, loosens what is not but newer than the
    # cut-off, and deletes the rest; it also takes git's own gc lock. No time
    # limit: only the command line waits for it, never a web request.
    _git(path, "-c", f"gc.reflogExpireUnreachable={entries_before}", "gc", "--quiet",
         f"--prune={when}", timeout=None)
    catfile.packs_changed(path)  # the web workers' readers forget what was dropped
    return Pruned(before, _object_count(path))


def prune_projects(session: Session, repos_dir: str | os.PathLike, cutoff: datetime
                   ) -> Iterator[tuple[str, Pruned | Exception]]:
    """Prune every project's repository (as ``prune``), keeping what its
    open merge proposals pin: each slug with its outcome, a PruneError or a
    missing repository's FileNotFoundError included."""
    for project in session.scalars(sa.select(Project).order_by(Project.slug)).all():
        path = repository_path(repos_dir, project.slug)
        if not path.is_dir():
            yield project.slug, FileNotFoundError(f"no repository at {path}")
            continue
        try:
            yield project.slug, prune(path, cutoff, pinned_commits(session, project))
        except PruneError as error:
            yield project.slug, error


def _pin(path: Path, commits: set[str]) -> None:
    """Make ``refs/commons/pinned/`` hold exactly *commits* (those still in
    the repository): a pin outlives this run, so git's automatic gc after a
    push keeps them too."""
    present = _git(path, "for-each-ref", "--format=%(refname)", PINNED).split()
    existing = {c for c in commits if reading.has_commit(path, c)}
    wanted = {PINNED + sha: sha for sha in existing}
    lines = [f"delete {ref}" for ref in present if ref not in wanted]
    lines += [f"update {ref} {sha}" for ref, sha in sorted(wanted.items())]
    if lines:
        _git(path, "update-ref", "--stdin", input="\n".join(lines) + "\n")


def _object_count(path: Path) -> int:
    counts = dict(line.split(": ", 1) for line in
                  _git(path, "count-objects", "-v").splitlines() if ": " in line)
    return int(counts.get("count", 0)) + int(counts.get("in-pack", 0))


def _git(path: Path, *args: str, input: str | None = None,
         timeout: float | None = runner.TIMEOUT) -> str:
    try:
        return runner.output(path, *args, input=input, timeout=timeout)
    except runner.GitError as error:
        raise PruneError(str(error)) from error
