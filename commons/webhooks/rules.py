"""Webhook rules over plain values: which events there are, what a target
URL may be, which addresses are refused, how a body is signed, and when the
next attempt is due. No Flask, no database, no network."""

import hashlib
import hmac
import ipaddress
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

# What a hook may ask for, in the order the form lists them, and what each
# is called in the X-Commons-Event header and the body's "event".
EVENTS: dict[str, str] = {
    "push": "Pushes: branches and tags moved",
    "proposal_opened": "Proposal opened",
    "proposal_revised": "Proposal revised",
    "proposal_decided": "Proposal decided",
    "ledger_entry": "Ledger entry appended",
    "membership": "Membership: someone joined or asked to join",
}

MAX_URL_LENGTH = 2000
SIGNATURE_PREFIX = "sha256="


class Refused(ValueError):
    """A URL or an address a hook may not send to; the message says why."""


@dataclass(frozen=True)
class Target:
    """Where a URL points: scheme, host as written (no brackets), port, and
    the path with its query, as sent in the request line."""

    scheme: str
    host: str
    port: int
    path: str


def parse_url(url: str) -> Target:
    """The target *url* names, or Refused saying what is wrong with it.
    Only http and https; no user name or password in the URL (a receiver
    checks the signature, not a password in the address)."""
    url = url.strip()
    if not url:
        raise Refused("Give the URL the events are sent to, e.g. https://ci.example.org/hook.")
    if len(url) > MAX_URL_LENGTH:
        raise Refused(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise Refused("The URL has spaces or control characters; encode them.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise Refused(f"The URL cannot be read: {error}.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise Refused("Only http:// and https:// URLs can receive webhooks"
                      + (f", not {scheme}://." if scheme else "."))
    if parts.username is not None or parts.password is not None:
        raise Refused("Leave the user name and password out of the URL; receivers check "
                      "the X-Commons-Signature header instead.")
    host = (parts.hostname or "").lower()
    if not host:
        raise Refused("The URL names no host.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme, host, port or (443 if scheme == "https" else 80), path)


def refusal(address: str) -> str | None:
    """Why a hook may not send to the IP *address*, or None when it may:
    private, loopback, link-local, multicast, reserved and unspecified
    addresses (an IPv4 address inside IPv6 counts as itself) are refused,
    since a hook must not reach into the server's own network."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None:
            ip = embedded
    for refused, what in ((ip.is_loopback, "a loopback address"),
                          (ip.is_link_local, "a link-local address"),
                          (ip.is_multicast, "a multicast address"),
                          (ip.is_unspecified, "an unspecified address"),
                          (ip.is_reserved, "a reserved address"),
                          (ip.is_private, "a private address"),
                          (not ip.is_global, "not a public address")):
        if refused:
            return f"{address} is {what}"
    return None


def sign(secret: str, body: bytes) -> str:
    """The X-Commons-Signature header's value: ``sha256=`` and the hex
    HMAC-SHA256 of *body* with *secret*."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """Whether *signature* is *body*'s, compared in constant time (what a
    receiver does)."""
    return hmac.compare_digest(sign(secret, body), signature)


def body(event: str, project: str, delivery: str, at: datetime, data: dict[str, Any]) -> str:
    """The JSON a delivery posts: compact, keys sorted, so what is stored is
    exactly what is signed and sent, each attempt the same."""
    return json.dumps({"event": event, "project": project, "delivery": delivery,
                       "timestamp": at.isoformat().replace("+00:00", "Z"), "data": data},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def succeeded(status: int | None) -> bool:
    """A 2xx answer is a delivery; anything else (redirects included, which
    are never followed) is a failure to try again."""
    return status is not None and 200 <= status < 300


def next_attempt(attempt: int, last: int, delay: float, now: datetime) -> datetime | None:
    """When attempt *attempt* + 1 is due after attempt *attempt* failed:
    *delay* seconds after the first, twice as long after each next one;
    None once *last* attempts were made."""
    if attempt >= last:
        return None
    return now + timedelta(seconds=delay * 2 ** (attempt - 1))


def wanted(events: str, event: str) -> bool:
    """Whether a hook's stored event list (comma-separated) holds *event*."""
    return event in events.split(",")
