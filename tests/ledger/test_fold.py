"""The fold that turns a journal into balances: examples, and properties
over random journals the services could have written (every operation
checked as the services check it before they append it)."""

import copy
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commons.ledger import rules

FAST = settings(max_examples=80, deadline=None)
ZERO = Decimal(0)


def need(number, quantity="20.000", approval="approved", **extra):
    return ("need", {"input": number, "title": f"Input {number}", "kind": "material",
                     "quantity": quantity, "unit": "kg", "unit_cost": "2.50", "currency": "EUR",
                     "needed_by": None, "description": "", "approval": approval, **extra})


def numbered(journal):
    return [(seq, action, data) for seq, (action, data) in enumerate(journal, 1)]


def test_a_journal_folds_into_balances():
    balances = rules.rebuild(numbered([
        need(1), need(2, approval="pending"),
        ("pledge", {"input": 1, "quantity": "5.000", "note": "", "pledger": "cy"}),
        ("pledge", {"input": 1, "quantity": "3.000", "note": "", "pledger": "bo"}),
        ("receipt", {"input": 1, "quantity": "4.000", "provider": "cy", "pledge": 3}),
        ("receipt", {"input": 1, "quantity": "1.000", "provider": "shop", "pledge": None}),
        ("consume", {"input": 1, "quantity": "2.000", "purpose": "x"}),
        ("withdraw", {"input": 1, "pledge": 4}),
        ("correct", {"corrects": 3, "action": "pledge", "input": 1, "deltas": {"quantity": "1"},
                     "reason": "more"}),
        ("correct", {"corrects": 5, "action": "receipt", "input": 1, "pledge": 3,
                     "deltas": {"quantity": "-0.500"}, "reason": "miscounted"}),
        ("work", {"worker": "ada", "hours": "2.00", "category": "care", "date": "2026-03-01"}),
        ("correct", {"corrects": 11, "action": "work", "deltas": {"hours": "-0.50"},
                     "reason": "x", "worker": "ada", "date": "2026-03-01"}),
        ("approve", {"input": 2, "proposal": 1}),
        ("correct", {"corrects": 1, "action": "need", "input": 1, "reason": "more",
                     "deltas": {"quantity": "2", "unit_cost": "0.50"}}),
        ("close", {"input": 2, "reason": "found one"}),
    ]))
    one, two = balances.inputs[1], balances.inputs[2]
    assert (one.needed, one.unit_cost, one.received, one.consumed) == \
        (Decimal(22), Decimal("3.00"), Decimal("4.5"), Decimal(2))
    assert one.pledges[3].received == Decimal("3.5") and one.pledges[3].quantity == Decimal(6)
    assert (one.pledged, one.still_needed, one.status) == (Decimal("2.5"), Decimal(15), "approved")
    assert one.pledges[4].withdrawn and one.pledges[4].outstanding == ZERO
    assert (two.approved, two.closed, two.status) == (True, True, "closed")
    assert balances.work[11].hours == Decimal("1.50")


def test_status_follows_what_arrives_and_what_is_pledged():
    balances = rules.rebuild(numbered([need(1, quantity="10")]))
    assert balances.inputs[1].status == "approved"
    rules.apply(balances, 2, "pledge", {"input": 1, "quantity": "6", "pledger": "bo"})
    rules.apply(balances, 3, "receipt", {"input": 1, "quantity": "4", "pledge": None})
    assert balances.inputs[1].status == "covered"
    rules.apply(balances, 4, "receipt", {"input": 1, "quantity": "6", "pledge": 2})
    assert (balances.inputs[1].status, balances.inputs[1].pledged) == ("fulfilled", ZERO)


def test_a_correction_can_send_an_input_back_for_approval():
    balances = rules.rebuild(numbered([need(1)]))
    rules.apply(balances, 2, "correct", {"corrects": 1, "action": "need", "input": 1,
                                         "deltas": {"unit_cost": "22.00"}, "approval": "pending",
                                         "reason": "dearer"})
    assert (balances.inputs[1].unit_cost, balances.inputs[1].status) == (Decimal("24.50"), "pending")


def test_an_unknown_action_is_not_folded_silently():
    with pytest.raises(ValueError, match="unknown ledger action 'gift'"):
        rules.apply(rules.Balances(), 1, "gift", {})


# ---------------------------------------------------------------- random journals

def milli(draw, low, high):
    """A kg amount in [low, high] (Decimals), whole grams."""
    return Decimal(draw(st.integers(int(low * 1000), int(high * 1000)))).scaleb(-3)


@st.composite
def journals(draw):
    """(seq, action, data) triples, each operation valid against the
    balances so far, as the services would have checked it."""
    state, entries, said = rules.Balances(), [], {}
    current: dict[int, Decimal] = {}  # receipt or use -> its amount, corrections included
    hours_on: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for seq in range(1, draw(st.integers(1, 45)) + 1):
        inputs = list(state.inputs.values())
        open_inputs = [n for n in inputs if not n.closed]
        pledgeable = [n for n in open_inputs if n.still_needed > 0]
        usable = [n for n in inputs if n.received > n.consumed]
        withdrawable = [p for n in inputs for p in n.pledges.values()
                        if not p.withdrawn and p.received < p.quantity]
        pending = [n for n in open_inputs if not n.approved]
        # What can be done now, the common things more often.
        choice = draw(st.sampled_from(
            ["need", "work"] + ["pledge"] * 3 * bool(pledgeable) + ["receipt"] * 3 *
            bool(open_inputs) + ["consume"] * 2 * bool(usable) + ["withdraw"] * bool(
                withdrawable) + ["correct"] * 3 * bool(said) + ["close"] * bool(open_inputs) +
            ["approve"] * bool(pending)))
        entry = None
        if choice == "pledge":
            target = draw(st.sampled_from(pledgeable))
            entry = ("pledge", {"input": target.number, "pledger": draw(st.sampled_from(
                ["bo", "cy"])), "note": "", "quantity": rules.text(
                    milli(draw, Decimal("0.001"), target.still_needed))})
        elif choice == "receipt":
            target = draw(st.sampled_from(open_inputs))
            live = [p.seq for p in target.pledges.values() if not p.withdrawn]
            against = draw(st.sampled_from([None, *live]))
            entry = ("receipt", {"input": target.number, "pledge": against, "provider": "cy",
                                 "quantity": rules.text(milli(draw, Decimal("0.001"), 30))})
        elif choice == "consume":
            target = draw(st.sampled_from(usable))
            entry = ("consume", {"input": target.number, "purpose": "x", "quantity": rules.text(
                milli(draw, Decimal("0.001"), target.received - target.consumed))})
        elif choice == "withdraw":
            pledge = draw(st.sampled_from(withdrawable))
            entry = ("withdraw", {"input": pledge.input, "pledge": pledge.seq})
        elif choice == "work":
            worker, day = draw(st.sampled_from(["ada", "bo"])), draw(st.sampled_from(
                ["2026-03-01", "2026-03-02"]))
            left = rules.MAX_HOURS_PER_DAY - hours_on[worker, day]
            if left > 0:
                hours = Decimal(draw(st.integers(1, int(left * 4)))) / 4
                hours_on[worker, day] += hours
                entry = ("work", {"worker": worker, "date": day, "category": "care",
                                  "description": "", "hours": rules.text(hours.quantize(
                                      Decimal("0.01")))})
        elif choice == "correct":
            entry = correction(draw, state, said, current, hours_on)
        elif choice == "close":
            entry = ("close", {"input": draw(st.sampled_from(open_inputs)).number, "reason": "x"})
        elif choice == "approve":
            entry = ("approve", {"input": draw(st.sampled_from(pending)).number, "proposal": 1})
        if entry is None:  # a correction the services would refuse: a new need instead
            entry = need(len(inputs) + 1, rules.text(milli(draw, Decimal("0.001"), 50)),
                         draw(st.sampled_from(["approved", "pending"])))
        action, data = entry
        rules.apply(state, seq, action, data)
        said[seq] = (action, data)
        if action in ("receipt", "consume"):
            current[seq] = Decimal(data["quantity"])
        elif action == "correct" and data["action"] in ("receipt", "consume"):
            current[data["corrects"]] += Decimal(data["deltas"]["quantity"])
        entries.append((seq, action, data))
    return entries


def correction(draw, state, said, current, hours_on):
    """A correction the services' checks (_check_corrected) would let through:
    a receipt or a use never below zero, earlier corrections counted."""
    originals = [(seq, a, d) for seq, (a, d) in said.items() if a in rules.CORRECTABLE]
    if not originals:
        return None
    seq, action, data = draw(st.sampled_from(originals))
    change = milli(draw, -5, 5) if action != "work" else \
        Decimal(draw(st.integers(-16, 16))) / 4
    if change == 0:
        return None
    base = {"corrects": seq, "action": action, "reason": "x"}
    if action == "work":
        work = state.work[seq]
        if work.hours + change < 0 or hours_on[work.worker, work.date] + change > 24:
            return None
        hours_on[work.worker, work.date] += change
        return "correct", {**base, "worker": work.worker, "date": work.date,
                           "deltas": {"hours": rules.text(change.quantize(Decimal("0.01")))}}
    target = state.inputs[data["input"]]
    base.update(input=target.number, deltas={"quantity": rules.text(change)})
    if action == "need" and target.needed + change <= 0:
        return None
    if action == "pledge":
        row = target.pledges[seq]
        if row.quantity + change < 0 or change > target.still_needed:
            return None
    if action == "receipt":
        if target.received + change < target.consumed or current[seq] + change < 0:
            return None
        if data["pledge"] is not None:
            if target.pledges[data["pledge"]].received + change < 0:
                return None
            base["pledge"] = data["pledge"]
    if action == "consume" and not (0 <= target.consumed + change <= target.received
                                    and current[seq] + change >= 0):
        return None
    return "correct", base


def expected_sums(entries):
    """What each input received and used, and each pledge's quantity and
    delivery, summed straight from the entries (not through apply)."""
    received, consumed = defaultdict(Decimal), defaultdict(Decimal)
    pledged, delivered, withdrawn = defaultdict(Decimal), defaultdict(Decimal), set()
    for seq, action, data in entries:
        amount = Decimal(data.get("quantity") or data.get("deltas", {}).get("quantity") or 0)
        kind = data["action"] if action == "correct" else action
        if kind == "receipt":
            received[data["input"]] += amount
            if data.get("pledge") is not None:
                delivered[data["pledge"]] += amount
        elif kind == "consume":
            consumed[data["input"]] += amount
        elif kind == "pledge":
            pledged[seq if action == "pledge" else data["corrects"]] += amount
        elif action == "withdraw":
            withdrawn.add(data["pledge"])
    return received, consumed, pledged, delivered, withdrawn


@given(journals())
@FAST
def test_balances_keep_their_invariants(entries):
    balances = rules.Balances()
    for seq, action, data in entries:
        rules.apply(balances, seq, action, data)
        for need_ in balances.inputs.values():
            assert need_.received >= need_.consumed >= 0
            assert need_.needed > 0
            assert need_.pledged >= 0
            assert need_.still_needed == max(need_.needed - need_.received - need_.pledged, ZERO)
            assert need_.status == rules.status_of(need_.closed, need_.approved, need_.needed,
                                                   need_.received, need_.pledged)
            for pledge in need_.pledges.values():
                assert pledge.quantity >= 0 and pledge.received >= 0 and pledge.outstanding >= 0
        assert all(work.hours >= 0 for work in balances.work.values())
    received, consumed, pledged, delivered, withdrawn = expected_sums(entries)
    for number, need_ in balances.inputs.items():
        assert (need_.received, need_.consumed) == (received[number], consumed[number])
        outstanding = ZERO
        for seq, pledge in need_.pledges.items():
            assert (pledge.quantity, pledge.received, pledge.withdrawn) == \
                (pledged[seq], delivered[seq], seq in withdrawn)
            if seq not in withdrawn:
                outstanding += max(pledged[seq] - delivered[seq], ZERO)
        assert need_.pledged == outstanding


@given(journals())
@FAST
def test_rebuilding_from_the_journal_equals_folding_entry_by_entry(entries):
    """What the services do (fold each new entry into a copy of the one
    stored input or work log it touches, then store the copy) gives what
    rebuilding from nothing gives."""
    stored = rules.Balances()
    for seq, action, data in entries:
        scratch = rules.Balances()
        if "input" in data and data["input"] in stored.inputs:
            scratch.inputs[data["input"]] = copy.deepcopy(stored.inputs[data["input"]])
        if action == "correct" and data["action"] == "work":
            scratch.work[data["corrects"]] = copy.deepcopy(stored.work[data["corrects"]])
        rules.apply(scratch, seq, action, data)
        stored.inputs.update(scratch.inputs)
        stored.work.update(scratch.work)
    rebuilt = rules.rebuild(entries)
    assert rebuilt == stored
    assert [n.status for n in rebuilt.inputs.values()] == [n.status for n in stored.inputs.values()]
    assert rules.totals(rebuilt.inputs.values()) == rules.totals(stored.inputs.values())
    # A prefix of the journal is an earlier state: folding the rest onto it
    # lands in the same place.
    cut = len(entries) // 2
    resumed = rules.rebuild(entries[:cut])
    for seq, action, data in entries[cut:]:
        rules.apply(resumed, seq, action, data)
    assert resumed == rebuilt
