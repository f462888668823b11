"""How webhooks follow the other domains: each signal a hook may ask for
becomes a delivery per hook, recorded in the sender's transaction (for
``refs_moved``, the receiver's own, committed when it returns) and sent by
a job once that commits."""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from commons import signals
from commons.accounts.models import User
from commons.clock import now as clock_now
from commons.governance.models import Proposal
from commons.ledger.models import LedgerEntry
from commons.projects.models import Project
from commons.urls import base_url
from commons.webhooks import services


def connect_reactions() -> None:
    """Connect the webhooks' receivers (idempotent: blinker keeps one
    connection per receiver, however often the app is created)."""
    signals.refs_moved.connect(push_moved_refs, weak=False)
    signals.entry_appended.connect(ledger_entry_appended, weak=False)
    signals.proposal_opened.connect(proposal_opened, weak=False)
    signals.proposal_revised.connect(proposal_revised, weak=False)
    signals.proposal_decided.connect(proposal_decided, weak=False)
    signals.member_joined.connect(member_joined, weak=False)
    signals.membership_requested.connect(membership_requested, weak=False)


def _settings() -> services.Settings:
    return services.Settings.from_config(current_app.config)


def push_moved_refs(project: Project, *, session: Session, moved: dict[str, str],
                    pusher: User | None, path: Path, now: datetime) -> None:
    """A push (or a decision's merge) moved refs: the ``push`` event."""
    services.announce(session, project, "push", lambda: {
        "refs": [{"ref": ref, "after": new, "deleted": set(new) == {"0"}}
                 for ref, new in sorted(moved.items())],
        "pusher": pusher.username if pusher else None}, _settings(), now)


def ledger_entry_appended(project: Project, *, session: Session, entry: LedgerEntry,
                          data: dict) -> None:
    """An entry joined the journal: the ``ledger_entry`` event, carrying the
    entry's hash and the canonical payload it hashes, so a receiver can check
    ``hash == sha256(prev_hash || payload)`` and follow the chain."""
    def entry_data() -> dict[str, Any]:
        document = json.loads(entry.payload)
        return {"seq": entry.seq, "kind": entry.action, "hash": entry.hash,
                "prev_hash": entry.prev_hash, "payload": entry.payload,
                "at": document.get("at"), "actor": document.get("actor"),
                "data": document.get("data"),
                "url": f"{base_url(current_app.config)}/projects/{project.slug}/ledger"}

    services.announce(session, project, "ledger_entry", entry_data, _settings(),
                      entry.at or clock_now())


def _proposal(project: Project, proposal: Proposal) -> dict[str, Any]:
    return {"number": proposal.number, "title": proposal.title, "kind": proposal.kind,
            "status": proposal.status, "revision": proposal.revision,
            "author": proposal.author.username if proposal.author else None,
            "closes_at": _iso(proposal.closes_at), "outcome": proposal.outcome or None,
            # Built from BASE_URL, not url_for: the worker has no request.
            "url": f"{base_url(current_app.config)}/projects/{project.slug}"
                   f"/proposals/{proposal.number}"}


def proposal_opened(project: Project, *, session: Session, proposal: Proposal,
                    now: datetime, **_: Any) -> None:
    services.announce(session, project, "proposal_opened", lambda: _proposal(project, proposal),
                      _settings(), now)


def proposal_revised(project: Project, *, session: Session, proposal: Proposal,
                     now: datetime, **_: Any) -> None:
    services.announce(session, project, "proposal_revised", lambda: _proposal(project, proposal),
                      _settings(), now)


def proposal_decided(project: Project, *, session: Session, proposal: Proposal,
                     now: datetime, **_: Any) -> None:
    services.announce(session, project, "proposal_decided", lambda: _proposal(project, proposal),
                      _settings(), now)


def member_joined(project: Project, *, session: Session, user: User, now: datetime,
                  **_: Any) -> None:
    services.announce(session, project, "membership",
                      lambda: {"action": "joined", "user": user.username, "proposal": None},
                      _settings(), now)


def membership_requested(project: Project, *, session: Session, proposal: Proposal,
                         user: User, now: datetime, **_: Any) -> None:
    services.announce(session, project, "membership",
                      lambda: {"action": "requested", "user": user.username,
                               "proposal": _proposal(project, proposal)}, _settings(), now)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat().replace("+00:00", "Z") if at else None
