"""Every signal the domains send one another, in one place.

A domain sends a signal when something happened that other domains react
to; the reactions live in ``commons/<domain>/reactions.py``. Each docstring
says when the signal fires, what it carries, and whether receivers run
inside the sender's transaction (their writes commit or roll back with it)
or after the sender committed.
"""

from blinker import Namespace

_signals = Namespace()

push_recorded = _signals.signal("push-recorded", doc="""A push was recorded and its commits indexed.

Sender: the project. Carries ``moved={ref: new id}``. Receivers run after
the push record committed; governance revises merge proposals, the
contributor records refresh the trusted mailmap.""")

commits_indexed = _signals.signal("commits-indexed", doc="""A batch of commits was written to the index.

Sender: the session. Carries ``project_id=`` and ``commits=[CommitInfo]``.
Receivers run inside the indexing transaction; the contributor records keep
their tallies with it.""")

input_pending = _signals.signal("input-pending", doc="""An input was declared that needs a decision first.

Sender: the project. Carries ``need=``, ``actor=``, ``now=``. Receivers run
inside the ledger's transaction; governance opens the ``input`` proposal.""")

input_supplied = _signals.signal("input-supplied", doc="""Someone pledged or provided an input.

Sender: the project. Carries ``need=``. Receivers run inside the ledger's
transaction; pledgers and providers gain standing on the input's proposal.""")

input_changed = _signals.signal("input-changed", doc="""A need's amount was corrected.

Sender: the project. Carries ``need=``, ``actor=``, ``now=``. Receivers run
inside the ledger's transaction; governance revises the open proposal.""")

input_closed = _signals.signal("input-closed", doc="""An input was withdrawn or closed.

Sender: the project. Carries ``need=``, ``actor=``, ``now=``. Receivers run
inside the ledger's transaction; governance withdraws its open proposal.""")

entry_appended = _signals.signal("entry-appended", doc="""An entry was appended to a project's journal.

Sender: the project. Carries ``session=``, ``entry=``, ``data=``. Receivers
run inside the appending transaction; the contributor records keep
deliveries with it.""")
