"""Changes read through one long-lived ``git diff-tree --stdin`` per
repository and worker, as objects are through ``catfile``: starting a git
was most of what a small change's first view cost (a merge of three
one-line changes: 2-3 ms of starting git for well under 1 ms of diffing).

Each question is a line ``<head> <base>`` (two commit ids: diff-tree
compares the first with the second as its parent), followed by a line
that is no object id, which diff-tree writes back once the answer is out:
that line ends the answer. It holds a random word of the process, so no
file name in a repository can forge it. The answer is the summary
(``--numstat -z``) and then the patch, as ``diffing`` reads from a git of
its own. An answer longer than the caller's bound is not read to its end:
the process is closed (its answer would still be coming) and the caller
asks a git of its own, which it can stop at the caps."""

import re
import secrets
from pathlib import Path

from commons.git import catfile

_ID = re.compile(rb"[0-9a-f]{40}(?:[0-9a-f]{24})?")


class DiffTree(catfile.Reader):
    """One ``git diff-tree --stdin`` with the options of ``diffing._DIFF``."""

    ARGS = ("-c", "core.quotePath=true", "-c", "diff.noprefix=false",
            "-c", "diff.mnemonicPrefix=false", "-c", "diff.renameLimit=2000",
            "diff-tree", "--stdin", "--no-commit-id", "-r", "-M", "--numstat", "-z", "-p",
            "--no-color", "--no-ext-diff", "--no-textconv", "--src-prefix=a/", "--dst-prefix=b/")
    FLUSH = b""   # diff-tree answers each line as it comes

    def __init__(self, path: Path, key: tuple[int, ...]):
        super().__init__(path, key)
        self._end = b"~commons-end-" + secrets.token_hex(16).encode() + b"~\n"

    def change(self, base: str, head: str, bound: int) -> bytes | None:
        """git's answer for the change from commit *base* to commit *head*,
        or None when it is longer than *bound* bytes."""
        ids = (head.encode(), base.encode())
        if not all(_ID.fullmatch(one) for one in ids):
            raise catfile.NotFound(f"{base!r} or {head!r} is not a commit id")
        question = b"%s %s\n" % ids + self._end

        def exchange() -> bytes | None:
            self._send(question)
            pending, searched = self._pending, 0
            while True:
                at = pending.find(self._end, searched)
                if at >= 0 and (at == 0 or pending[at - 1] in b"\n\0"):
                    answer = bytes(pending[:at])
                    del pending[:at + len(self._end)]
                    return answer if len(answer) <= bound else None
                if at >= 0:
                    searched = at + 1
                    continue
                if len(pending) > bound:
                    self.close()   # the rest is still coming: this process is done
                    return None
                searched = max(0, len(pending) - len(self._end))
                self._fill()

        return self._retried(exchange)


_processes = catfile.registry(DiffTree)


def change(path: Path, base: str, head: str, bound: int) -> bytes | None:
    """``DiffTree.change`` through this worker's process for *path*."""
    with catfile.locked(path, _processes) as process:
        assert isinstance(process, DiffTree)
        return process.change(base, head, bound)
