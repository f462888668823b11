"""Markdown from people and repositories, rendered safe to put in a page."""

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table")


def render_markdown(text: str) -> str:
    """HTML for *text*, with everything that could run or restyle the page
    removed by nh3 (scripts, event handlers, javascript: links, styles)."""
    html = _markdown.render(text or "")
    return nh3.clean(html, link_rel="nofollow noopener noreferrer")
