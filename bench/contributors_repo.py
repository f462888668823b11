"""A generated history for the contributor records benchmark: many commits
by a skewed crowd of authors, built with `git fast-import` on top of a
project's first commit.

- *authors* identities ("Author 17 <author17@example.org>"); each authors at
  least one commit, the rest are drawn from a Zipf-like law (weight
  1/rank^1.1), so the first few authors write most of the history;
- author dates spread over about three years ending an hour ago, in commit
  order (so about 8 % fall in the last 90 days), with a few time zones;
- each commit rewrites 1-3 small text files among 500 paths (changing,
  inserting or deleting a few lines), so `git log --numstat` counts real
  lines;
- about 5 % of the commits carry a `Co-authored-by:` trailer naming another
  identity;
- 50 identities used an older address (and a shorter name) for their first
  commits; `.mailmap`, added by the first generated commit and so present
  at the tip, maps those back to the canonical identity.
"""

import random
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from common import GIT_ENV, git

PATHS = 500
MAILMAPPED = 50
CO_AUTHORED = 0.05
ZIPF = 1.1
YEARS = 3
ZONES = ["+0000", "+0100", "+0200", "-0500", "-0800", "+0530", "+0900"]


@dataclass
class Identity:
    number: int
    name: str
    email: str
    old_email: str | None = None  # used before *switched_at*, mapped by .mailmap
    old_name: str | None = None
    switched_at: int = 0
    zone: str = "+0000"


@dataclass
class History:
    """What was generated, for the checks and the report."""
    identities: list[Identity]
    commits: int = 0
    co_authored: int = 0
    old_email_commits: int = 0
    recent_commits: int = 0  # authored in the last 90 days
    by_author: dict[int, int] = field(default_factory=dict)  # canonical identity -> commits
    lines_added: int = 0
    lines_removed: int = 0
    files_changed: int = 0
    seconds: float = 0.0


def make_identities(count: int, rng: random.Random) -> list[Identity]:
    identities = [Identity(n, f"Author {n}", f"author{n}@example.org", zone=rng.choice(ZONES))
                  for n in range(count)]
    # Mailmapped people: spread over the ranks, from busy ones to rare ones.
    for identity in rng.sample(identities[1:], min(MAILMAPPED, max(count - 1, 0))):
        identity.old_email = f"a{identity.number}@old-laptop.example.net"
        identity.old_name = f"A. {identity.number}"
    return identities


def mailmap(identities: list[Identity]) -> bytes:
    lines = ["# Canonical names and addresses of people who changed theirs."]
    lines += [f"{i.name} <{i.email}> {i.old_name} <{i.old_email}>"
              for i in identities if i.old_email]
    return ("\n".join(lines) + "\n").encode()


def _draw_authors(count: int, commits: int, rng: random.Random) -> list[int]:
    """The author of each commit, in commit order: every identity once,
    the rest Zipf-like."""
    weights = [1 / (rank + 1) ** ZIPF for rank in range(count)]
    rest = rng.choices(range(count), weights=weights, k=max(commits - count, 0))
    authors = list(range(min(count, commits))) + rest
    rng.shuffle(authors)
    return authors


class _Files:
    """500 small text files and their current lines."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.paths = [f"{('src', 'docs', 'hardware', 'firmware', 'tests')[n % 5]}/"
                      f"part{n % 25:02d}/file{n:03d}.{('py', 'md', 'scad', 'c', 'txt')[n % 5]}"
                      for n in range(PATHS)]
        self.lines: dict[str, list[str]] = {}

    def _line(self) -> str:
        return f"value_{self.rng.getrandbits(40):010x} = {self.rng.randrange(10**6)}  # note"

    def change(self, path: str) -> tuple[bytes, int, int]:
        """New content of *path* and the lines added and removed."""
        rng = self.rng
        lines = self.lines.get(path)
        if lines is None:
            lines = self.lines[path] = [self._line() for _ in range(rng.randint(10, 40))]
            return ("\n".join(lines) + "\n").encode(), len(lines), 0
        added = removed = 0
        kind = rng.random()
        if len(lines) > 120 or (kind < 0.2 and len(lines) > 12):  # delete a few lines
            at = rng.randrange(len(lines) - 5)
            removed = rng.randint(1, 5)
            del lines[at:at + removed]
        elif kind < 0.55:  # insert a few
            at = rng.randrange(len(lines) + 1)
            added = rng.randint(1, 10)
            lines[at:at] = [self._line() for _ in range(added)]
        else:  # change a few
            at = rng.randrange(len(lines))
            count = min(rng.randint(1, 5), len(lines) - at)
            lines[at:at + count] = [self._line() for _ in range(count)]
            added = removed = count
        return ("\n".join(lines) + "\n").encode(), added, removed


def generate_history(path: Path, commits: int, authors: int, *, seed: int = 6,
                     now: float | None = None) -> History:
    """Append *commits* generated commits to `main` of the bare repository at
    *path* (on top of its current tip), then repack."""
    rng = random.Random(seed)
    start_clock = time.perf_counter()
    identities = make_identities(authors, rng)
    history = History(identities)
    order = _draw_authors(authors, commits, rng)
    end = int(now if now is not None else time.time()) - 3600
    begin = end - YEARS * 365 * 86400
    step = (end - begin) / max(commits, 1)
    recent = end - 90 * 86400
    # Old addresses were used for the first third or so of each person's commits.
    for identity in identities:
        if identity.old_email:
            identity.switched_at = begin + rng.randint(YEARS * 365 * 86400 // 6,
                                                       YEARS * 365 * 86400 // 2)
    files = _Files(rng)
    tip = git("rev-parse", "--verify", "refs/heads/main", cwd=path).stdout.decode().strip()
    process = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=path,
                               env=GIT_ENV, stdin=subprocess.PIPE)
    out = process.stdin
    for number, author_index in enumerate(order):
        author = identities[author_index]
        when = int(begin + number * step + rng.random() * step * 0.9)
        if author.old_email and when < author.switched_at:
            name, email = author.old_name, author.old_email
            history.old_email_commits += 1
        else:
            name, email = author.name, author.email
        history.by_author[author_index] = history.by_author.get(author_index, 0) + 1
        if when >= recent:
            history.recent_commits += 1
        summary = f"{rng.choice(('Fix', 'Add', 'Rework', 'Document', 'Tune', 'Test'))} " \
                  f"{rng.choice(('bracket', 'motor driver', 'BOM', 'enclosure', 'parser', 'notes'))}" \
                  f" ({number})"
        message = f"{summary}\n\nWhy: step {number} of the plan.\n"
        if rng.random() < CO_AUTHORED:
            other_index = rng.randrange(max(authors - 1, 1))
            other = identities[other_index + (authors > 1 and other_index >= author_index)]
            message += f"\nCo-authored-by: {other.name} <{other.email}>\n"
            history.co_authored += 1
        data = message.encode()
        out.write(b"commit refs/heads/main\n")
        identity = f"{name} <{email}> {when} {author.zone}\n".encode()
        out.write(b"author " + identity + b"committer " + identity)
        out.write(b"data %d\n%s\n" % (len(data), data))
        if number == 0:
            out.write(f"from {tip}\n".encode())
            content = mailmap(identities)
            out.write(b"M 100644 inline .mailmap\ndata %d\n%s\n" % (len(content), content))
            history.files_changed += 1
            history.lines_added += content.count(b"\n")
        for changed in rng.sample(files.paths, rng.choice((1, 1, 2, 2, 3))):
            content, added, removed = files.change(changed)
            out.write(f"M 100644 inline {changed}\n".encode())
            out.write(b"data %d\n%s\n" % (len(content), content))
            history.files_changed += 1
            history.lines_added += added
            history.lines_removed += removed
        history.commits += 1
    out.write(b"done\n")
    out.close()
    if process.wait() != 0:
        raise RuntimeError("git fast-import failed")
    git("repack", "-adq", cwd=path)
    history.seconds = time.perf_counter() - start_clock
    return history


def check_history(path: Path, history: History) -> dict[str, int]:
    """Count what git sees: commits on main, distinct author addresses as
    written and after .mailmap, Co-authored-by trailers."""
    def lines(*args):
        return git(*args, cwd=path).stdout.decode().splitlines()

    raw = lines("log", "--format=%ae", "main")
    mapped = lines("log", "--use-mailmap", "--format=%aE", "main")
    trailers = lines("log", "--format=%(trailers:key=Co-authored-by,valueonly)", "main")
    return {"commits": int(lines("rev-list", "--count", "main")[0]),
            "raw author emails": len(set(raw)),
            "author emails after .mailmap": len(set(mapped)),
            "Co-authored-by trailers": sum(1 for line in trailers if line.strip()),
            "commits by author0 (after .mailmap)": mapped.count("author0@example.org")}


if __name__ == "__main__":  # a quick look: python bench/contributors_repo.py [commits] [authors]
    import sys
    import tempfile

    from common import remove
    work = Path(tempfile.mkdtemp(prefix="commons-bench-contrib-repo-"))
    try:
        repo = work / "repo.git"
        git("init", "-q", "--bare", "-b", "main", str(repo))
        empty = subprocess.run(["git", "mktree"], cwd=repo, env=GIT_ENV, input=b"",
                               capture_output=True, check=True).stdout.decode().strip()
        first = git("commit-tree", "-m", "first", empty, cwd=repo).stdout.decode().strip()
        git("update-ref", "refs/heads/main", first, cwd=repo)
        count = int(sys.argv[1]) if len(sys.argv) > 1 else 80_000
        people = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
        made = generate_history(repo, count, people)
        print(f"{made.commits:,} commits generated in {made.seconds:.1f} s; "
              f"{made.co_authored:,} co-authored, {made.old_email_commits:,} with an old address, "
              f"{made.recent_commits:,} in the last 90 days; {made.files_changed:,} file changes, "
              f"+{made.lines_added:,} -{made.lines_removed:,} lines")
        top = sorted(made.by_author.values(), reverse=True)
        print(f"authors: {len(made.by_author):,}; top 10 write {sum(top[:10]):,}, "
              f"median author {top[len(top) // 2]}, {sum(1 for c in top if c == 1)} with one commit")
        for name, value in check_history(repo, made).items():
            print(f"  git: {name}: {value:,}")
    finally:
        remove(work)
