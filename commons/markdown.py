"""Markdown from people and repositories, rendered safe to put in a page."""

import re
from functools import partial
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markupsafe import escape

_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table")

# What a browser drops from a URL before reading it (leading and trailing
# C0 controls and spaces, every tab and newline), so "/\t/host" is judged as
# the "//host" the browser would fetch.
_IGNORED_BY_BROWSERS = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$|[\t\n\r]")


def is_our_own(url: str, origin: str | None = None) -> bool:
    """True for a URL that stays on this site: a path, or an absolute URL
    at *origin* (the site's own ``https://host[:port]``). Browsers read a
    backslash as a slash, so ``\\\\host`` and ``/\\host`` are someone
    else's host too."""
    url = _IGNORED_BY_BROWSERS.sub("", url).replace("\\", "/")
    parts = urlsplit(url)
    if origin and parts.scheme and parts.netloc:
        ours = urlsplit(origin)
        return (parts.scheme.lower(), parts.netloc.lower()) == \
            (ours.scheme.lower(), ours.netloc.lower())
    return not (parts.scheme or parts.netloc or url.startswith("//"))


def _image(self, tokens, idx, options, env) -> str:
    """An image from elsewhere is a link to it, not a request the reader's
    browser makes on opening the page (a tracking pixel tells its owner who
    read what, and when)."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    if is_our_own(src, env.get("origin")):
        return self.image(tokens, idx, options, env)
    alt = self.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{escape(src)}" rel="nofollow noopener">{escape(alt)}</a>'


_markdown.add_render_rule("image", _image)


def _only_our_images(origin: str | None, tag: str, attribute: str, value: str) -> str | None:
    # Raw HTML images are kept for their alt text; a source elsewhere goes.
    if tag == "img" and attribute == "src" and not is_our_own(value, origin):
        return None
    return value


def render_markdown(text: str, heading_offset: int = 0, origin: str | None = None) -> str:
    """HTML for *text*, with everything that could run or restyle the page
    removed by nh3 (scripts, event handlers, javascript: links, styles), and
    images from other sites than *origin* (``https://host[:port]``, this
    site's) turned into links (see ``_image``).

    *heading_offset* pushes headings down (a README's ``#`` becomes ``<h3>``
    under the page's own ``<h1>`` and ``<h2>``), so headings stay in order.
    """
    tokens = _markdown.parse(text or "")
    if heading_offset:
        for token in tokens:
            if token.type in ("heading_open", "heading_close"):
                level = min(int(token.tag[1]) + heading_offset, 6)
                token.tag = f"h{level}"
    html = _markdown.renderer.render(tokens, _markdown.options, {"origin": origin})
    return nh3.clean(html, link_rel="nofollow noopener noreferrer",
                     attribute_filter=partial(_only_our_images, origin))
