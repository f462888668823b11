"""Markdown from people and repositories, rendered safe to put in a page."""

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table")


def render_markdown(text: str, heading_offset: int = 0) -> str:
    """HTML for *text*, with everything that could run or restyle the page
    removed by nh3 (scripts, event handlers, javascript: links, styles).

    *heading_offset* pushes headings down (a README's ``#`` becomes ``<h3>``
    under the page's own ``<h1>`` and ``<h2>``), so headings stay in order.
    """
    tokens = _markdown.parse(text or "")
    if heading_offset:
        for token in tokens:
            if token.type in ("heading_open", "heading_close"):
                level = min(int(token.tag[1]) + heading_offset, 6)
                token.tag = f"h{level}"
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return nh3.clean(html, link_rel="nofollow noopener noreferrer")
