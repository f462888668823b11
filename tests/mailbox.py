"""A real SMTP server for the tests (aiosmtpd on a free port), and a reader
of the outbox folder an app without MAIL_SERVER writes to."""

import email
import email.policy
import re
import socket
import threading
import time
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller


class SMTPServer:
    """Takes every mail sent to it and keeps it, parsed, in ``messages``."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.sessions: set = set()  # the client ends of the connections mails came over
        self.refuse = 0  # answer this many DATA commands with a temporary failure
        self._arrived = threading.Condition()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def config(self) -> dict:
        """Settings that point an app at this server."""
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.port, "MAIL_TIMEOUT": 10}

    def start(self) -> "SMTPServer":
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller.loop.is_running():
            self._controller.stop()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.refuse:
            self.refuse -= 1
            return "451 Try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._arrived:
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.sessions.add(session.peer)
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 OK"

    def wait(self, count: int, seconds: float = 30) -> list[EmailMessage]:
        """The messages once at least *count* arrived."""
        deadline = time.monotonic() + seconds
        with self._arrived:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.messages)} mails arrived, not {count}: "
                                         f"{[m['Subject'] for m in self.messages]}")
                self._arrived.wait(left)
            return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["To"]]

    @staticmethod
    def link(message: EmailMessage, containing: str) -> str:
        return link(message, containing)


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def link(message: EmailMessage, containing: str) -> str:
    """The first link of the plain part whose address contains *containing*."""
    for found in re.findall(r"https?://\S+", text_of(message)):
        if containing in found:
            return found
    raise AssertionError(f"no link with {containing!r} in:\n{text_of(message)}")


def outbox_messages(app) -> list[EmailMessage]:
    """The mails an app without MAIL_SERVER wrote, oldest first."""
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    files = sorted(folder.glob("*.eml"), key=lambda path: path.stat().st_mtime_ns) \
        if folder.is_dir() else []
    return [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in files]
