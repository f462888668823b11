"""Bare repositories on disk, one ``<slug>.git`` per project."""

import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from commons.git import catfile, runner

# Files up to this size are read through the worker's cat-file (catfile).
_READ_FILE_LIMIT = 4 * 1024 * 1024

# Every ref write keeps a reflog entry, which git writes in the same ref
# transaction, before it reports success: the durable record of who moved
# what that commons.git.reconcile turns into push records. Given on each
# command that writes refs and kept in each repository's config, so a
# repository made before the rule (or restored from a backup) follows it.
LOG_ALL_REF_UPDATES = ("-c", "core.logAllRefUpdates=always")
# Who moved a ref is said in the reflog entry's committer address:
# <user id or "platform">.<nonce>@push.commons.invalid; the nonce groups the
# entries of one push (or one decision's move).
MOVER_DOMAIN = "push.commons.invalid"


def mover_env(user_id: int | None, name: str) -> dict[str, str]:
    """The environment that makes git's reflog entries name who moved the
    refs (*user_id*, None for the platform itself) with a fresh nonce."""
    who = "platform" if user_id is None else str(int(user_id))
    return {"GIT_COMMITTER_NAME": name or "commons",
            "GIT_COMMITTER_EMAIL": f"{who}.{secrets.token_hex(16)}@{MOVER_DOMAIN}"}


def keep_reflogs(path: Path) -> None:
    """Make every ref update of the repository at *path* keep a reflog entry
    (bare repositories keep none by default)."""
    if runner.run(path, "config", "--get", "core.logAllRefUpdates", ok=None
                  ).stdout.strip() != b"always":
        runner.run(path, "config", "core.logAllRefUpdates", "always")


class RepositoryError(RuntimeError):
    """The repository could not be created or found."""


@dataclass(frozen=True)
class Identity:
    name: str
    email: str


def repository_path(repos_dir: str | os.PathLike, slug: str) -> Path:
    """Where the bare repository of *slug* lives; never outside *repos_dir*."""
    root = Path(repos_dir).resolve()
    path = (root / f"{slug}.git").resolve()
    if path.parent != root:
        raise RepositoryError(f"refusing a repository path outside {root}: {slug!r}")
    return path


def create_repository(path: Path, files: dict[str, bytes], *, author: Identity,
                      message: str, when: datetime, branch: str = "main") -> str:
    """Create a bare repository at *path* whose first commit on *branch*
    holds *files*; return the commit id.

    The repository is built in a temporary folder beside *path* and renamed
    into place, so a failure leaves nothing behind and a reader never sees a
    half-made repository.
    """
    if path.exists():
        raise RepositoryError(f"a repository already exists at {path}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{path.name}-", dir=path.parent))
    except OSError as error:
        raise RepositoryError(f"cannot write in {path.parent}: {error.strerror}") from error
    try:
        runner.run(staging, "init", "--quiet", "--bare", f"--initial-branch={branch}")
        sha = _first_commit(staging, files, author=author, message=message, when=when,
                            branch=branch)
        # After the first commit: the project's creation indexes it, it is
        # no push.
        keep_reflogs(staging)
        os.rename(staging, path)
    except (OSError, runner.GitError) as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise RepositoryError(str(error)) from error
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sha


def remove_repository(path: Path) -> None:
    """Delete a repository folder (used to undo a creation)."""
    catfile.readers.forget(path)
    shutil.rmtree(path, ignore_errors=True)


def read_file(path: Path, ref: str, name: str) -> bytes | None:
    """The bytes of *name* at *ref*, or None when either is missing."""
    try:
        found = catfile.info(path, f"{ref}:{name}")
        if found is None or found.kind != "blob":
            return None
        if found.size <= _READ_FILE_LIMIT:
            read = catfile.contents(path, found.sha)
            return read[1] if read is not None else None
    except (catfile.NotFound, OSError):
        return None
    # A large file: streamed by a git of its own, not through cat-file.
    return runner.run(path, "cat-file", "blob", found.sha).stdout


def _first_commit(path: Path, files: dict[str, bytes], *, author: Identity,
                  message: str, when: datetime, branch: str) -> str:
    # The objects are written as they are, not through `git commit`, which
    # would tidy the author's name and the message on its own terms.
    def store(kind: str, data: bytes) -> str:
        return runner.output(path, "hash-object", "-t", kind, "-w", "--stdin",
                             input=data).strip()

    tree = store("tree", b"".join(
        b"100644 " + name.encode() + b"\0" + bytes.fromhex(store("blob", files[name]))
        for name in sorted(files)))
    person = f"{author.name} <{author.email}> {int(when.timestamp())} +0000"
    commit = store("commit", f"tree {tree}\nauthor {person}\ncommitter {person}\n\n"
                             f"{message}".encode())
    runner.run(path, "update-ref", f"refs/heads/{branch}", commit, "")
    return commit
