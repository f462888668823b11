"""Real git history for the demo: commits made with the git command line in
a temporary clone and pushed into a project's bare repository, as a
person's ``git push`` would bring them."""

import os
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

from commons.demo.data import Change, Person
from commons.git.pktline import RefUpdate

ZERO = "0" * 40


class Clone:
    """A working copy of a bare repository in *workdir*."""

    def __init__(self, bare: Path, workdir: Path) -> None:
        self.bare = bare
        self.path = workdir / bare.stem
        # The person's own git configuration (signing, hooks, templates)
        # stays out of the demo's history.
        self.env = {key: value for key, value in os.environ.items()
                    if not key.startswith("GIT_")}
        self.env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
                        GIT_TERMINAL_PROMPT="0")
        self._git("clone", "--quiet", str(bare), str(self.path), cwd=workdir)

    def start_branch(self, branch: str, base: str = "main") -> None:
        """Check out a new *branch* from the bare repository's *base*."""
        self._git("fetch", "--quiet", "origin")
        self._git("checkout", "--quiet", "-B", branch, f"origin/{base}")

    def commit(self, change: Change, people: dict[str, Person], now: datetime) -> str:
        """Write *change*'s files and commit them as its author, dated
        *change.days_ago* before *now*; return the commit id."""
        for name, text in change.files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, "utf-8")
        author = people[change.author]
        message = change.message
        if change.co_authors:
            trailers = "\n".join(f"Co-authored-by: {people[u].name} <{people[u].email}>"
                                 for u in change.co_authors)
            message += f"\n\n{trailers}"
        stamp = f"@{int((now - timedelta(days=change.days_ago)).timestamp())} +0000"
        identity = {"GIT_AUTHOR_NAME": author.name, "GIT_AUTHOR_EMAIL": author.email,
                    "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_NAME": author.name,
                    "GIT_COMMITTER_EMAIL": author.email, "GIT_COMMITTER_DATE": stamp}
        self._git("add", "--all")
        self._git("commit", "--quiet", "--no-verify", "-m", message, extra=identity)
        return self._git("rev-parse", "HEAD")

    def push(self, branch: str) -> RefUpdate:
        """Push *branch* into the bare repository; the ref update it made."""
        ref = f"refs/heads/{branch}"
        old = self._git("rev-parse", "--verify", "--quiet", ref, cwd=self.bare,
                        check=False) or ZERO
        self._git("push", "--quiet", "origin", f"HEAD:{ref}")
        return RefUpdate(old, self._git("rev-parse", "HEAD"), ref)

    def push_to(self, ref: str) -> str:
        """Push HEAD to *ref* of the bare repository (any ref, not only a
        branch: an outside proposal's commits travel under their own);
        return the commit id pushed."""
        self._git("push", "--quiet", "--force", "origin", f"HEAD:{ref}")
        return self._git("rev-parse", "HEAD")

    def drop_ref(self, ref: str) -> None:
        """Delete *ref* from the bare repository."""
        self._git("update-ref", "-d", ref, cwd=self.bare)

    def _git(self, *args: str, cwd: Path | None = None, extra: dict | None = None,
             check: bool = True) -> str:
        result = subprocess.run(["git", *args], cwd=cwd or self.path, capture_output=True,
                                text=True, env={**self.env, **(extra or {})})
        if check and result.returncode != 0:
            raise RuntimeError(f"git {args[0]} failed: {result.stderr.strip()}")
        return result.stdout.strip()
