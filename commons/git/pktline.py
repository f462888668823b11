"""The pkt-line framing of git's wire protocol, and the start of a
receive-pack request (the ref updates that lead it). Pure functions over
bytes; see gitprotocol-common(5) and gitprotocol-pack(5)."""

from collections.abc import Callable, Iterable, Iterator
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
    status = status_report("ok", {update.ref: refusals.get(
        update.ref, "refused with the rest of this push") for update in updates})
    return receive_pack_answer(capabilities, messages, status)


def status_report(unpack: str, statuses: dict[str, str | None]) -> bytes:
    """The report-status section of a receive-pack answer: how unpacking
    went, then ``ok`` (None) or ``ng <reason>`` for each ref."""
    report = pkt_line(f"unpack {unpack}\n".encode())
    for ref, reason in statuses.items():
        line = f"ok {ref}\n" if reason is None else f"ng {ref} {reason}\n"
        report += pkt_line(line.encode())
    return report + FLUSH


def receive_pack_answer(capabilities: set[str], messages: list[str], status: bytes) -> bytes:
    """A whole receive-pack answer as git would frame it for a client with
    *capabilities*: *messages* on side-band 2 (dropped for a client without
    side-band, which has nowhere to show them), then *status*."""
    if not capabilities & {"report-status", "report-status-v2"}:
        status = b""
    if not capabilities & {"side-band-64k", "side-band"}:
        return status
    out = b"".join(pkt_line(BAND_MESSAGE + f"{m}\n".encode()) for m in messages)
    limit = 999 if "side-band-64k" not in capabilities else MAX_PKT_LENGTH - 5
    for start in range(0, len(status), limit):
        out += pkt_line(BAND_DATA + status[start:start + limit])
    return out + FLUSH


def parse_status_report(report: bytes) -> tuple[str, dict[str, str | None]]:
    """How unpacking went and each ref's status (None for ``ok``, else the
    reason of ``ng``) from a report-status section; v2's ``option`` lines
    are skipped."""
    unpack = ""
    statuses: dict[str, str | None] = {}
    for payload in iter_packets([report]):
        if payload is None:
            break
        line = payload.decode("utf-8", "replace").rstrip("\n")
        if line.startswith("unpack "):
            unpack = line.removeprefix("unpack ")
        elif line.startswith("ok "):
            statuses[line.removeprefix("ok ")] = None
        elif line.startswith("ng "):
            ref, _, reason = line.removeprefix("ng ").partition(" ")
            statuses[ref] = reason or "refused"
    return unpack, statuses


def iter_packets(chunks: Iterable[bytes]) -> Iterator[bytes | None]:
    """The pkt-lines of a stream that comes in *chunks* of any size: each
    payload, or None for a flush (delimiter and response-end packets are
    passed over). Raises MalformedPacket on bad framing."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= 4:
            try:
                length = int(buffer[:4], 16)
            except ValueError:
                raise MalformedPacket(f"bad pkt-line length {buffer[:4]!r}") from None
            if length < 4:
                buffer = buffer[4:]
                if length == 0:
                    yield None
                continue
            if length > MAX_PKT_LENGTH:
                raise MalformedPacket(f"pkt-line length {length} out of range")
            if len(buffer) < length:
                break
            payload, buffer = buffer[4:length], buffer[length:]
            yield payload
    if buffer:
        raise MalformedPacket("the stream ended in the middle of a pkt-line")


def redirect_update(payloads: list[bytes], ref: str, to: str) -> bytes:
    """The commands of a receive-pack request, framed again, with the update
    of *ref* made a creation of *to* instead (capabilities, shallow lines and
    the other updates unchanged), ending with the flush."""
    out = b""
    for payload in payloads:
        line, newline = payload.removesuffix(b"\n"), payload.endswith(b"\n")
        command, nul, caps = line.partition(b"\0")
        parts = command.split(b" ")
        if len(parts) == 3 and parts[2] == ref.encode():
            zero = b"0" * len(parts[0])
            command = b" ".join([zero, parts[1], to.encode()])
        payload = command + nul + caps + (b"\n" if newline else b"")
        out += pkt_line(payload)
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
