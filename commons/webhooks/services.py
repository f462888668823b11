"""Webhook use cases: members manage a project's hooks; events become
deliveries inside the sender's transaction, sent by a job once it commits;
each attempt is recorded, and failures are tried again with backoff.
Session-first functions that flush, never commit (``deliver`` excepted: it
is the job's, and commits around the network call)."""

import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.jobs import enqueue_after_commit, schedule_after_commit
from commons.problems import Forbidden, Invalid, NotFound
from commons.projects.models import Project
from commons.webhooks import rules, sending
from commons.webhooks.models import Attempt, Delivery, Webhook

DELIVER_JOB = "webhooks.deliver"
LOG_PAGE = 50


@dataclass(frozen=True)
class Settings:
    """COMMONS_WEBHOOK_*: seconds each step of a POST may take, attempts
    made by themselves, seconds before the second (doubling after), and
    whether private and loopback addresses may be targets."""

    timeout: float = 5.0
    attempts: int = 5
    retry_delay: float = 30.0
    allow_private: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Settings":
        return cls(timeout=float(config.get("WEBHOOK_TIMEOUT", 5)),
                   attempts=max(1, int(config.get("WEBHOOK_ATTEMPTS", 5))),
                   retry_delay=float(config.get("WEBHOOK_RETRY_DELAY", 30)),
                   allow_private=bool(config.get("WEBHOOK_ALLOW_PRIVATE", False)))


@dataclass(frozen=True)
class HookFields:
    """What a member typed: the URL, a secret (empty: keep the hook's, or
    generate one for a new hook), the events, and whether it is on."""

    url: str
    secret: str
    events: list[str]
    enabled: bool = True


def new_secret() -> str:
    return secrets.token_hex(32)


def require_member(project: Project, user: User) -> None:
    """Only members see and manage a project's hooks: their secrets sign
    what the project says about itself."""
    if not project.is_member(user):
        raise Forbidden(f"Only members of {project.name} manage its webhooks.")


def _checked(fields: HookFields, settings: Settings) -> tuple[str, str, str]:
    problems: dict[str, str] = {}
    url = fields.url.strip()
    try:
        sending.resolve(rules.parse_url(url), settings.allow_private)
    except rules.Refused as refused:
        problems["url"] = str(refused)
    unknown = [e for e in fields.events if e not in rules.EVENTS]
    if unknown or not fields.events:
        problems["events"] = "Choose at least one of the events listed."
    secret = fields.secret.strip()
    if secret and not 16 <= len(secret) <= 255:
        problems["secret"] = "A secret is 16 to 255 characters; leave it empty to get one."
    if problems:
        raise Invalid(next(iter(problems.values())), problems=problems)
    events = ",".join(e for e in rules.EVENTS if e in fields.events)
    return url, secret, events


def create_hook(session: Session, project: Project, user: User, fields: HookFields,
                settings: Settings, now: datetime) -> Webhook:
    """Add a hook; its URL must be http(s) and resolve to an address hooks
    may reach. Without a secret given, one is generated."""
    require_member(project, user)
    url, secret, events = _checked(fields, settings)
    hook = Webhook(project_id=project.id, url=url, secret=secret or new_secret(),
                   events=events, enabled=fields.enabled, created_by=user,
                   created_at=now, updated_at=now)
    session.add(hook)
    session.flush()
    return hook


def update_hook(session: Session, hook: Webhook, user: User, fields: HookFields,
                settings: Settings, now: datetime) -> Webhook:
    """Change a hook's URL, events and state; a secret given replaces its
    own, an empty one keeps it."""
    require_member(hook.project, user)
    url, secret, events = _checked(fields, settings)
    hook.url, hook.events, hook.enabled, hook.updated_at = url, events, fields.enabled, now
    if secret:
        hook.secret = secret
    session.flush()
    return hook


def delete_hook(session: Session, hook: Webhook, user: User) -> None:
    """Remove a hook and its delivery log; jobs still queued for it find
    nothing and send nothing."""
    require_member(hook.project, user)
    session.delete(hook)
    session.flush()


def get_hook(session: Session, project: Project, hook_id: int) -> Webhook:
    hook = session.scalar(sa.select(Webhook).where(Webhook.id == hook_id,
                                                   Webhook.project_id == project.id))
    if hook is None:
        raise NotFound(f"{project.name} has no webhook {hook_id}.")
    return hook


def hooks_of(session: Session, project: Project) -> list[Webhook]:
    return list(session.scalars(sa.select(Webhook).where(Webhook.project_id == project.id)
                                .order_by(Webhook.id)))


def deliveries_of(session: Session, hook: Webhook, limit: int = LOG_PAGE) -> list[Delivery]:
    """The hook's newest deliveries first, with their attempts."""
    return list(session.scalars(sa.select(Delivery).where(Delivery.hook_id == hook.id)
                                .order_by(Delivery.id.desc()).limit(limit)))


def get_delivery(session: Session, hook: Webhook, delivery_id: int) -> Delivery:
    delivery = session.scalar(sa.select(Delivery).where(Delivery.id == delivery_id,
                                                        Delivery.hook_id == hook.id))
    if delivery is None:
        raise NotFound(f"This webhook has no delivery {delivery_id}.")
    return delivery


def announce(session: Session, project: Project, event: str,
             data: Callable[[], dict[str, Any]], settings: Settings,
             now: datetime) -> list[Delivery]:
    """Record a delivery of *event* for each enabled hook of *project* that
    asked for it, in the caller's transaction; each is sent by a job once
    that commits (never if it rolls back). *data* is called only when a
    hook wants the event: most projects have none."""
    hooks = [hook for hook in session.scalars(sa.select(Webhook).where(
        Webhook.project_id == project.id, Webhook.enabled.is_(True)))
        if rules.wanted(hook.events, event)]
    if not hooks:
        return []
    payload = data()
    deliveries = []
    for hook in hooks:
        delivery_id = str(uuid.uuid4())
        delivery = Delivery(hook_id=hook.id, uuid=delivery_id, event=event,
                            body=rules.body(event, project.slug, delivery_id, now, payload),
                            created_at=now, status=Delivery.PENDING, attempts=0,
                            last_attempt=settings.attempts)
        session.add(delivery)
        deliveries.append(delivery)
    if deliveries:
        session.flush()
        for delivery in deliveries:
            enqueue_after_commit(session, DELIVER_JOB, delivery_id=delivery.id, attempt=1)
    return deliveries


def redeliver(session: Session, delivery: Delivery, user: User, now: datetime) -> Delivery:
    """Send the same body again as one more attempt (after the commit); a
    delivery still being retried keeps the attempts it had left."""
    require_member(delivery.hook.project, user)
    attempt = delivery.attempts + 1
    delivery.last_attempt = max(delivery.last_attempt, attempt)
    delivery.status, delivery.next_attempt_at = Delivery.PENDING, None
    session.flush()
    enqueue_after_commit(session, DELIVER_JOB, delivery_id=delivery.id, attempt=attempt,
                         redelivery=True)
    return delivery


def deliver(session: Session, delivery_id: int, attempt: int, settings: Settings,
            now: datetime, redelivery: bool = False) -> Attempt | None:
    """Make attempt number *attempt* of a delivery, record it, and schedule
    the next one if it failed and attempts remain. An attempt already made
    (a job run twice), a deleted hook or a disabled one sends nothing.
    Commits: the transaction ends before the network is touched."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.attempts >= attempt:
        session.rollback()
        return None
    hook = delivery.hook
    url, secret, body, uid, event = hook.url, hook.secret, delivery.body, delivery.uuid, \
        delivery.event
    enabled = hook.enabled
    session.rollback()  # no transaction held while the receiver answers
    if enabled:
        data = body.encode("utf-8")
        outcome = sending.post(url, data, {
            "X-Commons-Event": event, "X-Commons-Delivery": uid,
            "X-Commons-Signature": rules.sign(secret, data)},
            timeout=settings.timeout, allow_private=settings.allow_private)
    else:
        outcome = sending.Outcome(None, 0, "Not sent: the webhook is disabled.")
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.attempts >= attempt:
        session.rollback()  # deleted meanwhile, or another run recorded it
        return None
    record = Attempt(delivery=delivery, number=attempt, at=now, ok=outcome.ok,
                     response_code=outcome.status, duration_ms=outcome.duration_ms,
                     error=(outcome.error or "")[:500] or None, redelivery=redelivery)
    session.add(record)
    delivery.attempts = attempt
    delivery.response_code, delivery.duration_ms = outcome.status, outcome.duration_ms
    delivery.error = record.error
    due = None if outcome.ok or not enabled else \
        rules.next_attempt(attempt, delivery.last_attempt, settings.retry_delay,
                           now + timedelta(milliseconds=outcome.duration_ms))  # from its end
    delivery.next_attempt_at = due
    delivery.status = Delivery.DELIVERED if outcome.ok else \
        Delivery.PENDING if due is not None else Delivery.FAILED
    if due is not None:
        schedule_after_commit(session, DELIVER_JOB, due, delivery_id=delivery.id,
                              attempt=attempt + 1)
    session.commit()
    return record


def prune_deliveries(session: Session, days: float, now: datetime) -> int:
    """Delete the deliveries made more than *days* ago that are no longer
    pending, with their attempts; returns how many."""
    old = sa.select(Delivery.id).where(Delivery.created_at < now - timedelta(days=days),
                                       Delivery.status != Delivery.PENDING)
    session.execute(sa.delete(Attempt).where(Attempt.delivery_id.in_(old)))
    removed = session.execute(sa.delete(Delivery).where(Delivery.id.in_(old)))
    return int(removed.rowcount or 0)  # type: ignore[attr-defined]
