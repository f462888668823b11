"""What a browse page shows of a file, a README or a change, rendered once
and kept in the rendering cache (commons.render_cache) by what cannot
change: the blob or commit ids, the renderer (pygments and its lexer,
markdown, plain) and RENDERER_VERSION. Pygments costs about 2 ms per KB of
source; a cached page costs a read and a decompression.

Everything here escapes what it is given: pygments and ``plain`` escape the
text, markdown is cleaned by nh3 (commons.markdown)."""

import logging
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
RENDERER_VERSION = 1
# Pygments' own output changes with its version, so that is in keys too;
# so do the Markdown renderer's and the sanitiser's (an nh3 upgrade that
# closes a hole must not leave READMEs cleaned by the old one in the cache).
_PYGMENTS = pygments.__version__
_MARKDOWN = f"{version('markdown-it-py')}-{version('nh3')}"
log = logging.getLogger(__name__)


def _formatter() -> HtmlFormatter:
    return HtmlFormatter(linenos="table", lineanchors="L", anchorlinenos=True,
                         cssclass="highlight", wrapcode=True)


@dataclass(frozen=True)
class Blob:
    html: str
    highlighted: bool        # False: plain text (too large for a first view, or no lexer)
    can_highlight: bool      # a lexer knows this file: a "Highlight" link makes sense


def lexer_for(name: str, text: str) -> Lexer | None:
    """The lexer for a file, by its name and first 4 KB; None for plain text."""
    try:
        lexer = guess_lexer_for_filename(name, text[:4096])
    except ClassNotFound:
        return None
    return None if isinstance(lexer, TextLexer) else lexer


def blob_key(blob_id: str, lexer: Lexer) -> str:
    return f"blob:{RENDERER_VERSION}:{_PYGMENTS}:{lexer.aliases[0]}:{blob_id}"


def blob(blob_id: str, name: str, text: str, highlight: bool) -> Blob:
    """The file *text* (blob *blob_id*, named *name*) as a table of numbered,
    anchored lines (#L-n). Highlighted if *highlight* (from the cache, or
    rendered and kept there); otherwise highlighted only if the cache
    already holds it, else plain (escaped, the same markup, no colours)."""
    lexer = lexer_for(name, text)
    if lexer is None:
        return Blob(plain(text), False, False)
    key = blob_key(blob_id, lexer)
    if highlight:
        return Blob(render_cache.fetch(key, lambda: pygments.highlight(text, lexer, _formatter())),
                    True, True)
    found = render_cache.get(key)
    if found is not None:
        return Blob(found, True, True)
    return Blob(plain(text), False, True)


def plain(text: str) -> str:
    """*text* escaped, in the table pygments writes (same line numbers, same
    #L-n anchors, same CSS), without lexing: about 20 times faster, so it
    is rendered each time rather than kept."""
    lines = str(escape(text)).split("\n")
    if len(lines) > 1 and lines[-1] == "":   # an empty file is one empty line, as in pygments
        lines.pop()
    width = len(str(len(lines)))   # pygments pads the numbers to one width
    numbers = "\n".join(f'<span class="normal"><a href="#L-{n}">{n:>{width}}</a></span>'
                        for n in range(1, len(lines) + 1))
    code = "".join(f'<a id="L-{n}" name="L-{n}"></a>{line}\n'
                   for n, line in enumerate(lines, 1))
    return (f'<div class="highlight"><table class="highlighttable"><tr><td class="linenos">'
            f'<div class="linenodiv"><pre>{numbers}</pre></div></td><td class="code"><div>'
            f'<pre><span></span><code>{code}</code></pre></div></td></tr></table></div>\n')


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
    caller has checked both ids are in the repository at *path*."""
    return render_cache.fetch(change_key(base, head, caps),
                              lambda: diffing.read_change(path, base, head, caps))
