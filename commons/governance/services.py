"""Governance use cases, the domain's front door: views, the API, the CLI
and other domains import this module, and each function lives where its
name says:

- ``opening``: open a proposal (``kinds``: what each kind checks and does);
- ``outside``: open or revise a merge proposal pushed to refs/for/;
- ``stances``: take a stance, comment, revise, escalate, withdraw;
- ``deciding``: decide what is due, carrying out what passed exactly once;
- ``queries``: read proposals, standing, tallies, what waits for a stance;
- ``inputs``: the proposal that follows an input through the ledger.
- ``claims``: the proposal that approves an expense claim (issue 20).

Session first; these flush, and ``decide_due`` commits one proposal at a
time (each decision is its own transaction)."""

from commons.governance.claims import propose_claim
from commons.governance.deciding import Decision, decide_due, due
from commons.governance.inputs import (
    input_changed,
    propose_input,
    refresh_input_parties,
    withdraw_input_proposal,
)
from commons.governance.kinds.claim import open_claim_proposal
from commons.governance.kinds.input import open_input_proposal
from commons.governance.notices import record_notices
from commons.governance.opening import open_proposal, request_membership
from commons.governance.outside import Proposed, proposal_ref, propose_from_outside
from commons.governance.queries import (
    current_tally,
    get_proposal,
    list_proposals,
    pinned_commits,
    proposed_branches,
    standing,
    standing_and_tally,
    waiting_for_stance,
)
from commons.governance.settings import Settings
from commons.governance.stances import (
    add_comment,
    escalate,
    revise,
    revise_merges_for_push,
    take_stance,
    withdraw_membership_requests,
    withdraw_proposal,
    withdraw_stance,
)

__all__ = [
    "Decision", "Proposed", "Settings", "add_comment", "current_tally", "decide_due", "due",
    "escalate", "get_proposal", "input_changed", "list_proposals",
    "open_input_proposal", "open_proposal", "pinned_commits", "proposal_ref",
    "propose_from_outside", "propose_input", "refresh_input_parties",
    "request_membership", "revise", "revise_merges_for_push", "standing", "standing_and_tally",
    "take_stance", "withdraw_input_proposal", "withdraw_membership_requests",
    "withdraw_proposal", "withdraw_stance",
    "proposed_branches", "record_notices", "waiting_for_stance",
    "open_claim_proposal", "propose_claim",
]
