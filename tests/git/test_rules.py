"""The pure parts of git hosting: pkt-lines, ref updates, push rules, the
Git-Protocol header and the commit log parser."""

import io

import pytest

from commons.git import rules
from commons.git.indexing import parse_identity
from commons.git.pktline import (
    FLUSH,
    MalformedPacket,
    RefUpdate,
    parse_ref_updates,
    pkt_line,
    read_until_flush,
    refusal_report,
)

ZERO, A, B = "0" * 40, "a" * 40, "b" * 40


def test_pkt_lines_round_trip_up_to_the_flush():
    data = pkt_line(b"one\n") + pkt_line(b"two\n") + FLUSH + b"PACK..."
    stream = io.BytesIO(data)
    payloads, raw = read_until_flush(stream.read)
    assert payloads == [b"one\n", b"two\n"] and raw == data[:-7] and stream.read() == b"PACK..."


@pytest.mark.parametrize("data", [b"zzzz", b"0003", b"00", b"0010short", b"fff0" + b"x" * 10])
def test_bad_framing_is_refused(data):
    with pytest.raises(MalformedPacket):
        read_until_flush(io.BytesIO(data).read)


def test_ref_updates_and_capabilities_are_parsed():
    payloads = [f"shallow {A}".encode(),
                f"{ZERO} {A} refs/heads/new\0report-status side-band-64k\n".encode(),
                f"{A} {ZERO} refs/heads/old\n".encode()]
    updates, caps = parse_ref_updates(payloads)
    assert updates == [RefUpdate(ZERO, A, "refs/heads/new"), RefUpdate(A, ZERO, "refs/heads/old")]
    assert caps == {"report-status", "side-band-64k"}
    assert updates[0].is_create and updates[1].is_delete


@pytest.mark.parametrize("payload", [b"not an update", f"{A} {B}".encode(),
                                     f"{A} xyz refs/heads/x".encode(), b"\xff\xfe \xff refs"])
def test_anything_else_is_malformed(payload):
    with pytest.raises(MalformedPacket):
        parse_ref_updates([payload])


def test_review_mode_refuses_the_default_branch_only():
    updates = [RefUpdate(A, B, "refs/heads/main"), RefUpdate(ZERO, B, "refs/heads/topic")]
    refusals = rules.push_refusals(updates, default_branch="main", push_mode="review",
                                   proposals_url="http://x/projects/p/proposals")
    assert list(refusals) == ["refs/heads/main"]
    assert "merge proposals" in refusals["refs/heads/main"]


def test_direct_mode_allows_main_but_never_its_deletion():
    updates = [RefUpdate(A, B, "refs/heads/main")]
    assert rules.push_refusals(updates, default_branch="main", push_mode="direct",
                               proposals_url="") == {}
    deletion = [RefUpdate(A, ZERO, "refs/heads/main")]
    assert "never deleted" in rules.push_refusals(deletion, default_branch="main",
                                                  push_mode="direct", proposals_url="")["refs/heads/main"]


def test_head_and_a_tag_named_like_the_default_branch_are_refused():
    updates = [RefUpdate(ZERO, A, "refs/heads/HEAD"), RefUpdate(ZERO, A, "refs/tags/main"),
               RefUpdate(ZERO, A, "refs/tags/HEAD"), RefUpdate(ZERO, A, "refs/tags/v1")]
    refusals = rules.push_refusals(updates, default_branch="main", push_mode="direct",
                                   proposals_url="")
    assert set(refusals) == {"refs/heads/HEAD", "refs/tags/main", "refs/tags/HEAD"}
    assert "mistaken for the default branch" in refusals["refs/tags/main"]


def test_the_first_push_may_create_the_default_branch_in_review_mode():
    create = [RefUpdate(ZERO, A, "refs/heads/main")]
    assert rules.push_refusals(create, default_branch="main", push_mode="review",
                               proposals_url="", default_branch_exists=False) == {}
    assert rules.push_refusals(create, default_branch="main", push_mode="review",
                               proposals_url="", default_branch_exists=True)


def test_only_branches_and_tags_can_be_pushed():
    updates = [RefUpdate(ZERO, A, "refs/notes/x"), RefUpdate(ZERO, A, "HEAD"),
               RefUpdate(ZERO, A, "refs/tags/v1")]
    assert set(rules.push_refusals(updates, default_branch="main", push_mode="direct",
                                   proposals_url="")) == {"refs/notes/x", "HEAD"}


def test_refusal_report_speaks_side_band_with_messages():
    updates = [RefUpdate(A, B, "refs/heads/main"), RefUpdate(ZERO, B, "refs/heads/x")]
    report = refusal_report(updates, {"refs/heads/main": "no"}, {"side-band-64k", "report-status"},
                            ["Why it was refused"])
    assert b"\x02Why it was refused\n" in report
    assert b"ng refs/heads/main no\n" in report and b"ng refs/heads/x refused with the rest" in report
    assert report.endswith(FLUSH)
    plain = refusal_report(updates, {"refs/heads/main": "no"}, {"report-status"}, ["unseen"])
    assert b"unseen" not in plain and plain.startswith(pkt_line(b"unpack ok\n"))


@pytest.mark.parametrize("header, accepted", [
    ("version=2", True), ("version=1", True), ("version=2:object-format=sha1", True),
    ("", False), (None, False), ("version=2\nX-Evil: 1", False), ("version=2;rm -rf", False),
    ("x" * 300, False),
])
def test_git_protocol_header_must_match_a_strict_pattern(header, accepted):
    assert (rules.git_protocol(header) is not None) == accepted


@pytest.mark.parametrize("text, expected", [
    ("Ada Lovelace <ada@example.org>", {"name": "Ada Lovelace", "email": "ada@example.org"}),
    ("<ada@example.org>", {"name": "", "email": "ada@example.org"}),
    ("Ada", None), ("Ada <not-an-email>", None),
])
def test_identities(text, expected):
    assert parse_identity(text) == expected


PROTECTED = {"refs/heads/topic": rules.Protection(7, "alice", "http://x/projects/p/proposals/7")}


@pytest.mark.parametrize("update", [RefUpdate(A, B, "refs/heads/topic"),
                                    RefUpdate(A, ZERO, "refs/heads/topic")])
def test_only_the_author_moves_or_deletes_a_proposed_branch(update):
    def refusals(pusher):
        return rules.push_refusals([update], default_branch="main", push_mode="direct",
                                   proposals_url="http://x/projects/p/proposals",
                                   protected=PROTECTED, pusher=pusher)
    assert refusals("alice") == {}
    [why] = refusals("bob").values()
    verb = "delete" if update.is_delete else "move"
    assert why == (f"proposal #7 by alice pins this branch; only alice may {verb} it while "
                   "the proposal is undecided (http://x/projects/p/proposals/7)")
    messages = rules.refusal_messages(refusals("bob"), default_branch="main",
                                      proposals_url="http://x/projects/p/proposals",
                                      protected=PROTECTED)
    assert "    git push origin HEAD:refs/heads/my-change" in "\n".join(messages)
    assert messages[-1].endswith("object to it, at http://x/projects/p/proposals/7")


def test_a_proposal_without_an_author_may_be_moved_by_any_member():
    orphan = {"refs/heads/topic": rules.Protection(7, None, "http://x/projects/p/proposals/7")}
    assert rules.push_refusals([RefUpdate(A, B, "refs/heads/topic")], default_branch="main",
                               push_mode="direct", proposals_url="http://x", protected=orphan,
                               pusher="bob") == {}


def test_protection_leaves_the_default_branch_rules_and_other_branches_alone():
    updates = [RefUpdate(A, B, "refs/heads/main"), RefUpdate(A, B, "refs/heads/other")]
    protected = {**PROTECTED, "refs/heads/main": PROTECTED["refs/heads/topic"]}
    refusals = rules.push_refusals(updates, default_branch="main", push_mode="review",
                                   proposals_url="http://x/projects/p/proposals",
                                   protected=protected, pusher="bob")
    assert list(refusals) == ["refs/heads/main"] and "merge proposals" in refusals["refs/heads/main"]
    assert rules.push_refusals(updates, default_branch="main", push_mode="direct",
                               proposals_url="http://x/projects/p/proposals",
                               protected=protected, pusher="bob") == {}
