"""Avatars drawn here, not fetched: a person's initials on one of a few
colours, the colour always the same for the same name. Pure rules; the
macro in templates/_avatar.html draws them."""

import re
import zlib

# How many colours the stylesheet has (.avatar-0 .. .avatar-7); each holds
# white initials at a contrast above WCAG AA's 4.5:1.
TONES = 8

_WORDS = re.compile(r"[^\W_]+")


def initials(name: str) -> str:
    """"alice" → "A", "maria-jose" → "MJ", "Ada Lovelace" → "AL": the first
    letter of the first two words, upper-cased; "?" for a name with none."""
    words = _WORDS.findall(name or "")
    return "".join(word[0] for word in words[:2]).upper() or "?"


def tone(name: str) -> int:
    """Which of the TONES colours *name* gets: the same on every page and
    every server (a CRC, not Python's per-process salted hash())."""
    return zlib.crc32((name or "").casefold().encode()) % TONES
