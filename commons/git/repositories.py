"""Bare repositories on disk, one ``<slug>.git`` per project."""

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path

import git
from gitdb import IStream


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
        repo = git.Repo.init(staging, bare=True, initial_branch=branch)
        with repo:
            sha = _first_commit(repo, files, author=author, message=message,
                                when=when, branch=branch)
        os.rename(staging, path)
    except (OSError, git.GitError) as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise RepositoryError(str(error)) from error
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sha


def remove_repository(path: Path) -> None:
    """Delete a repository folder (used to undo a creation)."""
    shutil.rmtree(path, ignore_errors=True)


def read_file(path: Path, ref: str, name: str) -> bytes | None:
    """The bytes of *name* at *ref*, or None when either is missing."""
    try:
        with git.Repo(path) as repo:
            blob = repo.commit(ref).tree / name
            return blob.data_stream.read()
    except (git.exc.GitError, git.exc.ODBError, KeyError, ValueError):  # ODBError: no such ref
        return None


def _first_commit(repo: git.Repo, files: dict[str, bytes], *, author: Identity,
                  message: str, when: datetime, branch: str) -> str:
    entries = []
    for name in sorted(files):
        blob = repo.odb.store(IStream("blob", len(files[name]), BytesIO(files[name])))
        entries.append(b"100644 " + name.encode() + b"\0" + blob.binsha)
    tree_data = b"".join(entries)
    tree = repo.odb.store(IStream("tree", len(tree_data), BytesIO(tree_data)))
    actor = git.Actor(author.name, author.email)
    stamp = f"{int(when.timestamp())} +0000"  # git's raw format
    commit = git.Commit.create_from_tree(
        repo, git.Tree(repo, tree.binsha), message, parent_commits=[], head=False,
        author=actor, committer=actor, author_date=stamp, commit_date=stamp,
    )
    repo.git.update_ref(f"refs/heads/{branch}", commit.hexsha, "")
    return commit.hexsha
