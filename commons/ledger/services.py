"""Ledger use cases, the domain's front door: record needs, pledges,
receipts, consumption, work and corrections as journal entries; read
balances; verify the chain. Views, the API, the CLI and other domains
import these names from here; each lives in the module of its seam:

- ``checks``: who may record, what an input still takes
- ``journal``: hold the head, append, fold, head
- ``needs``: record, approve, close an input requirement
- ``supply``: pledges, receipts (with evidence), consumption
- ``work``: hours a member logs
- ``corrections``: entries that fix earlier ones
- ``confirmations``: another member confirms logged work, or withdraws it
- ``claims``: expense claims and their payouts; ``funds``: what they and
  receipts of money keep per currency
- ``verifying``: the chain and the balances recomputed from the journal
- ``queries``: what pages and the API read

Every writing use case takes the project's journal head first (one row
lock; on SQLite the write lock), then reads what it checks, appends one
entry chained to the head, and folds the entry into the stored balances
with the same ``rules.apply`` that rebuilds them. Session first; these
flush, never commit."""

from commons.ledger.checks import MAX_NUMBER, no_pledge, no_receipt
from commons.ledger.claims import (
    ClaimForm,
    approve_claim,
    record_claim,
    record_payout,
    refuse_claim,
    withdraw_claim,
)
from commons.ledger.confirmations import confirm_work, get_work, withdraw_confirmation
from commons.ledger.corrections import correct
from commons.ledger.funds import (
    CLAIM_CURSOR,
    CLAIMS_PER_PAGE,
    claim_cursor,
    get_claim,
    is_treasurer,
    list_claims,
    owed_and_paid,
    owed_to_shares,
    project_funds,
    treasurers,
)
from commons.ledger.journal import head, hold_journal
from commons.ledger.needs import NeedForm, approve_input, close_input, record_need
from commons.ledger.queries import (
    count_inputs,
    entry_data,
    evidence_receipt,
    get_entry,
    get_input,
    inputs_numbered,
    journal,
    list_inputs,
    open_clause,
    open_needs,
    recent_work,
    totals,
    work_numbered,
)
from commons.ledger.supply import (
    PROVIDERS_PLEDGE,
    Evidence,
    pledge,
    record_consumption,
    record_receipt,
    withdraw_pledge,
)
from commons.ledger.verifying import (
    Verification,
    rebuild_balances,
    stored_balances,
    verify,
    verify_since_checkpoint,
)
from commons.ledger.work import log_work

# The signals ledger use cases send, reachable here as they were before the
# split (they are declared in commons.signals).
from commons.signals import (
    entry_appended,
    input_changed,
    input_closed,
    input_pending,
    input_supplied,
)

__all__ = [
    "MAX_NUMBER", "PROVIDERS_PLEDGE", "Evidence", "NeedForm", "Verification",
    "approve_input", "close_input", "correct", "count_inputs", "entry_appended", "entry_data",
    "evidence_receipt", "get_entry", "get_input", "head", "hold_journal", "input_changed",
    "input_closed", "input_pending", "input_supplied", "inputs_numbered", "journal",
    "list_inputs", "log_work", "no_pledge", "no_receipt", "open_clause", "open_needs",
    "pledge", "rebuild_balances", "recent_work", "record_consumption", "record_need",
    "record_receipt", "stored_balances", "totals", "verify",
    "verify_since_checkpoint", "withdraw_pledge",
    # funds, expense claims and payouts (issue 20)
    "CLAIM_CURSOR", "CLAIMS_PER_PAGE", "ClaimForm", "approve_claim", "claim_cursor",
    "get_claim", "is_treasurer", "list_claims", "owed_and_paid", "owed_to_shares",
    "project_funds", "record_claim", "record_payout", "refuse_claim", "treasurers",
    "withdraw_claim",
    # confirmed work (issue 20)
    "confirm_work", "get_work", "withdraw_confirmation", "work_numbered",
]
