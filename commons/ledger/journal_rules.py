"""The journal's canonical form and hash chain: the bytes an entry is
hashed as, sha256(prev_hash || payload), and the walk that verifies a
stored chain. Pure rules over plain values."""

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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


@dataclass(slots=True)  # not frozen: a million of them are made per verify
class StoredEntry:
    """An entry as read back for verification."""

    seq: int
    at: datetime
    actor: str | None
    action: str
    payload: str
    prev_hash: str
    hash: str
    input_number: int | None = None


def verify_chain(project: str, entries: Iterable[StoredEntry], head: tuple[int, str] | None,
                 fold: Callable[[StoredEntry, dict[str, Any]], str | None] | None = None,
                 ) -> tuple[int, int | None, str]:
    """Walk *entries* in sequence order and check each: its payload says
    what its columns say, its prev_hash is the previous hash, and its hash
    is sha256(prev_hash || payload); then the head row names the last one.
    The hash is over the payload's bytes as stored, so any change to them is
    caught there; writers store the canonical form, so anyone can recompute
    it from the entry's fields.
    *fold(entry, document)*, if given, sees each entry that passed, parsed
    once; it returns a problem to stop at, or None.
    Returns (entries checked, first bad seq or None, what is wrong)."""
    previous, expected_seq, count = GENESIS, 1, 0
    for entry in entries:
        count += 1
        if entry.seq != expected_seq:
            return count, expected_seq, f"entry {expected_seq} is missing (found {entry.seq} next)"
        try:
            said = json.loads(entry.payload)
        except ValueError:
            return count, entry.seq, "its payload is not JSON"
        at = timestamp(entry.at)
        if (said.get("seq") != entry.seq or said.get("action") != entry.action
                or said.get("actor") != entry.actor or said.get("at") != at
                or said.get("project") != project):
            columns = {"project": project, "seq": entry.seq, "at": at, "action": entry.action,
                       "actor": entry.actor}
            key = next(key for key, value in columns.items() if said.get(key) != value)
            return count, entry.seq, (f"its {key} column says {columns[key]!r}, its payload "
                                      f"{said.get(key)!r}")
        data = said.get("data")
        said_input = data.get("input") if isinstance(data, dict) else None
        if said_input != entry.input_number:
            return count, entry.seq, (f"its input column says {entry.input_number!r}, its "
                                      f"payload {said_input!r}")
        if entry.prev_hash != previous:
            return count, entry.seq, "its prev_hash is not the previous entry's hash"
        if chain(entry.prev_hash, entry.payload.encode("utf-8")) != entry.hash:
            return count, entry.seq, "its hash does not match its content"
        if fold is not None and (problem := fold(entry, said)):
            return count, entry.seq, problem
        previous, expected_seq = entry.hash, expected_seq + 1
    head_seq, head_hash = head or (0, GENESIS)
    if head_seq != expected_seq - 1 or head_hash != previous:
        return count, max(head_seq, expected_seq - 1), (
            f"the head says entry {head_seq} {head_hash[:12]}, the journal ends at "
            f"{expected_seq - 1} {previous[:12]}")
    return count, None, ""
