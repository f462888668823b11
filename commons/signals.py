"""Every signal the domains send one another, in one place.

A domain sends a signal when something happened that other domains react
to; the reactions live in ``commons/<domain>/reactions.py``. Each docstring
says when the signal fires, what it carries, and whether receivers run
inside the sender's transaction (their writes commit or roll back with it)
or after the sender committed.

Signals whose receivers run inside the transaction are sent with ``send``:
a receiver that raises makes the sender fail and roll back. Those sent after
the commit go through ``send_after_commit``: each receiver in its own
transaction, and one that fails is logged without stopping the others.
The ledger's signals carry no session; their receivers use ``db.session``,
the one the ledger writes with.
"""

import logging
from typing import Any

from blinker import Namespace, Signal
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_signals = Namespace()

refs_moved = _signals.signal("refs-moved", doc="""Branches or tags of a project's repository moved.

Sender: the project. Carries ``session=``, ``moved={ref: new id}`` (all
zeros for a deleted ref), ``pusher=`` (the User who pushed; None when a
decision moved it, or the account is gone), ``path=`` (the bare repository)
and ``now=``. Sent once a push is recorded and its commits indexed
(``commons.git.pushes.finish_push``), for pushes through git, a decision's
merge or licence commit and refs moved on the server alike, all found in
git's reflogs by ``commons.git.reconcile``; after a crash it may be sent
twice for one push, so receivers are idempotent. Sent with
``send_after_commit``: receivers run after the sender committed, each in its
own transaction; the git domain indexes the new commits, governance revises
merge proposals, the contributor records refresh the trusted mailmap.""")

commits_indexed = _signals.signal("commits-indexed", doc="""A batch of commits was written to the index.

Sender: the session. Carries ``project_id=`` and ``commits=[CommitInfo]``.
Receivers run inside the indexing transaction; the contributor records keep
their tallies with it.""")

input_pending = _signals.signal("input-pending", doc="""A recorded need awaits a decision.

Sender: the project. Carries ``need=``, ``actor=``, ``now=``. Receivers run
inside the ledger's transaction; governance opens the ``input`` proposal.""")

input_supplied = _signals.signal("input-supplied", doc="""Who supplies an input changed.

Sent when someone pledges or withdraws a pledge, and when a receipt names a
provider who has an account. Sender: the project. Carries ``need=``.
Receivers run inside the ledger's transaction; pledgers and providers gain
standing on the input's proposal.""")

input_changed = _signals.signal("input-changed", doc="""A correction changed a need.

Sender: the project. Carries ``need=``, ``actor=``, ``now=``. Receivers run
inside the ledger's transaction; governance revises the open proposal.""")

input_closed = _signals.signal("input-closed", doc="""A member closed an input (no more pledges).

Sender: the project. Carries ``need=``, ``actor=``, ``now=``. Receivers run
inside the ledger's transaction; governance withdraws its open proposal.""")

claim_pending = _signals.signal("claim-pending", doc="""An expense claim awaits a decision.

Sent when a member claims more than the project's approval threshold (or in
another currency). Sender: the project. Carries ``claim=``, ``actor=``,
``now=``. Receivers run inside the ledger's transaction; governance opens
the ``claim`` proposal.""")

claim_withdrawn = _signals.signal("claim-withdrawn", doc="""A claimant withdrew their expense claim.

Sent after the ``claim_refuse`` entry is appended. Sender: the project.
Carries ``claim=``, ``actor=``, ``now=``. Receivers run inside the ledger's
transaction (the journal head held); governance withdraws the claim's open
``claim`` proposal.""")

entry_appended = _signals.signal("entry-appended", doc="""An entry was appended to a project's journal.

Sender: the project. Carries ``session=``, ``entry=``, ``data=``. Receivers
run inside the appending transaction; the contributor records keep
deliveries with it.""")


notification_delivered = _signals.signal("notification-delivered", doc="""A notification reached its person.

Sender: the Notification (``commons.notifications.models``). Carries
``session=``, ``channel=`` ("mail": its own mail was handed to the mail
queue; "digest": it went out in the person's daily digest; "inbox": the
person asked for no mail, or ignores the project, so the inbox entry itself
is their notice) and ``at=`` (aware UTC). Sent once per notification and
channel: for "inbox" inside the transaction that records it
(``notify_many``), for "mail" and "digest" inside the job's transaction that
marks it delivered. Receivers write with *session*; what they write commits
or rolls back with the delivery.""")


# --- governance and membership: who is told (notifications, webhooks).
# All are sent inside the sender's transaction with ``send``: what a receiver
# records (a notification, a notice, a webhook delivery) commits or rolls back
# with the proposal; receivers that reach the outside world enqueue a job
# after the commit (``commons.jobs.enqueue_after_commit``), never send inline.

proposal_opened = _signals.signal("proposal-opened", doc="""A proposal was opened.

Sender: the project. Carries ``session=``, ``proposal=`` (flushed, with its
number and affected parties) and ``now=``. Sent by
``governance.opening.add_proposal``, for proposals opened on the pages, the
API and by a push to refs/for/ alike.""")

proposal_revised = _signals.signal("proposal-revised", doc="""A proposal has a new revision.

Sender: the project. Carries ``session=``, ``proposal=`` and ``now=``; its
window restarted and earlier stances are stale.""")

proposal_decided = _signals.signal("proposal-decided", doc="""A proposal was decided.

Sender: the project. Carries ``session=``, ``proposal=`` (status passed,
blocked or failed, ``outcome`` set) and ``now=``. Sent by the decider in the
transaction that claims the proposal, once per decision.""")

stance_taken = _signals.signal("stance-taken", doc="""Someone took or changed their stance.

Sender: the project. Carries ``session=``, ``proposal=``, ``stance=`` (the
Stance row: user, stance, reason) and ``now=``.""")

comment_added = _signals.signal("comment-added", doc="""A comment was added to a proposal.

Sender: the project. Carries ``session=``, ``proposal=``, ``comment=`` (a
comment on the proposal or on a line of its changes) and ``now=``.""")

membership_requested = _signals.signal("membership-requested", doc="""Someone asked to join.

Sender: the project (consent admission). Carries ``session=``,
``proposal=`` (the membership proposal), ``user=`` (who asks) and ``now=``;
``proposal_opened`` is sent for the proposal as well.""")

member_joined = _signals.signal("member-joined", doc="""Someone became a member.

Sender: the project. Carries ``session=``, ``user=`` and ``now=``: at once
under open admission, or when a membership proposal is carried out.""")


def send_after_commit(signal: Signal, session: Session, sender: Any, **data: Any) -> None:
    """Run each receiver of *signal* in its own transaction, committed when
    it returns. The sender has committed already: a receiver that fails is
    rolled back and logged, and the others still run."""
    for receiver in list(signal.receivers_for(sender)):
        try:
            receiver(sender, session=session, **data)
            session.commit()
        except Exception:
            session.rollback()
            log.exception("%s: the receiver %s failed; what the sender committed stands",
                          getattr(signal, "name", signal), _name(receiver))


def _name(receiver: Any) -> str:
    return f"{getattr(receiver, '__module__', '?')}.{getattr(receiver, '__qualname__', receiver)}"
