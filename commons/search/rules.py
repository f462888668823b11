"""What a search query means and how a found text is shown: pure functions
over strings, shared by both databases' backends and the page.

A query is cut into words (letters, marks and digits of any script); every
other character separates words and is never passed on as syntax, so
``%``, ``_``, quotes, a backslash, ``*``, ``-``, ``(``, ``NEAR`` or ``AND``
are searched for as what they are (or dropped), never obeyed. Every word
must match; the last one also matches as the start of a longer word while
it is being typed."""

import unicodedata
from dataclasses import dataclass

# Longer queries are cut: past this a query is not a search any more.
MAX_QUERY_CHARS = 200
MAX_TERMS = 8
MAX_TERM_CHARS = 64
# The last word matches longer words only from this length on, so "a" does
# not match half the database.
PREFIX_MIN_CHARS = 3


@dataclass(frozen=True)
class Query:
    """*text*: the query as typed, trimmed and cut (code search looks for it
    as it is); *terms*: its words; *prefix*: whether the last word also
    matches longer words."""

    text: str
    terms: tuple[str, ...]
    prefix: bool

    @property
    def empty(self) -> bool:
        return not self.terms


@dataclass(frozen=True)
class Part:
    """A piece of a shown text, *marked* where it matched. Pieces are
    escaped where they are shown, like any text."""

    text: str
    marked: bool = False


def parse(raw: str | None) -> Query:
    """The query typed in the search box, made safe to hand to any backend."""
    text = " ".join((raw or "").replace("\x00", " ").split())[:MAX_QUERY_CHARS].strip()
    terms = tuple(text[start:end][:MAX_TERM_CHARS] for start, end in word_spans(text))
    terms = terms[:MAX_TERMS]
    prefix = bool(terms) and len(terms[-1]) >= PREFIX_MIN_CHARS
    return Query(text=text, terms=terms, prefix=prefix)


def word_spans(text: str) -> list[tuple[int, int]]:
    """Where each word of *text* starts and ends: runs of letters, marks
    (the vowel signs of many scripts) and digits."""
    spans = []
    start = None
    for index, char in enumerate(text):
        if unicodedata.category(char)[0] in "LMN":
            if start is None:
                start = index
        elif start is not None:
            spans.append((start, index))
            start = None
    if start is not None:
        spans.append((start, len(text)))
    return spans


def fold(word: str) -> str:
    """A word as the indexes compare it: case and accents folded."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").casefold()


def fts5_match(query: Query) -> str:
    """The query as an SQLite FTS5 MATCH expression: each word a quoted
    string (a quote inside doubled), so nothing in it is FTS5 syntax."""
    phrases = ['"' + term.replace('"', '""') + '"' for term in query.terms]
    if query.prefix:
        phrases[-1] += "*"
    return " ".join(phrases)


def tsquery(query: Query) -> str:
    """The query as text for PostgreSQL's ``to_tsquery``: each word a quoted
    lexeme (quotes and backslashes escaped), all of them required."""
    lexemes = ["'" + term.replace("\\", "\\\\").replace("'", "''") + "'"
               for term in query.terms]
    if query.prefix:
        lexemes[-1] += ":*"
    return " & ".join(lexemes)


def username_patterns(query: Query) -> list[str]:
    """LIKE patterns (escape character ``\\``) a username must all match:
    each word anywhere in it, wildcards in the word taken literally."""
    return ["%" + escape_like(term.lower()) + "%" for term in query.terms]


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _matches(word: str, query: Query) -> bool:
    folded = fold(word)
    terms = [fold(term) for term in query.terms]
    if folded in terms:
        return True
    return query.prefix and folded.startswith(terms[-1])


def highlight(text: str, query: Query) -> list[Part]:
    """*text* in pieces, the words that matched the query marked."""
    parts: list[Part] = []
    position = 0
    for start, end in word_spans(text):
        if _matches(text[start:end], query):
            if start > position:
                parts.append(Part(text[position:start]))
            parts.append(Part(text[start:end], marked=True))
            position = end
    if position < len(text):
        parts.append(Part(text[position:]))
    return parts


def snippet(text: str, query: Query, width: int = 240) -> list[Part]:
    """Up to *width* characters of *text* around its first matched word
    (its start when none matched), highlighted, with an ellipsis where it
    was cut."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return highlight(flat, query)
    first = next((start for start, end in word_spans(flat)
                  if _matches(flat[start:end], query)), 0)
    begin = max(0, min(first - width // 4, len(flat) - width))
    if begin > 0:
        space = flat.find(" ", begin)
        begin = space + 1 if 0 <= space < first else begin
    end = begin + width
    if end < len(flat):
        space = flat.rfind(" ", begin, end)
        end = space if space > first else end
    parts = highlight(flat[begin:end], query)
    if begin > 0:
        parts.insert(0, Part("… "))
    if end < len(flat):
        parts.append(Part(" …"))
    return parts


def literal_highlight(line: str, needle: str) -> list[Part]:
    """A line of code with each occurrence of *needle* marked (case
    ignored, as the code search ignores it)."""
    if not needle:
        return [Part(line)]
    lowered, wanted = line.lower(), needle.lower()
    parts: list[Part] = []
    position = 0
    while (found := lowered.find(wanted, position)) >= 0 and len(lowered) == len(line):
        if found > position:
            parts.append(Part(line[position:found]))
        parts.append(Part(line[found:found + len(needle)], marked=True))
        position = found + len(needle)
    if position < len(line):
        parts.append(Part(line[position:]))
    return parts
