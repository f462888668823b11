"""The journal's canonical form and hash chain: the bytes an entry is
hashed as, sha256(prev_hash || payload), and the walk that verifies a
stored chain. Pure rules over plain values."""

import hashlib
import json
from collections.abc import Callable, Container, Iterable
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson

GENESIS = "0" * 64


def canonical(document: dict[str, Any]) -> bytes:
    """The one byte form of an entry: sorted keys, no spaces, UTF-8.
    Decimals are strings already; NaN cannot get in."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def chain(prev_hash: str, payload: bytes) -> str:
    """hash = sha256(prev_hash || payload), prev_hash as its 64 hex digits."""
    return hashlib.sha256(prev_hash.encode("ascii") + payload).hexdigest()


def timestamp(at: datetime) -> str:
    """2026-03-01T12:00:00.000005Z: UTC, always six fractional digits."""
    if at.utcoffset():
        at = at.astimezone(UTC)
    text = at.isoformat(timespec="microseconds")
    return (text[:-6] if at.tzinfo is not None else text) + "Z"


def document(project: str, seq: int, at: datetime, actor: str | None, action: str,
             data: dict[str, Any]) -> dict[str, Any]:
    """What an entry says, all of it hashed: which project, where in its
    sequence, when, who, what."""
    return {"project": project, "seq": seq, "at": timestamp(at), "actor": actor,
            "action": action, "data": data}


class StoredEntry(NamedTuple):
    """An entry as read back for verification: a plain tuple, so a million
    rows cost no objects of their own. *at* is the column's time, or its
    ``timestamp`` text when the database formatted it."""

    seq: int
    at: datetime | str
    actor: str | None
    action: str
    payload: str
    prev_hash: str
    hash: str
    input_number: int | None = None


def verify_chain(project: str, entries: Iterable[StoredEntry | tuple[Any, ...]],
                 head: tuple[int, str] | None,
                 fold: Callable[[int, str, dict[str, Any]], str | None] | None = None,
                 start: tuple[int, str] = (0, GENESIS), hashed: bool = False,
                 fold_actions: Container[str] | None = None) -> tuple[int, int | None, str]:
    """Walk *entries* (``StoredEntry`` or tuples in its order) in sequence
    order and check each: its payload says what its columns say, its
    prev_hash is the previous hash, and its hash is sha256(prev_hash ||
    payload); then the head row names the last one.
    The hash is over the payload's bytes as stored, so any change to them is
    caught there; writers store the canonical form, so anyone can recompute
    it from the entry's fields.
    *start* is the (seq, hash) the entries follow: the genesis, or a
    checkpoint already verified.
    *fold(seq, action, document)*, if given, sees each entry that passed,
    parsed once; it returns a problem to stop at, or None. With
    *fold_actions*, only the entries whose action is one of them: a fold
    that ignores most entries is then not called for them at all.
    *hashed*: the database recomputed each hash already, and gave an
    entry's hash as None where sha256(prev_hash || payload) is not it.
    Returns (entries checked, first bad seq or None, what is wrong)."""
    previous, expected_seq = start[1], start[0] + 1
    count = 0
    sha256 = hashlib.sha256  # looked up once: this loop runs a million times
    for seq, at, actor, action, payload, prev_hash, digest, input_number in entries:
        count += 1
        if seq != expected_seq:
            return count, expected_seq, f"entry {expected_seq} is missing (found {seq} next)"
        try:
            said = _parsed(payload)
        except ValueError:
            return count, seq, "its payload is not JSON"
        if not isinstance(said, dict):
            return count, seq, "its payload is not a JSON object"
        stamp = at if isinstance(at, str) else timestamp(at)
        if (said.get("seq") != seq or said.get("action") != action
                or said.get("actor") != actor or said.get("at") != stamp
                or said.get("project") != project):
            stamp = _reformatted(stamp)
            columns = {"project": project, "seq": seq, "at": stamp, "action": action,
                       "actor": actor}
            key = next((key for key, value in columns.items() if said.get(key) != value), None)
            if key is not None:
                return count, seq, (f"its {key} column says {columns[key]!r}, its payload "
                                    f"{said.get(key)!r}")
        data = said.get("data")
        said_input = data.get("input") if isinstance(data, dict) else None
        if said_input != input_number:
            return count, seq, (f"its input column says {input_number!r}, its "
                                f"payload {said_input!r}")
        if prev_hash != previous:
            return count, seq, "its prev_hash is not the previous entry's hash"
        # prev_hash equals a stored hash here, so it is ASCII: one encode does.
        if (digest is None) if hashed else \
                sha256((prev_hash + payload).encode("utf-8")).hexdigest() != digest:
            return count, seq, "its hash does not match its content"
        if fold is not None and (fold_actions is None or action in fold_actions) and \
                (problem := fold(seq, action, said)):
            return count, seq, problem
        previous, expected_seq = digest, expected_seq + 1
    head_seq, head_hash = head or (0, GENESIS)
    if head_seq != expected_seq - 1 or head_hash != previous:
        return count, max(head_seq, expected_seq - 1), (
            f"the head says entry {head_seq} {head_hash[:12]}, the journal ends at "
            f"{expected_seq - 1} {previous[:12]}")
    return count, None, ""


def _parsed(payload: str) -> Any:
    """orjson's parse, three times json's speed; json's for what orjson
    refuses and json reads (integers past 64 bits, NaN), so a payload is
    "not JSON" by the standard library's rule, as it always was."""
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return json.loads(payload)


def _reformatted(stamp: str) -> str:
    """A time the database wrote as text in another form of the same
    instant ("2026-03-01 12:00:00"), in the canonical one; anything else
    as it was, to be reported."""
    try:
        return timestamp(datetime.fromisoformat(stamp.removesuffix("Z")))
    except ValueError:
        return stamp
