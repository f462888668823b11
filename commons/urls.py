"""Absolute URLs, for links that leave the page they are on: clone URLs,
API ``web_url`` and ``Link`` headers, feeds, CONTRIBUTORS.md, the messages a
git client prints, merge commits.

They are built from ``BASE_URL`` (``COMMONS_BASE_URL``) and never from the
request: its Host header, or X-Forwarded-Host behind a proxy, is whatever
the sender chose, and a link built from it would lead the next reader of a
cached page or a committed file to the sender's site."""

from collections.abc import Callable
from urllib.parse import quote_plus

from flask import current_app, has_request_context, request, url_for

# What `make run` serves, so a development setup needs no configuration.
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def base_url(config) -> str:
    """The public address of the site, without a trailing slash."""
    return (config.get("BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def absolute_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` at the public address. A path prefix
    the server mounts the app under is part of BASE_URL, so it is not
    repeated. Outside a request (a job) it builds the link as a request to
    BASE_URL would."""
    if not has_request_context():
        with current_app.test_request_context("/", base_url=base_url(current_app.config)):
            return absolute_url(endpoint, **values)
    path = url_for(endpoint, **values)
    root = request.script_root if has_request_context() else ""
    if root and path.startswith(root + "/"):
        path = path[len(root):]
    return base_url(current_app.config) + path


def clone_url(slug: str) -> str:
    """Where any git client clones a project from."""
    return absolute_url("projects.show", slug=slug) + ".git"


# A character no slug or ref name holds, as the place a value goes.
_HOLE = "\ue000"


def urls_for(endpoint: str, field: str, **values) -> Callable[[str], str]:
    """``url_for(endpoint, **values, field=x)`` for many x (a list's rows) at
    the cost of one ``url_for``: the address is built once with a hole
    where *field* goes, and each x is quoted into it. In the path it is
    quoted by the URL map's own path converter, as url_for quotes it; in
    the query, every reserved character is quoted, which any reader of the
    address decodes to x as it decodes url_for's."""
    built = url_for(endpoint, **{**values, field: _HOLE})
    path_quote = current_app.url_map.converters["path"](current_app.url_map).to_url
    hole = path_quote(_HOLE)  # the query quotes it the same: %EE%80%80
    head, found, tail = built.partition(hole)
    if not found or hole in tail:
        raise ValueError(f"{field} is not in {endpoint}'s address once")
    if "?" in head:
        return lambda value: head + quote_plus(value, safe="") + tail
    return lambda value: head + path_quote(value) + tail
