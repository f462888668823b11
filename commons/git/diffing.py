"""The change between two commits, read from git for a page: the summary of
every file (``--numstat``, cheap) and the patch text up to the caps, read
as git writes it and stopped there, so memory stays bounded whatever the
change. Parsing is in ``diff_rules``; this module runs git and highlights."""

import functools
import hashlib
import io
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from markupsafe import Markup, escape
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_for_filename
from pygments.util import ClassNotFound

from commons.git import catfile, difftree, runner
from commons.git.diff_rules import Caps, Diff, FileDiff, Hunk, PatchReader, parse_numstat
from commons.git.reading import LogEntry

# The same answer whatever the server's or the repository's git settings:
# a/ b/ prefixes, quoted odd paths, no colour, no external diff or textconv.
_DIFF = ("-c", "core.quotePath=true", "-c", "diff.noprefix=false",
         "-c", "diff.mnemonicPrefix=false", "-c", "diff.renameLimit=2000",
         "diff", "--no-color", "--no-ext-diff", "--no-textconv", "-M",
         "--src-prefix=a/", "--dst-prefix=b/")
# The file list itself is capped: beyond this much numstat, the summary says
# it is incomplete rather than hold it all.
NUMSTAT_BYTES = 8 * 1024 * 1024
# What the long-lived diff-tree's answer may hold beyond the patch's cap
# (the summary) before it is left for a git that can be stopped at the caps.
_SUMMARY_BOUND = 1024 * 1024
# Longest line read at once from git; the rest of a longer line is skipped.
_READ_LINE = 64 * 1024
# Files folded before git runs are left out of the patch by pathspec; past
# this many, they are read and dropped instead (the command line stays short).
_EXCLUDED_MAX = 500
# Highlighting stops after this many lines on one page (plain text after):
# pygments costs about half a millisecond a line, the rest of the page far less.
HIGHLIGHT_LINES = 2_000
_FIELD, _RECORD = "\x1f", "\x1e"
_cache_lock = threading.Lock()   # for the caches below, shared by a worker's threads


def caps_from(config: Mapping) -> Caps:
    """The caps the configuration sets (COMMONS_DIFF_MAX_*)."""
    return Caps(int(config["DIFF_MAX_LINES"]), int(config["DIFF_MAX_BYTES"]),
                int(config["DIFF_MAX_FILE_LINES"]))


@dataclass
class Change:
    """What a page shows of the change from *base* to *head*."""
    base: str
    head: str
    diff: Diff
    files_complete: bool = True     # False: more files changed than the summary lists


def numstat(path: Path, base: str, head: str) -> tuple[list[FileDiff], bool]:
    """Every changed file with lines added and removed, and whether the list
    is complete (it stops at NUMSTAT_BYTES of git's answer)."""
    output, complete = _numstat_output(str(path), base, head)
    return parse_numstat(output), complete


# git's numstat answers kept by (repository, base, head): the proposal page's
# summary and the Changes view ask for the same one, and on a large change
# it is a third of the view's git time. Bounded by bytes held.
NUMSTAT_CACHE_BYTES = 8 * 1024 * 1024
_numstats: OrderedDict[tuple[str, str, str], tuple[bytes, bool]] = OrderedDict()
_numstat_bytes = 0


def _numstat_output(path: str, base: str, head: str) -> tuple[bytes, bool]:
    key = (path, base, head)
    found = _kept_numstat(key)
    if found is not None:
        return found
    with runner.start(Path(path), *_DIFF, "--numstat", "-z", base, head, "--") as process:
        assert process.stdout is not None
        output = process.stdout.read(NUMSTAT_BYTES + 1)
        process.kill()
    complete = len(output) <= NUMSTAT_BYTES
    if not complete:
        output = output[:output[:NUMSTAT_BYTES].rfind(b"\0") + 1]
    _keep_numstat(key, output, complete)
    return output, complete


def _kept_numstat(key: tuple[str, str, str]) -> tuple[bytes, bool] | None:
    with _cache_lock:
        found = _numstats.get(key)
        if found is not None:
            _numstats.move_to_end(key)
        return found


def _keep_numstat(key: tuple[str, str, str], output: bytes, complete: bool) -> None:
    global _numstat_bytes
    with _cache_lock:
        if key not in _numstats and len(output) <= NUMSTAT_CACHE_BYTES:
            _numstats[key] = (output, complete)
            _numstat_bytes += len(output)
            while _numstat_bytes > NUMSTAT_CACHE_BYTES:
                _numstat_bytes -= len(_numstats.popitem(last=False)[1][0])


def read_change(path: Path, base: str, head: str, caps: Caps, highlight: bool = True) -> Change:
    """The change from *base* to *head* (commit ids) within *caps*: git is
    stopped as soon as a cap is reached. Highlighted unless not *highlight*
    (``highlighted`` does it later).

    One git gives the summary and then the patch (``--numstat -z -p``):
    between two commits the worker's long-lived diff-tree (``difftree``),
    else a git of its own. Only when a file is folded (over the per-file
    cap), or the answer is longer than the caps allow, is the patch asked
    again of a git of its own, stopped at the caps and without the folded
    files, so their text is never read. Starting git is most of a small
    change's cost."""
    key = (str(path), base, head)
    answer = None
    kinds = catfile.infos(path, [base, head])
    if all(found is not None and found.kind == "commit" for found in kinds):
        # Between two commits, the worker's long-lived diff-tree answers.
        answer = difftree.change(path, base, head, caps.max_bytes + _SUMMARY_BOUND)
    if answer is not None:
        diff = _at_once(key, io.BytesIO(answer), caps)
        if diff is not None:
            return _finished(base, head, diff, True, highlight)
    elif _kept_numstat(key) is None:
        with runner.start(path, *_DIFF, "--numstat", "-z", "-p", base, head, "--") as process:
            assert process.stdout is not None
            diff = _at_once(key, process.stdout, caps)
            process.kill()
        if diff is not None:
            return _finished(base, head, diff, True, highlight)
    files, complete = numstat(path, base, head)
    pathspec = _fold(files, caps)
    with runner.start(path, *_DIFF, "-p", base, head, "--", *pathspec) as process:
        assert process.stdout is not None
        diff = _read_patch(process.stdout, files, caps)
        process.kill()
    return _finished(base, head, diff, complete, highlight)


def _at_once(key: tuple[str, str, str], answer: IO[bytes], caps: Caps) -> Diff | None:
    """The diff from one ``--numstat -z -p`` *answer* (its summary kept by
    *key*), or None when the patch must be asked apart: a file is folded,
    or the summary is over NUMSTAT_BYTES."""
    section = _numstat_section(answer)
    if section is None:
        return None
    output, rest = section
    _keep_numstat(key, output, True)
    files = parse_numstat(output)
    if _fold(files, caps):
        return None
    return _read_patch(_Lines(rest, answer), files, caps)


def _fold(files: list[FileDiff], caps: Caps) -> list[str]:
    """Mark the files over the per-file cap collapsed; the pathspec that
    leaves them out of the patch ([] when none is, or too many to name)."""
    folded = [f for f in files if f.changed_lines > caps.max_file_lines]
    for change in folded:
        change.collapsed = True
    if not folded or len(folded) > _EXCLUDED_MAX:
        return []
    names = {name for f in folded for name in (f.path, f.old_path)}
    return [".", *(f":(exclude,literal){name}" for name in sorted(names))]


def _read_patch(stdout: "_Lines | IO[bytes]", files: list[FileDiff], caps: Caps) -> Diff:
    reader = PatchReader(files, caps)
    while line := stdout.readline(_READ_LINE):
        if not line.endswith(b"\n"):
            # Part of a very long line: skip what is left of it.
            while (rest := stdout.readline(_READ_LINE)) and not rest.endswith(b"\n"):
                pass
        if not reader.feed(line):
            break
    return reader.finish()


def _finished(base: str, head: str, diff: Diff, complete: bool, highlight: bool) -> Change:
    if not complete:
        diff.truncated = True
    if highlight:
        _highlight_all(diff)
    return Change(base, head, diff, complete)


def highlighted(change: Change) -> Change:
    """*change* (read without highlighting) with its hunks highlighted, up
    to HIGHLIGHT_LINES lines."""
    _highlight_all(change.diff)
    return change


def _numstat_section(stdout: IO[bytes]) -> tuple[bytes, bytes] | None:
    """Read ``--numstat -z -p``'s summary: (its records, what came after
    it); None when it is over NUMSTAT_BYTES. The records end with an empty
    one (the patch follows) or with git's output."""
    buffer = bytearray()
    at = 0   # where the next record starts
    while True:
        while at < len(buffer) and at <= NUMSTAT_BYTES:
            if buffer[at] == 0:   # the empty record: the summary is over
                return bytes(buffer[:at]), bytes(buffer[at + 1:])
            end = buffer.find(b"\0", at)
            if end < 0:
                break
            if buffer[at:end].split(b"\t", 2)[2:] == [b""]:
                # A rename: its old and new paths follow as fields of their own.
                end = buffer.find(b"\0", end + 1)
                end = buffer.find(b"\0", end + 1) if end >= 0 else -1
                if end < 0:
                    break
            at = end + 1
        if at > NUMSTAT_BYTES or len(buffer) > 2 * NUMSTAT_BYTES:
            return None
        chunk = stdout.read1(64 * 1024)  # type: ignore[attr-defined]
        if not chunk:
            return bytes(buffer[:at]), b""
        buffer += chunk


class _Lines:
    """*first* (bytes already read), then the rest of *stream*, by lines."""

    def __init__(self, first: bytes, stream: IO[bytes]):
        self._first = io.BytesIO(first)
        self._stream = stream

    def readline(self, limit: int) -> bytes:
        line = self._first.readline(limit)
        if line.endswith(b"\n") or len(line) >= limit:
            return line
        return line + self._stream.readline(limit - len(line))


def _highlight_all(diff: Diff) -> None:
    budget = HIGHLIGHT_LINES
    for file in diff.files:
        if file.binary or not file.hunks:
            continue
        lexer = _lexer(file.path)
        if lexer is None:
            continue
        for hunk in file.hunks:
            if len(hunk.lines) > budget:
                return
            budget -= len(hunk.lines)
            hunk.html = _highlighted(lexer, [line.text for line in hunk.lines])


# Highlighted hunks kept across requests, by lexer and text: a proposal's
# pinned change is read again by each reviewer and on each visit, and
# pygments is most of a large page's cost. Bounded by the lines held (a
# few hundred bytes each: about 8 MB per process at most).
HIGHLIGHT_CACHE_LINES = 20_000
_cache: OrderedDict[bytes, list[str]] = OrderedDict()
_cache_lines = 0


def _highlighted(lexer: Lexer, lines: list[str]) -> list[str]:
    global _cache_lines
    key = hashlib.sha1("\n".join([lexer.name, *lines]).encode("utf-8", "surrogatepass"),
                       usedforsecurity=False).digest()
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    html = highlight_lines(lexer, lines)
    with _cache_lock:
        if key not in _cache and len(html) <= HIGHLIGHT_CACHE_LINES:
            _cache[key] = html
            _cache_lines += len(html)
            while _cache_lines > HIGHLIGHT_CACHE_LINES:
                _cache_lines -= len(_cache.popitem(last=False)[1])
    return html


def highlight_lines(lexer: Lexer, lines: list[str]) -> list[str]:
    """Each line as highlighted HTML (pygments closes its spans at every
    line end); [] if the lines do not come back one for one."""
    html = highlight("\n".join(lines) + "\n", lexer, _FORMATTER)
    out = html.split("\n")
    if out and out[-1] == "":
        out.pop()
    return out if len(out) == len(lines) else []


_FORMATTER = HtmlFormatter(nowrap=True)


def _lexer(path: str) -> Lexer | None:
    """The lexer for a file name, by name alone (reading content to guess
    costs too much for a page of many files); None for plain text."""
    name = path.rsplit("/", 1)[-1]
    # Asked once per extension: 5,000 files of three kinds cost three look-ups.
    return _lexer_named("x." + name.rsplit(".", 1)[1] if "." in name.strip(".") else name)


@functools.lru_cache(maxsize=256)
def _lexer_named(name: str) -> Lexer | None:
    try:
        lexer = get_lexer_for_filename(name, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None
    return None if lexer.name == "Text only" else lexer


_SIGNS = {"added": "+", "removed": "−", "context": " "}


def hunk_rows(anchor: str, path: str, hunk: Hunk,
              comment_url: Callable[[str, str, int | None], str] | None = None,
              comments: Mapping[tuple[str, str, int | None], list] | None = None,
              render_comments: Callable[[list], str] | None = None) -> Markup:
    """The table rows of one hunk, with the ids line_anchor() gives, a
    "Comment" link per line when *comment_url* is given, and after a line
    the comments on it (*comments* by (path, side, line), rendered by
    *render_comments*, the template's macro). Built here rather than in the
    template: a large page holds 10,000 lines, and a dozen template
    expressions each cost more than the rest of the page. *anchor* is the
    file's (hex); the highlighted HTML is pygments' (escaped)."""
    rows = []
    path_html = escape(path)
    for line, html in hunk.rows():
        if line.kind == "note":
            rows.append(f'<tr class="note"><td></td><td></td><td>{escape(line.text)}</td></tr>')
            continue
        cells = "".join(
            '<td class="num"></td>' if number is None else
            f'<td class="num" id="{anchor}-{side}-{number}"><a href="#{anchor}-{side}-{number}">'
            f'{number}</a></td>'
            for side, number in (("old", line.old), ("new", line.new)))
        code = escape(line.text) if html is None else html
        link = ""
        if comment_url is not None:
            side, number = ("old", line.old) if line.kind == "removed" else ("new", line.new)
            link = (f'<a class="comment-link" href="{escape(comment_url(path, side, number))}">'
                    f'Comment<span class="visually-hidden"> on {side} line {number} of '
                    f'{path_html}</span></a>')
        rows.append(f'<tr class="{line.kind}">{cells}<td class="code"><span class="sign" '
                    f'aria-hidden="true">{_SIGNS[line.kind]}</span><span class="visually-hidden">'
                    f'{line.kind}: </span><code>{code}</code>{link}</td></tr>')
        if comments and render_comments is not None:
            found = ((comments.get((path, "old", line.old), []) if line.old is not None else [])
                     + (comments.get((path, "new", line.new), []) if line.new is not None
                        else []))
            if found:
                rows.append(f'<tr class="comments"><td colspan="3">{render_comments(found)}'
                            f'</td></tr>')
    return Markup("\n".join(rows))


def merge_base(path: Path, a: str, b: str) -> str | None:
    """The best common ancestor, or None (unrelated histories)."""
    result = runner.run(path, "merge-base", a, b, ok=(0, 1))
    return result.stdout.decode().strip() or None


def commits_between(path: Path, base: str, head: str, limit: int = 250) -> list[LogEntry]:
    """The commits *head* has that *base* has not, newest first, at most *limit*."""
    fmt = _RECORD + _FIELD.join(["%H", "%an", "%ae", "%at", "%s", "%P"])
    output = runner.output(path, "log", f"-n{limit}", f"--format={fmt}", f"{base}..{head}", "--")
    entries = []
    for record in output.split(_RECORD):
        if not record.strip():
            continue
        sha, name, email, stamp, summary, parents = record.strip("\n").split(_FIELD)[:6]
        entries.append(LogEntry(sha, name, email, datetime.fromtimestamp(int(stamp), UTC),
                                summary, tuple(parents.split())))
    return entries


def count_commits(path: Path, base: str, head: str) -> int:
    return int(runner.output(path, "rev-list", "--count", f"{base}..{head}", "--").strip() or 0)


@dataclass(frozen=True)
class Summary:
    commits: int
    files: int
    added: int
    removed: int
    complete: bool


@functools.lru_cache(maxsize=512)
def _summary(path: str, base: str, head: str) -> Summary:
    files, complete = numstat(Path(path), base, head)
    return Summary(count_commits(Path(path), base, head), len(files),
                   sum(f.added or 0 for f in files), sum(f.removed or 0 for f in files),
                   complete)


def summary(path: Path, base: str, head: str) -> Summary:
    """N commits, N files, +added −removed from *base* to *head*; kept by the
    two commit ids, so it is computed again only when either moves."""
    return _summary(str(path), base, head)
