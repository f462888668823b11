"""The ledger's pure rules, the front door: every caller imports them from
here (``from commons.ledger import rules``); each lives in the module of
its seam:

- ``quantity_rules``: numbers, units, money, dates as a person types them
- ``need_rules``: an input's kind, approval, open or not, refusals
- ``journal_rules``: the canonical form and hash chain of entries
- ``balance_rules``: the fold from a journal to balances, and totals
- ``work_rules``: work categories and the days hours may be logged for
- ``correction_rules``: what a correction may change
- ``confirm_rules``: ratings of work, its month, who confirms it
- ``fund_rules``: funds per currency, expense claims and payouts
- ``recurrence_rules``: the months a recurring need's supply covers

Plain values only; no Flask, no database."""

from commons.ledger.balance_rules import (
    CONFIRM_ACTIONS,
    Balances,
    InputBalance,
    PledgeBalance,
    Totals,
    WorkBalance,
    apply,
    rebuild,
    totals,
)
from commons.ledger.correction_rules import CORRECTABLE, check_correction
from commons.ledger.fund_rules import PAYOUT_METHODS
from commons.ledger.journal_rules import (
    GENESIS,
    StoredEntry,
    canonical,
    chain,
    document,
    timestamp,
    verify_chain,
)
from commons.ledger.need_rules import (
    KINDS,
    estimated_total,
    is_open,
    needs_proposal,
    pledge_refusal,
    receipt_refusal,
    resource_key,
    status_of,
)
from commons.ledger.quantity_rules import (
    EXACT,
    MAX_AMOUNT,
    UNITS,
    RuleError,
    check_date,
    cost,
    decimals_of,
    money,
    parse_number,
    quantise,
    quantity,
    shown,
    text,
    unit_named,
)
from commons.ledger.recurrence_rules import (
    RECURRENCES,
    MonthError,
    coverage_words,
    month_named,
    month_of,
    month_text,
    parse_month,
)
from commons.ledger.work_rules import (
    MAX_HOURS_PER_DAY,
    WORK_CATEGORIES,
    WORK_MAX_DAYS_BACK,
    check_work_date,
)
from commons.money import currencies

__all__ = [
    "CONFIRM_ACTIONS", "CORRECTABLE", "EXACT", "GENESIS", "KINDS", "MAX_AMOUNT", "MAX_HOURS_PER_DAY", "UNITS",
    "WORK_CATEGORIES", "WORK_MAX_DAYS_BACK", "Balances", "InputBalance", "PledgeBalance",
    "RuleError", "StoredEntry", "Totals", "WorkBalance", "apply", "canonical", "chain",
    "check_correction", "check_date", "check_work_date", "cost", "currencies", "decimals_of",
    "document", "estimated_total", "is_open", "money", "needs_proposal", "parse_number",
    "pledge_refusal", "quantise", "quantity", "rebuild", "receipt_refusal", "resource_key",
    "shown", "status_of", "text", "timestamp", "totals", "unit_named", "verify_chain",
    "PAYOUT_METHODS", "RECURRENCES", "MonthError", "coverage_words", "month_named",
    "month_of", "month_text", "parse_month",
]
