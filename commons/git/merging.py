"""Changes the platform itself makes to a repository when a decision passes
(a merge, a new LICENSE), and who wrote the lines a merge would change.

Nothing is done in the bare repository's own working state: trees are built
with ``git merge-tree --write-tree`` and ``git mktree``, commits with ``git
commit-tree``, and the branch moves with ``git update-ref NEW OLD``, so a
push that lands meanwhile is never lost (the update then fails and is
retried on the new tip)."""

import functools
import re
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from commons.git import runner
from commons.git.diff_rules import decode, unquote
from commons.git.repositories import LOG_ALL_REF_UPDATES, Identity, mover_env

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@")
COMMONS = Identity("commons", "noreply@commons.invalid")
# Who wrote what is read as the commits say it: git would otherwise follow
# HEAD:.mailmap, which anyone who can push the default branch writes. The
# caller applies the lines the platform trusts (contributions.identities).
_NO_MAILMAP = ("-c", "mailmap.file=", "-c", "mailmap.blob=")


class ChangeError(RuntimeError):
    """The repository change cannot be made (git failed, the branch is gone
    or kept moving); the message says why. Governance turns it into the
    outcome of the decision that asked for the change."""


@dataclass
class MergeResult:
    commit: str | None
    already_merged: bool = False
    conflicts: list[str] = field(default_factory=list)


def _git(path: Path, *args: str, env: dict | None = None, input: bytes | None = None,
         ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[bytes]:
    # A git failure here means the decision cannot be carried out.
    try:
        return runner.run(path, *args, env=env, input=input, ok=ok)
    except runner.GitError as error:
        raise ChangeError(str(error)) from error


def branch_head(path: Path, branch: str) -> str | None:
    result = _git(path, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}",
                  ok=(0, 1))
    return result.stdout.decode().strip() or None


def merge_base(path: Path, a: str, b: str) -> str | None:
    """The best common ancestor of two commits, or None (unrelated histories)."""
    result = _git(path, "merge-base", a, b, ok=(0, 1))
    return result.stdout.decode().strip() or None


def is_ancestor(path: Path, ancestor: str, descendant: str) -> bool:
    return _git(path, "merge-base", "--is-ancestor", ancestor, descendant,
                ok=(0, 1)).returncode == 0


def _commit_env(author: Identity, committer: Identity, when: datetime) -> dict:
    stamp = f"{int(when.timestamp())} +0000"
    return {"GIT_AUTHOR_NAME": author.name, "GIT_AUTHOR_EMAIL": author.email,
            "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_NAME": committer.name,
            "GIT_COMMITTER_EMAIL": committer.email, "GIT_COMMITTER_DATE": stamp}


def _move(path: Path, ref: str, new: str, old: str) -> bool:
    """Move *ref* from *old* to *new*; False if it no longer holds *old*.
    The reflog entry names the platform as the mover, so the reconciler
    records the move as a push by no one (commons.git.reconcile)."""
    return _git(path, *LOG_ALL_REF_UPDATES, "update-ref", "-m", "commons: decision", ref, new,
                old, env=mover_env(None, "commons"), ok=(0, 1, 128)).returncode == 0


def merge(path: Path, target: str, pinned: str, message: str, author: Identity,
          when: datetime, attempts: int = 3, *, committer: Identity = COMMONS) -> MergeResult:
    """Merge exactly *pinned* into branch *target* with a merge commit whose
    message is *message*, by *author*, committed by *committer*. Already
    merged: nothing to do. Conflicts: nothing is changed and the
    conflicting paths are returned."""
    for _ in range(attempts):
        head = branch_head(path, target)
        if head is None:
            raise ChangeError(f"the branch {target} does not exist")
        if is_ancestor(path, pinned, head):
            return MergeResult(None, already_merged=True)
        merged = _git(path, "merge-tree", "--write-tree", "--name-only", "--no-messages",
                      head, pinned, ok=(0, 1))
        lines = merged.stdout.decode("utf-8", "replace").splitlines()
        if merged.returncode == 1:
            return MergeResult(None, conflicts=sorted(set(lines[1:])))
        commit = _git(path, "commit-tree", lines[0], "-p", head, "-p", pinned, "-F", "-",
                      input=message.encode(), env=_commit_env(author, committer, when)
                      ).stdout.decode().strip()
        if _move(path, f"refs/heads/{target}", commit, head):
            return MergeResult(commit)
        # Someone pushed meanwhile: merge again onto the new tip.
    raise ChangeError(f"{target} kept moving while the merge was being made; try again")


def replace_file(path: Path, branch: str, name: str, content: bytes, message: str,
                 author: Identity, when: datetime, attempts: int = 3, *,
                 committer: Identity = COMMONS) -> str:
    """Commit *content* as the top-level file *name* on *branch*; if the
    branch moves meanwhile, build the commit again on its new tip."""
    blob = _git(path, "hash-object", "-w", "--stdin", input=content).stdout.decode().strip()
    for _ in range(attempts):
        head = branch_head(path, branch)
        if head is None:
            raise ChangeError(f"the branch {branch} does not exist")
        current = _git(path, "rev-parse", "--verify", "--quiet", f"{head}:{name}",
                       ok=(0, 1, 128))
        if current.stdout.decode().strip() == blob:
            return head  # already so (a decision carried out twice changes nothing)
        entries = _git(path, "ls-tree", "-z", head).stdout.split(b"\0")
        kept = [entry for entry in entries if entry and entry.split(b"\t", 1)[1] != name.encode()]
        kept.append(b"100644 blob " + blob.encode() + b"\t" + name.encode())
        tree = _git(path, "mktree", "-z", input=b"\0".join(kept) + b"\0").stdout.decode().strip()
        commit = _git(path, "commit-tree", tree, "-p", head, "-F", "-", input=message.encode(),
                      env=_commit_env(author, committer, when)).stdout.decode().strip()
        if _move(path, f"refs/heads/{branch}", commit, head):
            return commit
    raise ChangeError(f"{branch} kept moving while the change was being made; try again")


@dataclass
class Authorship:
    names: dict[str, str]          # email -> name
    lines: dict[str, int]          # email -> lines of theirs the change touches
    complete: bool


def authors_of_changed_lines(path: Path, base: str, head: str, max_files: int = 200,
                             max_lines: int = 20_000, max_file_bytes: int = 1 << 20) -> Authorship:
    """Who wrote, as of *base*, the lines that *head* changes or deletes (by
    git blame), by the addresses the commits carry, no .mailmap applied.
    The work is bounded; *complete* says whether it was all done."""
    # File names from -z output, never parsed out of diff headers (which
    # quote odd names and follow the server's diff settings).
    changed = _git(path, "diff", "--name-only", "-z", "--no-renames", "--diff-filter=MD",
                   base, head).stdout.decode("utf-8", "surrogateescape").split("\0")
    ranges: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for name in [n for n in changed if n][:max_files + 1]:
        hunks = _git(path, "-c", "diff.noprefix=false", "diff", "-U0", "--no-color",
                     "--no-ext-diff", "--no-renames", base, head, "--", f":(literal){name}")
        for raw in hunks.stdout.decode("utf-8", "replace").split("\n"):
            if match := _HUNK.match(raw):
                start, count = int(match.group(1)), int(match.group(2) or 1)
                if count:
                    ranges[name].append((start, start + count - 1))
    names: dict[str, str] = {}
    lines: dict[str, int] = defaultdict(int)
    complete, budget = True, max_lines
    for number, (name, spans) in enumerate(sorted(ranges.items())):
        total = sum(end - start + 1 for start, end in spans)
        size = _git(path, "cat-file", "-s", f"{base}:{name}", ok=(0, 128)).stdout.strip()
        if number >= max_files:
            complete = False
            break
        if number >= max_files or total > budget or not size or int(size) > max_file_bytes:
            complete = False
            continue
        budget -= total
        args = [arg for start, end in spans for arg in ("-L", f"{start},{end}")]
        blame = _git(path, *_NO_MAILMAP, "blame", "--line-porcelain", *args, base, "--", name,
                     ok=(0, 128))
        author = None
        for line in blame.stdout.decode("utf-8", "replace").split("\n"):
            if line.startswith("author "):
                author = line[len("author "):]
            elif line.startswith("author-mail "):
                email = line[len("author-mail "):].strip("<>").lower()
                names.setdefault(email, author or email)
                lines[email] += 1
    return Authorship(names, dict(lines), complete)


def commit_authors(path: Path, branch: str) -> Authorship:
    """Everyone with commits on *branch* (authors and Co-authored-by:), with
    how many commits each, by the addresses the commits carry, no .mailmap
    applied."""
    output = _git(path, *_NO_MAILMAP, "log", "--no-merges",
                  "--format=%an%x00%ae%x00%(trailers:key=Co-authored-by,valueonly,unfold,"
                  "separator=%x1d)", f"refs/heads/{branch}", "--")
    names: dict[str, str] = {}
    counts: dict[str, int] = defaultdict(int)
    for line in output.stdout.decode("utf-8", "replace").split("\n"):
        if not line:
            continue
        name, _, rest = line.partition("\x00")
        email, _, trailers = rest.partition("\x00")
        people = [(name, email)] + [
            (m.group(1), m.group(2)) for value in trailers.split("\x1d")
            if (m := re.match(r"\s*(.*?)\s*<([^<>@]+@[^<>]+)>\s*$", value))]
        for person, address in people:
            address = address.strip().lower()
            names.setdefault(address, person)
            counts[address] += 1
    return Authorship(names, dict(counts), True)


@dataclass(frozen=True)
class Mergeability:
    """Whether a head merges into a target without conflicts, as git would
    merge it now; *problem* when git cannot say (unrelated histories)."""
    clean: bool
    conflicts: list[str] = field(default_factory=list)
    problem: str | None = None


def parse_merge_tree(returncode: int, output: bytes) -> Mergeability:
    """Read ``git merge-tree --write-tree --name-only``: exit 0 is clean;
    exit 1 lists the conflicting paths after the tree id, one a line, up to
    the first blank line (informational messages follow it)."""
    if returncode == 0:
        return Mergeability(True)
    lines = output.decode("utf-8", "replace").split("\n")[1:]
    paths = []
    for line in lines:
        if not line:
            break
        paths.append(_unquoted(line))
    return Mergeability(False, sorted(set(paths)))


def _unquoted(name: str) -> str:
    if name.startswith('"') and name.endswith('"'):
        return decode(unquote(name.encode("utf-8", "surrogateescape")))
    return name


def mergeability(path: Path, target_sha: str, head_sha: str) -> Mergeability:
    """Whether *head_sha* merges cleanly into *target_sha*. Kept by the two
    commit ids (a push to either side makes a new question), in a small
    bounded cache, since every proposal page asks."""
    return _mergeability(str(path), target_sha, head_sha)


@functools.lru_cache(maxsize=256)
def _mergeability(path: str, target_sha: str, head_sha: str) -> Mergeability:
    result = runner.run(Path(path), "merge-tree", "--write-tree", "--name-only",
                        target_sha, head_sha, ok=None)
    if result.returncode not in (0, 1):
        message = result.stderr.decode("utf-8", "replace").strip()
        return Mergeability(False, problem=message or "git cannot merge these two commits")
    return parse_merge_tree(result.returncode, result.stdout)
