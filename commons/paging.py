"""Keyset paging with opaque cursors, for lists ordered by more than one
column (the needs board, a project's contributors): the next page starts
after the last item's sort key, so a page costs the same wherever it is
and an item added meanwhile is neither skipped nor shown twice.

The cursor is the key as compact JSON in URL-safe base64: opaque to
clients (they follow the `Link: <...>; rel="next"` header or the page's
"Next" link), readable when debugging. It carries no secret and grants
nothing: a forged cursor only starts a public list somewhere else."""

import base64
import binascii
import json
from collections.abc import Sequence

from commons.problems import Problem

LINK_NEXT = '<{}>; rel="next"'


class BadCursor(Problem):
    status = 400


def encode(key: Sequence[str | int | None]) -> str:
    """The cursor of the page that starts after *key*."""
    text = json.dumps(list(key), separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def decode(cursor: str, shape: Sequence[type]) -> tuple:
    """The key a cursor from ``encode`` holds, checked against *shape* (the
    type of each part; ``str | None`` parts are given as ``(str, None)``).
    A cursor this list did not give out is a ``BadCursor`` (400)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))
    except (ValueError, UnicodeError, binascii.Error):
        key = None
    if not isinstance(key, list) or len(key) != len(shape) or not all(
            _fits(part, kind) for part, kind in zip(key, shape, strict=True)):
        raise not_given_out()
    return tuple(key)


def not_given_out() -> BadCursor:
    """The 400 for a cursor the list did not give out."""
    return BadCursor("The cursor is not one this list gave out. Follow the \"next\" link "
                     "as given, or leave the cursor out to start from the first page.",
                     field="cursor")


def _fits(part, kind) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if part is None:
        return None in kinds
    # bool is an int to Python, never a key part here; an int past 64 bits
    # is no key either (SQLite cannot even compare with it).
    if isinstance(part, int) and not isinstance(part, bool) and not -2**63 <= part < 2**63:
        return False
    return not isinstance(part, bool) and isinstance(part, tuple(k for k in kinds if k))


def link_next(url: str | None) -> dict[str, str]:
    """The `Link` header naming the next page, or none on the last page."""
    return {"Link": LINK_NEXT.format(url)} if url else {}
