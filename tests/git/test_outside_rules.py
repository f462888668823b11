"""The pure parts of proposals from outside: reading refs/for/ names, and
rewriting the pkt-lines of a receive-pack request and its answer."""

import pytest

from commons.git import rules
from commons.git.pktline import (
    BAND_DATA,
    BAND_MESSAGE,
    FLUSH,
    MalformedPacket,
    RefUpdate,
    iter_packets,
    parse_ref_updates,
    parse_status_report,
    pkt_line,
    receive_pack_answer,
    redirect_update,
    status_report,
)

ZERO, A, B = "0" * 40, "a" * 40, "b" * 40


def test_a_refs_for_name_reads_as_branch_and_topic_longest_branch_first():
    assert rules.proposal_targets("refs/for/main") == [("main", "")]
    assert rules.proposal_targets("refs/for/release/1.0/fix") == [
        ("release/1.0/fix", ""), ("release/1.0", "fix"), ("release", "1.0/fix")]
    for bad in ("refs/for/", "refs/for/../x", "refs/for/a//b", "refs/for/a.lock",
                "refs/for/.hidden", "refs/for/a b", "refs/for/a~1", "refs/for/a@{0}",
                "refs/heads/main"):
        assert rules.proposal_targets(bad) == [], bad


def test_a_push_to_refs_for_is_one_update_on_its_own():
    assert rules.outside_push_refusal([RefUpdate(ZERO, A, "refs/for/main")],
                                      default_branch="main") is None
    mixed = [RefUpdate(ZERO, A, "refs/for/main"), RefUpdate(ZERO, A, "refs/heads/x")]
    assert "on its own" in rules.outside_push_refusal(mixed, default_branch="main")
    two = [RefUpdate(ZERO, A, "refs/for/main"), RefUpdate(ZERO, B, "refs/for/main/x")]
    assert "one proposal at a time" in rules.outside_push_refusal(two, default_branch="main")
    deleted = [RefUpdate(A, ZERO, "refs/for/main")]
    assert "withdrawn on its page" in rules.outside_push_refusal(deleted, default_branch="main")
    long = [RefUpdate(ZERO, A, "refs/for/main/" + "x" * 300)]
    assert "not a valid name" in rules.outside_push_refusal(long, default_branch="main")


def test_the_label_never_names_a_branch():
    label = rules.proposal_label("main", "bell", "bob")
    assert label == "refs/for/main/bell by bob" and not rules.valid_ref_part(label)


def test_redirect_update_keeps_capabilities_and_other_lines():
    payloads = [b"shallow " + A.encode() + b"\n",
                f"{A} {B} refs/for/main\0report-status side-band-64k agent=git/2\n".encode()]
    rewritten = redirect_update(payloads, "refs/for/main", "refs/commons/incoming/x")
    packets = list(iter_packets([rewritten]))
    assert packets[-1] is None and packets[0] == payloads[0]
    updates, capabilities = parse_ref_updates([p for p in packets if p is not None])
    assert updates == [RefUpdate(ZERO, B, "refs/commons/incoming/x")]
    assert capabilities == {"report-status", "side-band-64k", "agent=git/2"}


def test_iter_packets_reads_across_chunks_and_refuses_bad_framing():
    stream = pkt_line(b"one\n") + FLUSH + pkt_line(b"two")
    chunks = [stream[i:i + 3] for i in range(0, len(stream), 3)]
    assert list(iter_packets(chunks)) == [b"one\n", None, b"two"]
    with pytest.raises(MalformedPacket):
        list(iter_packets([b"zzzz"]))
    with pytest.raises(MalformedPacket):
        list(iter_packets([b"0009ab"]))


def test_a_status_report_round_trips_and_is_framed_for_the_client():
    report = status_report("ok", {"refs/for/main": None, "refs/for/x": "no branch x"})
    assert parse_status_report(report) == ("ok", {"refs/for/main": None,
                                                  "refs/for/x": "no branch x"})
    answer = receive_pack_answer({"report-status", "side-band-64k"}, ["hello"], report)
    packets = list(iter_packets([answer]))
    assert packets[0] == BAND_MESSAGE + b"hello\n"
    assert packets[1] == BAND_DATA + report and packets[2] is None
    assert receive_pack_answer({"report-status"}, ["hello"], report) == report
    assert receive_pack_answer(set(), ["hello"], report) == b""
