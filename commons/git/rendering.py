"""What a browse page shows of a file, a README or a change, rendered once
and kept in the rendering cache (commons.render_cache) by what cannot
change: the blob or commit ids, the renderer (pygments and its lexer,
markdown, plain) and RENDERER_VERSION. Pygments costs about 2 ms per KB of
source; a cached page costs a read and a decompression.

Everything here escapes what it is given: pygments and ``plain`` escape the
text, markdown is cleaned by nh3 (commons.markdown)."""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pygments
from markupsafe import escape
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, guess_lexer_for_filename
from pygments.util import ClassNotFound

from commons import render_cache
from commons.git import diffing, reading, runner
from commons.git.diff_rules import Caps
from commons.markdown import render_markdown

# Bump when the HTML any function below produces changes (markup, options,
# the markdown rules): every entry kept under the old number is then unused.
RENDERER_VERSION = 2
# Pygments' own output changes with its version, so that is in keys too;
# so do the Markdown renderer's and the sanitiser's (an nh3 upgrade that
# closes a hole must not leave READMEs cleaned by the old one in the cache).
_PYGMENTS = pygments.__version__
_MARKDOWN = f"{version('markdown-it-py')}-{version('nh3')}"
log = logging.getLogger(__name__)


def _formatter() -> HtmlFormatter:
    # The tokens only: the lines are numbered and anchored by ``_table``,
    # the same for highlighted and plain text.
    return HtmlFormatter(nowrap=True)


@dataclass(frozen=True)
class Blob:
    html: str
    highlighted: bool        # False: plain text (too large for a first view, or no lexer)
    can_highlight: bool      # a lexer knows this file: a "Highlight" link makes sense


def lexer_for(name: str, text: str) -> Lexer | None:
    """The lexer for a file, by its name and first 4 KB; None for plain text.
    It keeps leading and trailing empty lines (pygments drops them unless
    told), so line N highlighted is line N of the file."""
    try:
        lexer = guess_lexer_for_filename(name, text[:4096], stripnl=False, ensurenl=True)
    except ClassNotFound:
        return None
    return None if isinstance(lexer, TextLexer) else lexer


def blob_key(blob_id: str, lexer: Lexer) -> str:
    return f"blob:{RENDERER_VERSION}:{_PYGMENTS}:{lexer.aliases[0]}:{blob_id}"


def blob(blob_id: str, name: str, text: str, highlight: bool) -> Blob:
    """The file *text* (blob *blob_id*, named *name*) with numbered,
    anchored lines (#L-n). Highlighted if *highlight* (from the cache, or
    rendered and kept there); otherwise highlighted only if the cache
    already holds it, else plain (escaped, the same markup, no colours)."""
    lexer = lexer_for(name, text)
    if lexer is None:
        return Blob(plain(text), False, False)
    key = blob_key(blob_id, lexer)
    if highlight:
        return Blob(render_cache.fetch(key, lambda: highlighted(text, lexer)), True, True)
    found = render_cache.get(key)
    if found is not None:
        return Blob(found, True, True)
    return Blob(plain(text), False, True)


def _lines(text: str) -> tuple[str, int]:
    """*text* with its line ends made "\n" (as pygments makes them, and as
    a browser shows a lone "\r") and its number of lines: an empty file or
    a last line without its "\n" still count as one."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, text.count("\n") + (not text.endswith("\n"))


def highlighted(text: str, lexer: Lexer) -> str:
    """*text* highlighted by *lexer*, in ``_table``."""
    text, count = _lines(text)
    return _table(count, pygments.highlight(text, lexer, _formatter()))


def plain(text: str) -> str:
    """*text* escaped, in the same table as highlighted text (same line
    numbers, same #L-n anchors, same CSS), without lexing: one escape of
    the whole text, so it is rendered each time rather than kept."""
    text, count = _lines(text)
    return _table(count, str(escape(text)))


def _table(count: int, code: str) -> str:
    """The numbers 1..*count* beside *code* (escaped HTML, one line per
    line), as cgit shows a file: each number a link to itself, its id the
    line's anchor (#L-n), and the code one block. A table row per line cost
    a tag per line more, and 12 ms on a 300 KB file. The empty span keeps a
    first empty line: a newline right after <pre> is dropped by browsers."""
    return (f'<div class="highlight"><table class="highlighttable"><tr><td class="linenos">'
            f'<div class="linenodiv"><pre>{numbers(count)}</pre></div></td><td class="code">'
            f'<div><pre><span></span><code>{code}</code></pre></div></td></tr></table></div>\n')


def _number(n: int) -> str:
    return f'<a id="L-{n}" href="#L-{n}">{n}</a>\n'


_NUMBERS_KEPT = 50_000          # lines: about 2.2 MB of text per process
_numbers_lock = threading.Lock()
_numbers = ""


def _numbers_end(count: int) -> int:
    """Where the link of line *count* ends in the column of ``_number``s:
    each takes 27 characters and its number's digits three times."""
    digits, low = 0, 1
    while low <= count:
        digits += count - low + 1   # every number from *low* on has one more digit
        low *= 10
    return 27 * count + 3 * digits


def numbers(count: int) -> str:
    """The links of lines 1..*count*, one a line. The column is the same for
    every file up to its length, so each process keeps the longest it made
    (up to _NUMBERS_KEPT lines) and a file takes the start of it."""
    global _numbers
    if count > _NUMBERS_KEPT:
        return "".join(map(_number, range(1, count + 1)))[:-1]
    end = _numbers_end(count)
    column = _numbers
    if len(column) < end:
        with _numbers_lock:
            if len(_numbers) < end:
                grown = max(count, min(2 * count, _NUMBERS_KEPT), 1000)
                _numbers = "".join(map(_number, range(1, grown + 1)))
            column = _numbers
    return column[:end - 1]


def markdown_key(blob_id: str, heading_offset: int, origin: str | None) -> str:
    # The origin is in the key: images from elsewhere than it are dropped.
    return f"markdown:{RENDERER_VERSION}:{_MARKDOWN}:{heading_offset}:{origin or ''}:{blob_id}"


def markdown(blob_id: str, read: Callable[[], str], heading_offset: int,
             origin: str | None) -> str:
    """A README (blob *blob_id*, whose text read() returns: read only when
    it is not kept yet) rendered and cleaned (commons.markdown)."""
    return render_cache.fetch(markdown_key(blob_id, heading_offset, origin),
                              lambda: render_markdown(read(), heading_offset, origin))


def readme(path: Path, commit: str, name: str, heading_offset: int, origin: str | None,
           limit: int) -> str | None:
    """The markdown file *name* at *commit* (a commit id or a full ref name)
    rendered, or None when there is no such file; at most *limit* bytes of
    it are read."""
    try:
        blob_id, kind, _ = reading.object_at(path, commit, name)
    except reading.NotInRepository:
        return None
    except runner.GitError as error:
        # A broken repository or a git that timed out costs the README,
        # never the page around it.
        log.warning("README %s of %s not read: %s", name, path, error)
        return None
    if kind != "blob":
        return None
    return markdown(blob_id, lambda: reading.blob_head(path, blob_id, limit).decode(
        "utf-8", "replace"), heading_offset, origin)


def change_key(base: str, head: str, caps: Caps) -> str:
    return (f"change:{RENDERER_VERSION}:{_PYGMENTS}:{caps.max_lines}:{caps.max_bytes}:"
            f"{caps.max_file_lines}:{base}:{head}")


def change(path: Path, base: str, head: str, caps: Caps) -> diffing.Change:
    """diffing.read_change, parsed and highlighted once for every worker:
    the change between two commit ids within *caps* never changes. The
    caller has checked both ids are in the repository at *path*.

    Its first view is shown uncoloured, as cgit shows every change, and
    highlighted once the response is sent, for every view after it:
    pygments' C lexer takes about 80 µs a line, most of a small change's
    first view, and the reader need not wait for it."""
    return render_cache.fetch_finished_later(
        change_key(base, head, caps),
        lambda: diffing.read_change(path, base, head, caps, highlight=False),
        diffing.highlighted)
