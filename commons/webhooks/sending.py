"""The one POST of an attempt: resolve the host, refuse addresses a hook
may not reach, connect to an address that was checked (so a second DNS
answer cannot swap it), send, and never follow a redirect."""

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from commons.webhooks import rules

MAX_ANSWER_BYTES = 64 * 1024  # what is read of a receiver's answer
USER_AGENT = "commons-webhooks/1"


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: the answer's status (None when none came),
    how long it took, and what went wrong (None when it was delivered)."""

    status: int | None
    duration_ms: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


def resolve(target: rules.Target, allow_private: bool) -> list[str]:
    """The addresses to connect to for *target*, in order: its host resolved, every
    address it resolves to checked (one refused address refuses the host,
    so a name cannot mix a public and a private answer). Raises Refused."""
    try:
        answers = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise rules.Refused(f"The host {target.host} cannot be resolved ({error}).") from None
    addresses = list(dict.fromkeys(str(answer[4][0]) for answer in answers))
    if not addresses:
        raise rules.Refused(f"The host {target.host} resolves to no address.")
    if not allow_private:
        for address in addresses:
            why = rules.refusal(address)
            if why is not None:
                raise rules.Refused(
                    f"{target.host} resolves to {why}: webhooks are sent to public "
                    "addresses only (an operator may allow others with "
                    "COMMONS_WEBHOOK_ALLOW_PRIVATE).")
    return addresses


def _connect(addresses: list[str], port: int, timeout: float | None) -> socket.socket:
    """A connection to the first of the checked *addresses* that answers."""
    error: OSError = OSError("no address")
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except TimeoutError:
            raise
        except OSError as failed:
            error = failed
    raise error


class _HTTP(http.client.HTTPConnection):
    def __init__(self, target: rules.Target, addresses: list[str], timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._addresses = addresses

    def connect(self) -> None:
        self.sock = _connect(self._addresses, self.port, self.timeout)


class _HTTPS(http.client.HTTPSConnection):
    def __init__(self, target: rules.Target, addresses: list[str], timeout: float):
        super().__init__(target.host, target.port, timeout=timeout,
                         context=ssl.create_default_context())
        self._addresses = addresses

    def connect(self) -> None:
        sock = _connect(self._addresses, self.port, self.timeout)
        # The certificate is checked against the host named, not the address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float,
         allow_private: bool) -> Outcome:
    """POST *body* to *url*, within *timeout* seconds for each step (connect,
    send, each read) and at most that twice over in all; the address is
    checked again here, at delivery time. Never raises for the receiver's
    faults: they come back as an Outcome with its error."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = rules.parse_url(url)
        addresses = resolve(target, allow_private)
    except rules.Refused as refused:
        return Outcome(None, took(), f"Refused: {refused}")
    kind = _HTTPS if target.scheme == "https" else _HTTP
    connection = kind(target, addresses, timeout)
    try:
        connection.request("POST", target.path, body=body, headers={
            "Content-Type": "application/json", "User-Agent": USER_AGENT, **headers})
        answer = connection.getresponse()
        remaining = MAX_ANSWER_BYTES
        while remaining > 0 and time.monotonic() - started < 2 * timeout:
            chunk = answer.read(min(remaining, 8192))
            if not chunk:
                break
            remaining -= len(chunk)
        status = answer.status
    except TimeoutError:
        return Outcome(None, took(), f"Timed out after {timeout:g} s.")
    except (OSError, http.client.HTTPException) as error:
        return Outcome(None, took(), f"Could not deliver: {error or type(error).__name__}.")
    finally:
        connection.close()
    if rules.succeeded(status):
        return Outcome(status, took(), None)
    if 300 <= status < 400:
        return Outcome(status, took(), f"The receiver answered {status}, a redirect; "
                                       "redirects are not followed: give the final URL.")
    return Outcome(status, took(), f"The receiver answered {status}.")
