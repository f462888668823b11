"""The pkt-line framing of git's wire protocol, and the start of a
receive-pack request (the ref updates that lead it). Pure functions over
bytes; see gitprotocol-common(5) and gitprotocol-pack(5)."""

from collections.abc import Callable
from dataclasses import dataclass

FLUSH = b"0000"
MAX_PKT_LENGTH = 65520
# Side-band channels: 1 carries data, 2 progress and messages for the user.
BAND_DATA, BAND_MESSAGE = b"\x01", b"\x02"


class MalformedPacket(ValueError):
    """The request is not valid pkt-line data."""


@dataclass(frozen=True)
class RefUpdate:
    old: str
    new: str
    ref: str

    @property
    def is_delete(self) -> bool:
        return set(self.new) == {"0"}

    @property
    def is_create(self) -> bool:
        return set(self.old) == {"0"}


def pkt_line(payload: bytes) -> bytes:
    """Frame *payload* as one pkt-line."""
    if len(payload) + 4 > MAX_PKT_LENGTH:
        raise ValueError("payload too long for one pkt-line")
    return f"{len(payload) + 4:04x}".encode() + payload


def read_until_flush(read: Callable[[int], bytes], max_bytes: int = 1 << 20) -> tuple[list[bytes], bytes]:
    """Read pkt-lines from *read* up to and including a flush packet.

    Returns the payloads and every byte consumed (to hand on to git
    unchanged). Raises MalformedPacket on bad framing, a truncated stream, or
    more than *max_bytes* before the flush."""
    payloads: list[bytes] = []
    raw = bytearray()
    while True:
        header = _read_exactly(read, 4)
        raw += header
        try:
            length = int(header, 16)
        except ValueError:
            raise MalformedPacket(f"bad pkt-line length {header!r}") from None
        if length == 0:
            return payloads, bytes(raw)
        if length < 4 or length > MAX_PKT_LENGTH:
            raise MalformedPacket(f"pkt-line length {length} out of range")
        payload = _read_exactly(read, length - 4)
        raw += payload
        payloads.append(payload)
        if len(raw) > max_bytes:
            raise MalformedPacket("too many ref updates before the pack")


def parse_ref_updates(payloads: list[bytes]) -> tuple[list[RefUpdate], set[str]]:
    """The ref updates and capabilities of a receive-pack request's commands."""
    updates: list[RefUpdate] = []
    capabilities: set[str] = set()
    for payload in payloads:
        line = payload.rstrip(b"\n")
        if line.startswith(b"shallow "):
            continue
        if b"\0" in line:  # the first update carries the capabilities
            line, _, caps = line.partition(b"\0")
            if not updates:
                capabilities = set(caps.decode("ascii", "replace").split())
        parts = line.split(b" ")
        if len(parts) != 3 or not all(_is_object_id(p) for p in parts[:2]):
            raise MalformedPacket(f"not a ref update: {line[:100]!r}")
        try:
            ref = parts[2].decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedPacket("ref name is not UTF-8") from None
        updates.append(RefUpdate(parts[0].decode(), parts[1].decode(), ref))
    return updates, capabilities


def refusal_report(updates: list[RefUpdate], refusals: dict[str, str],
                   capabilities: set[str], messages: list[str]) -> bytes:
    """A receive-pack response that refuses the push: *messages* reach the
    user as ``remote:`` lines and each ref gets an ``ng`` status."""
    status = pkt_line(b"unpack ok\n")
    for update in updates:
        reason = refusals.get(update.ref, "refused with the rest of this push")
        status += pkt_line(f"ng {update.ref} {reason}\n".encode())
    status += FLUSH
    if not capabilities & {"side-band-64k", "side-band"}:
        return status
    out = b"".join(pkt_line(BAND_MESSAGE + f"{m}\n".encode()) for m in messages)
    limit = 999 if "side-band-64k" not in capabilities else MAX_PKT_LENGTH - 5
    for start in range(0, len(status), limit):
        out += pkt_line(BAND_DATA + status[start:start + limit])
    return out + FLUSH


def _read_exactly(read: Callable[[int], bytes], size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = read(size - len(data))
        if not chunk:
            raise MalformedPacket("the request ended in the middle of a pkt-line")
        data += chunk
    return data


def _is_object_id(value: bytes) -> bool:
    return len(value) in (40, 64) and all(c in b"0123456789abcdef" for c in value)
