"""Reading a bare repository for the browse pages, with git's own plumbing:
objects and names through the worker's long-lived ``git cat-file`` of the
repository (``catfile``), walks and diffs as one short git process each.
Nothing is read outside the repository: paths are looked up in git trees,
never on disk."""

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from commons.git import catfile, ref_lists, ref_objects, runner

_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_FIELD, _RECORD = "\x1f", "\x1e"
# Blobs up to this size are read through cat-file; larger ones are streamed
# by a git of their own, so nothing reads a huge blob to show its head.
BATCH_BLOB_LIMIT = 4 * 1024 * 1024
_TREE_KINDS = {b"40000": "tree", b"160000": "commit"}


def is_commit_id(text: str) -> bool:
    """Whether *text* is a full SHA-1 or SHA-256 object id."""
    return bool(_SHA.fullmatch(text or ""))


class NotInRepository(LookupError):
    """The ref, commit or path does not exist (a 404)."""


@dataclass(frozen=True, slots=True)
class Ref:
    name: str          # "main", "v1.0"
    full_name: str     # "refs/heads/main"
    sha: str           # the commit it points at
    committed_at: datetime
    summary: str


@dataclass(frozen=True)
class Entry:
    name: str
    path: str
    kind: str          # "tree", "blob" or "commit" (a submodule)
    mode: str
    sha: str
    size: int | None


@dataclass(frozen=True)
class LogEntry:
    sha: str
    author_name: str
    author_email: str
    authored_at: datetime
    summary: str
    parents: tuple[str, ...]


@dataclass
class FileChange:
    path: str
    added: int | None   # None for binary files
    removed: int | None
    diff_shown: bool = True

    @property
    def lines(self) -> int:
        return (self.added or 0) + (self.removed or 0)


@dataclass
class CommitView:
    entry: LogEntry
    committer_name: str
    committed_at: datetime
    message: str
    changes: list[FileChange] = field(default_factory=list)
    diff: str = ""
    diff_truncated: bool = False


def git(path: Path, *args: str, input: bytes | None = None) -> bytes:
    """git's stdout for *args*; NotInRepository when git says no (for a
    page, whatever git cannot find is a 404)."""
    try:
        return runner.run(path, *args, input=input).stdout
    except runner.GitError as error:
        if error.returncode is None:
            raise  # git ran out of time: a server fault, not a missing page
        raise NotInRepository(error.stderr) from error


def has_branch(path: Path, branch: str) -> bool:
    """Whether *branch* exists; a loose ref is seen without starting git."""
    return (path / "refs" / "heads" / branch).exists() or runner.succeeds(
        path, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}")


def has_commit(path: Path, sha: str) -> bool:
    """Whether the commit *sha* is in the repository."""
    found = _info(path, f"{sha}^{{commit}}") if _SHA.fullmatch(sha or "") else None
    return found is not None


def parent(path: Path, sha: str) -> str | None:
    """The first parent of commit *sha* (None for a root commit);
    NotInRepository when there is no such commit."""
    if not has_commit(path, sha):
        raise NotInRepository(f"there is no commit {sha}")
    found = _info(path, f"{sha}^1")
    return found.sha if found is not None else None


def _info(path: Path, name: str) -> catfile.Info | None:
    return _infos(path, [name])[0]


def _infos(path: Path, names: list[str]) -> list[catfile.Info | None]:
    try:
        return catfile.infos(path, names)
    except (catfile.NotFound, FileNotFoundError, NotADirectoryError) as error:
        raise NotInRepository(str(error)) from error


def _contents(path: Path, name: str, limit: int | None = None
              ) -> tuple[catfile.Info, bytes] | None:
    try:
        return catfile.contents(path, name, limit)
    except (catfile.NotFound, FileNotFoundError, NotADirectoryError) as error:
        raise NotInRepository(str(error)) from error


def refs(path: Path, kind: str) -> list[Ref]:
    """Branches (kind "heads") or tags ("tags"), most recently committed
    first (then by name); a tag is shown by the commit it names. Kept per
    worker while the refs stay as they are (``ref_lists``)."""
    def from_names(names: dict[str, str]) -> list[Ref] | None:
        # After a push, most objects are known: read the few others.
        if ref_objects.unknown(names.values()) > ref_objects.FEW:
            return None
        return _from_objects(path, names)

    return ref_lists.listed(path, kind, from_names, lambda: _listed(path, f"refs/{kind}/"))


def _from_objects(path: Path, names: dict[str, str]) -> list[Ref] | None:
    """The refs *names* holds (full name: object id) as git would list
    them, from the objects they name (``ref_objects``); None where git
    must say."""
    found = ref_objects.facts(path, sorted(set(names.values())))
    if found is None:
        return None
    refs = []
    for full, sha in names.items():
        facts = found[sha]
        short = full.removeprefix("refs/heads/").removeprefix("refs/tags/")
        refs.append(Ref(short, full, facts.commit, datetime.fromtimestamp(facts.stamp, UTC),
                        facts.subject))
    refs.sort(key=lambda ref: (-ref.committed_at.timestamp(), ref.name))
    return refs


def all_refs(path: Path) -> list[Ref]:
    """Every branch and tag in one call, most recently committed first; tags
    are peeled to the commit they name."""
    return _listed(path, "refs/heads/", "refs/tags/")


def _listed(path: Path, *patterns: str) -> list[Ref]:
    # Sorted here, not by git: an annotated tag has no committer date of
    # its own, so git's --sort=-committerdate would leave every annotated
    # tag unsorted at the end.
    fmt = _FIELD.join(["%(refname)", "%(*objectname)", "%(objectname)",
                       "%(committerdate:unix)", "%(*committerdate:unix)", "%(contents:subject)"])
    output = git(path, "for-each-ref", f"--format={fmt}", *patterns)
    found = []
    # Lines end at "\n" only: a subject may hold U+2028 or a form feed,
    # which str.splitlines() would take for line ends.
    for raw in output.split(b"\n"):
        if not raw:
            continue
        full, peeled, sha, date, peeled_date, subject = \
            raw.decode("utf-8", "replace").split(_FIELD, 5)
        short = full.removeprefix("refs/heads/").removeprefix("refs/tags/")
        stamp = int(date or peeled_date or 0)
        found.append(Ref(short, full, peeled or sha,
                         datetime.fromtimestamp(stamp, UTC), subject))
        # What git printed of a commit, or of a tag of a commit, is what
        # the next list made from the objects needs (``ref_objects``).
        if (not peeled and date) or (peeled and not date and peeled_date):
            ref_objects.remember(sha, ref_objects.Facts(peeled or sha, stamp, subject))
    found.sort(key=lambda ref: (-ref.committed_at.timestamp(), ref.name))
    return found


def is_empty(path: Path) -> bool:
    return not git(path, "for-each-ref", "--count=1").strip()


def locate(path: Path, spec: str) -> tuple[str, str, str]:
    """(ref, commit id, path) for "main/docs/a.md": the longest branch or tag
    name that starts *spec* wins, since names may contain slashes; a full
    commit id works as a ref too. NotInRepository when nothing matches."""
    parts = spec.split("/")
    if parts and _SHA.fullmatch(parts[0]):
        return parts[0], resolve_commit(path, parts[0]), _clean_path("/".join(parts[1:]))
    # Ask git only about the names the URL could mean (longest first, the
    # branch before the tag of the same name, as in git), all in one
    # exchange with cat-file, so a repository with thousands of tags costs
    # what one with three costs. A tag is peeled to what it tags.
    candidates = [name for name in ("/".join(parts[:cut]) for cut in range(len(parts), 0, -1))
                  if not ref_lists.NOT_IN_REF.search(name)][:20]
    names = [f"refs/{kind}/{name}{peel}" for name in candidates
             for kind, peel in (("heads", ""), ("tags", "^{}"))]
    found = _infos(path, names) if names else []
    for index, candidate in enumerate(candidates):
        hit = found[2 * index] or found[2 * index + 1]
        if hit is not None:
            rest = "/".join(parts[len(candidate.split("/")):])
            return candidate, hit.sha, _clean_path(rest)
    raise NotInRepository(f"no branch or tag named in {spec!r}")


def resolve_commit(path: Path, ref: str) -> str:
    """The commit id *ref* names (a branch, a tag or a full id)."""
    if _SHA.fullmatch(ref):
        found = _info(path, f"{ref}^{{commit}}")
        if found is None:
            raise NotInRepository(f"there is no commit {ref}")
        return found.sha
    name, sha, subpath = locate(path, ref)
    if name != ref or subpath:
        raise NotInRepository(f"no branch or tag {ref!r}")
    return sha


def object_at(path: Path, commit: str, subpath: str) -> tuple[str, str, int]:
    """(id, type, size) of what *subpath* names in *commit*."""
    spec = f"{commit}:{subpath}" if subpath else f"{commit}^{{tree}}"
    found = _info(path, spec)
    if found is None:
        raise NotInRepository(f"{subpath!r} is not in {commit[:12]}")
    return found.sha, found.kind, found.size


def tree(path: Path, tree_sha: str, subpath: str) -> list[Entry]:
    """The entries of a tree, folders first, then by name: the tree object
    read once, then the sizes of its files in one more exchange."""
    found = _contents(path, tree_sha)
    if found is None or found[0].kind != "tree":
        raise NotInRepository(f"{tree_sha} is not a tree")
    data, width = found[1], len(found[0].sha) // 2
    listed: list[tuple[str, str, str, str]] = []
    at = 0
    while at < len(data):
        space = data.index(b" ", at)
        nul = data.index(b"\0", space)
        mode = data[at:space]
        sha = data[nul + 1:nul + 1 + width].hex()
        listed.append((data[space + 1:nul].decode("utf-8", "replace"),
                       _TREE_KINDS.get(mode, "blob"), mode.decode().rjust(6, "0"), sha))
        at = nul + 1 + width
    blobs = [sha for _, kind, _, sha in listed if kind == "blob"]
    found_blobs = _infos(path, blobs) if blobs else []
    sizes = {sha: info.size for sha, info in zip(blobs, found_blobs, strict=True) if info}
    entries = [Entry(name, f"{subpath}/{name}" if subpath else name, kind, mode, sha,
                     sizes.get(sha) if kind == "blob" else None)
               for name, kind, mode, sha in listed]
    return sorted(entries, key=lambda e: (e.kind != "tree", e.name.lower()))


def blob_head(path: Path, sha: str, limit: int) -> bytes:
    """The first *limit* bytes of a blob (the page never holds more)."""
    found = _contents(path, sha, BATCH_BLOB_LIMIT)
    if found is not None and found[0].kind == "blob":
        return found[1][:limit]
    with runner.start(path, "cat-file", "blob", sha) as process:
        data = process.stdout.read(limit)
        process.kill()
    return data


def stream(path: Path, *args: str, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """git's output as it comes (raw files, archives, patches). git starts
    now and its first piece is read before this returns, so a git that fails
    at once raises NotInRepository instead of sending an empty file."""
    process = runner.start(path, *args, stderr=True)
    first = process.stdout.read1(chunk)
    if not first and process.wait() != 0:
        message = process.stderr.read().decode("utf-8", "replace").strip()
        process.stdout.close()
        process.stderr.close()
        raise NotInRepository(message or "git could not produce it")

    def pieces() -> Iterator[bytes]:
        try:
            if first:
                yield first
            while data := process.stdout.read1(chunk):
                yield data
        finally:
            process.kill()
            process.stdout.close()
            process.stderr.close()
            process.wait()

    return pieces()


def output_exceeds(path: Path, limit: int, *args: str, chunk: int = 64 * 1024) -> bool:
    """Whether git's output for *args* is longer than *limit* bytes. It is
    read and counted, never kept, and git is stopped as soon as it is over."""
    with runner.start(path, *args) as process:
        total = 0
        while total <= limit and (data := process.stdout.read1(chunk)):
            total += len(data)
        process.kill()
    return total > limit


def log(path: Path, start: str, subpath: str = "", limit: int = 50) -> list[LogEntry]:
    """Up to *limit* commits of the first-parent history from *start*: each
    step as it landed on the branch. Continuing from any commit is exact and
    costs the same at page 500 as at page 1.

    Without a path, the commits are read through cat-file, all in one
    exchange (following first parents is all a walk does then: well under a
    millisecond for 50, against several for starting `git log`); a path's history is
    `git log`'s, which skips commits with the commit-graph's Bloom filters."""
    if not subpath:
        if _SHA.fullmatch(start):
            # From a commit id the page never changes: kept, like a path's.
            return list(_first_parent_page(path, start, limit))
        return _first_parents(path, start, limit)
    if _SHA.fullmatch(start):
        # From a commit id the answer never changes: kept, so a file's
        # history is walked once per worker until its branch moves.
        return list(_path_log(path, start, subpath, limit))
    return _git_log(path, start, subpath, limit)


# Pages of 51 commits, about 35 KB each: a few MB per worker at most.
@functools.lru_cache(maxsize=128)
def _first_parent_page(path: Path, start: str, limit: int) -> tuple[LogEntry, ...]:
    return tuple(_first_parents(path, start, limit))


def _first_parents(path: Path, start: str, limit: int) -> list[LogEntry]:
    """*start* and its first parents, *limit* commits at most, asked of
    cat-file together as ``start~0``, ``start~1``...: git walks the first
    parents for each name, which costs far less than an exchange per
    commit. NotInRepository unless *start* names a commit."""
    entries: list[LogEntry] = []
    base, skip = start, 0
    while len(entries) < limit:
        count = min(limit - len(entries), 100)
        try:
            found = catfile.contents_of(path, [f"{base}~{n}" for n in range(skip, skip + count)])
        except (catfile.NotFound, FileNotFoundError, NotADirectoryError) as error:
            raise NotInRepository(str(error)) from error
        for answer in found:
            if answer is None or answer[0].kind != "commit":
                if not entries:
                    raise NotInRepository(f"there is no commit {start}")
                return entries   # past the root commit
            entries.append(_commit_view(answer[0].sha, answer[1]).entry)
        base, skip = entries[-1].sha, 1
    return entries


def entries(path: Path, shas: list[str]) -> list[LogEntry]:
    """The log entries of the commits *shas*, in that order, asked of
    cat-file together. NotInRepository if one is not a commit here."""
    if not shas:
        return []
    try:
        found = catfile.contents_of(path, shas)
    except (catfile.NotFound, FileNotFoundError, NotADirectoryError) as error:
        raise NotInRepository(str(error)) from error
    listed = []
    for sha, answer in zip(shas, found, strict=True):
        if answer is None or answer[0].kind != "commit":
            raise NotInRepository(f"there is no commit {sha}")
        listed.append(_commit_view(answer[0].sha, answer[1]).entry)
    return listed


@functools.lru_cache(maxsize=512)
def _path_log(path: Path, start: str, subpath: str, limit: int) -> tuple[LogEntry, ...]:
    return tuple(_git_log(path, start, subpath, limit))


def _git_log(path: Path, start: str, subpath: str, limit: int) -> list[LogEntry]:
    fmt = _RECORD + _FIELD.join(["%H", "%an", "%ae", "%at", "%s", "%P"])
    # The path as written, never a pattern (as the path index reads it),
    # and its own history only, whatever the server's git config says.
    args = ["--literal-pathspecs", "-c", "log.follow=false", "log", "--first-parent",
            f"-n{limit}", f"--format={fmt}", start, "--", subpath]
    return [_log_entry(record) for record in git(path, *args).decode("utf-8", "replace")
            .split(_RECORD) if record.strip()]


def commit(path: Path, sha: str, max_diff_bytes: int = 512 * 1024,
           max_file_lines: int = 2000) -> CommitView:
    """A commit with its changes against its first parent, and the diff up to
    *max_diff_bytes* (then marked truncated). Files changing more than
    *max_file_lines* lines are left out of the diff, so one generated file
    does not hide the rest."""
    view = read_commit(path, sha)
    entry = view.entry
    base = entry.parents[0] if entry.parents else None
    against = [base, sha] if base else ["--root", sha]
    numstat = git(path, "diff-tree", "-r", "-z", "--numstat", "--no-renames", *against)
    view.changes = _numstat(numstat)
    skipped = [change for change in view.changes if change.lines > max_file_lines]
    for change in skipped:
        change.diff_shown = False
    pathspec = ["--", ".", *(f":(exclude,literal){c.path}" for c in skipped)] if skipped else []
    diff = b""
    with runner.start(path, "diff-tree", "-r", "-p", "--no-color", "--no-renames", *against,
                      *pathspec) as process:
        diff = process.stdout.read(max_diff_bytes + 1)
        process.kill()
    view.diff_truncated = len(diff) > max_diff_bytes
    view.diff = diff[:max_diff_bytes].decode("utf-8", "replace")
    return view


_IDENT = re.compile(rb"^(.*?) ?<([^<>]*)> (\d+)(?: [-+]\d+)?$")


def read_commit(path: Path, sha: str) -> CommitView:
    """A commit's metadata and message (no changes), from the commit object
    itself; NotInRepository unless *sha* names a commit."""
    found = _contents(path, f"{sha}^{{commit}}")
    if found is None:
        raise NotInRepository(f"there is no commit {sha}")
    return _commit_view(found[0].sha, found[1])


def _commit_view(sha: str, raw: bytes) -> CommitView:
    """The commit object *raw* (of id *sha*) read."""
    headers, _, body = raw.partition(b"\n\n")
    fields: dict[bytes, bytes] = {}
    parents = []
    for line in headers.split(b"\n"):
        if line.startswith(b" "):
            continue  # the continuation of a multi-line header (gpgsig, mergetag)
        key, _, value = line.partition(b" ")
        if key == b"parent":
            parents.append(value.decode("ascii", "replace"))
        else:
            fields.setdefault(key, value)
    encoding = fields.get(b"encoding", b"utf-8").decode("ascii", "replace")

    def text(data: bytes) -> str:
        try:
            return data.decode(encoding, "replace")
        except LookupError:
            return data.decode("utf-8", "replace")

    def ident(key: bytes) -> tuple[str, str, datetime]:
        match = _IDENT.match(fields.get(key, b""))
        if match is None:
            return "", "", datetime.fromtimestamp(0, UTC)
        return (text(match[1]), text(match[2]),
                datetime.fromtimestamp(int(match[3]), UTC))

    message = text(body)
    subject = []
    for line in message.split("\n"):
        if not line.strip():
            if subject:
                break
            continue
        subject.append(line.strip())
    author, email, authored = ident(b"author")
    committer, _, committed = ident(b"committer")
    entry = LogEntry(sha, author, email, authored, " ".join(subject), tuple(parents))
    return CommitView(entry, committer, committed, message.strip())


def _log_entry(record: str) -> LogEntry:
    sha, name, email, stamp, summary, parents = record.strip("\n").split(_FIELD)[:6]
    return LogEntry(sha, name, email, datetime.fromtimestamp(int(stamp), UTC),
                    summary, tuple(parents.split()))


def _numstat(output: bytes) -> list[FileChange]:
    fields = output.split(b"\0")
    changes = []
    if fields and _SHA.fullmatch(fields[0].decode("ascii", "replace")):
        fields = fields[1:]  # diff-tree names the commit first
    for item in fields:
        if not item:
            continue
        added, removed, name = item.decode("utf-8", "replace").split("\t", 2)
        changes.append(FileChange(name, int(added) if added.isdigit() else None,
                                  int(removed) if removed.isdigit() else None))
    return changes


def _clean_path(subpath: str) -> str:
    """A path inside the tree, or NotInRepository for anything that tries to
    climb out or is not a plain relative path."""
    subpath = subpath.strip("/")
    if not subpath:
        return ""
    parts = subpath.split("/")
    if any(part in ("", ".", "..") for part in parts) or "\\" in subpath:
        raise NotInRepository(f"{subpath!r} is not a path in the repository")
    return subpath
