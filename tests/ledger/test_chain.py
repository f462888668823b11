"""The canonical form of an entry, the hash chain, and verify_chain naming
the first bad entry of a tampered journal. Pure; the same checks against a
real database and the CLI are in test_verify.py."""

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commons.ledger import rules


def replace(entry: rules.StoredEntry, **changes) -> rules.StoredEntry:
    return entry._replace(**changes)

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
FAST = settings(max_examples=60, deadline=None)


def test_canonical_is_stable_and_independent_of_key_order():
    one = rules.canonical({"b": 1, "a": {"d": [1, "2"], "c": None}, "é": "Räder"})
    two = rules.canonical({"é": "Räder", "a": {"c": None, "d": [1, "2"]}, "b": 1})
    assert one == two == '{"a":{"c":null,"d":[1,"2"]},"b":1,"é":"Räder"}'.encode()
    assert rules.canonical(json.loads(one)) == one
    with pytest.raises(ValueError):
        rules.canonical({"quantity": float("nan")})


JSON = st.recursive(st.none() | st.booleans() | st.integers(-10 ** 12, 10 ** 12) | st.text(),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


@given(st.dictionaries(st.text(max_size=8), JSON, max_size=6), st.randoms())
@FAST
def test_canonical_depends_on_content_only(document, random):
    items = list(document.items())
    random.shuffle(items)
    assert rules.canonical(dict(items)) == rules.canonical(document)
    assert json.loads(rules.canonical(document)) == document
    assert rules.canonical(json.loads(rules.canonical(document))) == rules.canonical(document)


def test_chain_is_sha256_of_the_previous_hash_then_the_payload():
    payload = rules.canonical({"seq": 1, "data": {"title": "Räder"}})
    first = rules.chain(rules.GENESIS, payload)
    assert first == hashlib.sha256(b"0" * 64 + payload).hexdigest()
    second = rules.chain(first, b"{}")
    assert second == hashlib.sha256(first.encode("ascii") + b"{}").hexdigest()
    assert rules.chain(rules.GENESIS, payload + b" ") != first


def test_a_document_says_where_when_who_and_what():
    at = datetime(2026, 3, 1, 13, 30, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    assert rules.document("dryer", 7, at, "ada", "pledge", {"input": 1}) == {
        "project": "dryer", "seq": 7, "at": "2026-03-01T12:30:00.000005Z", "actor": "ada",
        "action": "pledge", "data": {"input": 1}}


def written(journal, project="dryer", actor="ada"):
    """StoredEntry rows as the services write them, and the head."""
    entries, previous = [], rules.GENESIS
    for seq, (action, data) in enumerate(journal, 1):
        at = T0 + timedelta(minutes=seq, microseconds=seq)
        payload = rules.canonical(rules.document(project, seq, at, actor, action, data)).decode()
        entries.append(rules.StoredEntry(seq, at, actor, action, payload, previous,
                                         rules.chain(previous, payload.encode()),
                                         data.get("input")))
        previous = entries[-1].hash
    return entries, (len(entries), previous)


JOURNAL = [("need", {"input": 1, "quantity": "20.000"}), ("pledge", {"input": 1, "quantity": "5.000"}),
           ("receipt", {"input": 1, "quantity": "5.000"}), ("consume", {"input": 1, "quantity": "1.000"}),
           ("work", {"hours": "2.00"})]


def first_bad(entries, head, project="dryer"):
    count, bad, problem = rules.verify_chain(project, entries, head)
    return bad, problem


def test_an_intact_chain_verifies():
    entries, head = written(JOURNAL)
    assert rules.verify_chain("dryer", entries, head) == (5, None, "")
    assert rules.verify_chain("dryer", [], None) == (0, None, "")
    assert rules.verify_chain("dryer", [], (0, rules.GENESIS)) == (0, None, "")


def amended(entry, **changes):
    said = json.loads(entry.payload)
    said["data"].update(changes)
    return replace(entry, payload=rules.canonical(said).decode())


def test_verify_chain_names_the_first_bad_entry():
    entries, head = written(JOURNAL)
    e = list(entries)
    cases = {
        "changed payload": ([*e[:2], amended(e[2], quantity="50.000"), *e[3:]], head, 3,
                            "hash does not match"),
        "payload not canonical": ([*e[:2], replace(e[2], payload=e[2].payload.replace(
            ",", ", ")), *e[3:]], head, 3, "hash does not match"),
        "payload not JSON": ([*e[:1], replace(e[1], payload="{oops"), *e[2:]], head, 2,
                             "not JSON"),
        "changed hash": ([*e[:3], replace(e[3], hash="f" * 64), e[4]], head, 4,
                         "hash does not match"),
        "changed prev_hash": ([*e[:3], replace(e[3], prev_hash=e[1].hash), e[4]], head, 4,
                              "prev_hash"),
        "missing entry": ([*e[:2], *e[3:]], head, 3, "entry 3 is missing (found 4 next)"),
        "missing first": (e[1:], head, 1, "entry 1 is missing"),
        "missing last": (e[:4], head, 5, "the head says entry 5"),
        "reordered": ([e[0], e[2], e[1], *e[3:]], head, 2, "entry 2 is missing (found 3"),
        "repeated": ([*e[:3], e[2], *e[3:]], head, 4, "entry 4 is missing (found 3"),
        "action column": ([*e[:1], replace(e[1], action="receipt"), *e[2:]], head, 2,
                          "its action column says 'receipt', its payload 'pledge'"),
        "at column": ([*e[:4], replace(e[4], at=e[4].at + timedelta(microseconds=1))], head, 5,
                      "its at column says"),
        "actor column": ([replace(e[0], actor="mallory"), *e[1:]], head, 1,
                         "its actor column says 'mallory'"),
        "input column": ([*e[:2], replace(e[2], input_number=2), *e[3:]], head, 3,
                         "its input column says 2, its payload 1"),
        "input column on work": ([*e[:4], replace(e[4], input_number=1)], head, 5,
                                 "its input column says 1, its payload None"),
        "input column emptied": ([replace(e[0], input_number=None), *e[1:]], head, 1,
                                 "its input column says None, its payload 1"),
        "head hash": (e, (5, "0" * 63 + "1"), 5, "the head says entry 5 000000000000"),
        "head ahead": (e, (6, head[1]), 6, "the head says entry 6"),
        "head behind": (e, (4, e[3].hash), 5, "the journal ends at 5"),
        "no head": (e, None, 5, "the head says entry 0"),
        "head without entries": ([], head, 5, "the journal ends at 0"),
    }
    for name, (tampered, claimed, seq, message) in cases.items():
        bad, problem = first_bad(tampered, claimed)
        assert (bad, message in problem) == (seq, True), (name, bad, problem)


def test_a_rehashed_entry_breaks_the_link_to_the_next_one():
    entries, head = written(JOURNAL)
    forged = amended(entries[2], quantity="50.000")
    forged = replace(forged, hash=rules.chain(forged.prev_hash, forged.payload.encode()))
    assert first_bad([*entries[:2], forged, *entries[3:]], head) == \
        (4, "its prev_hash is not the previous entry's hash")
    # The last one, re-hashed, no longer matches the head.
    last = amended(entries[4], hours="20.00")
    last = replace(last, hash=rules.chain(last.prev_hash, last.payload.encode()))
    assert first_bad([*entries[:4], last], head)[0] == 5


def test_an_entry_moved_from_another_project_is_caught():
    theirs, _ = written(JOURNAL, project="kiln")
    ours, head = written(JOURNAL)
    assert first_bad([ours[0], theirs[1], *ours[2:]], head) == \
        (2, "its project column says 'dryer', its payload 'kiln'")


def test_an_entry_whose_actor_was_erased_is_caught():
    # Accounts with ledger entries cannot be deleted (the foreign key
    # refuses), so an empty actor column is a tampered row.
    entries, head = written(JOURNAL)
    assert first_bad([replace(entries[0], actor=None), *entries[1:]], head) == \
        (1, "its actor column says None, its payload 'ada'")


@given(st.data())
@FAST
def test_any_changed_byte_of_any_payload_is_caught_at_its_entry(data):
    entries, head = written(JOURNAL)
    seq = data.draw(st.integers(1, len(entries)))
    entry = entries[seq - 1]
    raw = bytearray(entry.payload.encode())
    at = data.draw(st.integers(0, len(raw) - 1))
    raw[at] = data.draw(st.integers(32, 126).filter(lambda b: b != raw[at]))
    tampered = [*entries[:seq - 1], replace(entry, payload=raw.decode()), *entries[seq:]]
    assert first_bad(tampered, head)[0] == seq


def test_hashes_the_database_recomputed_are_taken_as_it_found_them():
    """With *hashed*, an entry's hash is the database's verdict: None where
    sha256(prev_hash || payload) is not the stored hash; the links and the
    head are still checked here."""
    entries, head = written(JOURNAL)
    assert rules.verify_chain("dryer", entries, head, hashed=True) == (5, None, "")
    unhashed = [replace(e, hash=None) if e.seq == 2 else e for e in entries]
    assert rules.verify_chain("dryer", unhashed, head, hashed=True) == \
        (2, 2, "its hash does not match its content")
    relinked = [replace(e, prev_hash=rules.GENESIS) if e.seq == 3 else e for e in entries]
    assert rules.verify_chain("dryer", relinked, head, hashed=True) == \
        (3, 3, "its prev_hash is not the previous entry's hash")
    assert rules.verify_chain("dryer", entries, (5, "f" * 64), hashed=True)[1] == 5


def test_a_fold_limited_to_some_actions_sees_only_those_and_stops_the_walk():
    """*fold_actions*: the fold is called for those entries only (each
    still checked), and a problem it returns names its entry."""
    entries, head = written(JOURNAL)
    seen = []

    def fold(seq, action, said):
        seen.append((seq, action, said["data"]))
        return None

    assert rules.verify_chain("dryer", entries, head, fold,
                              fold_actions={"work", "pledge"}) == (5, None, "")
    assert seen == [(2, "pledge", {"input": 1, "quantity": "5.000"}),
                    (5, "work", {"hours": "2.00"})]
    assert rules.verify_chain("dryer", entries, head, lambda *_: "refused",
                              fold_actions={"consume"}) == (4, 4, "refused")
    tampered = [replace(e, hash="e" * 64) if e.seq == 3 else e for e in entries]
    assert rules.verify_chain("dryer", tampered, head, fold, fold_actions={"work"})[1:] == \
        (3, "its hash does not match its content")
