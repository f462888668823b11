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
and ``now=``. Sent by a recorded push (``commons.git.pushes.record_push``)
and by a decision whose merge or licence commit moved the default branch. Sent with
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

entry_appended = _signals.signal("entry-appended", doc="""An entry was appended to a project's journal.

Sender: the project. Carries ``session=``, ``entry=``, ``data=``. Receivers
run inside the appending transaction; the contributor records keep
deliveries with it.""")


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
