"""The pure rules of the contributor records: .mailmap (checked against git
itself), what a commit credits, tallies, ordering and CONTRIBUTORS.md."""

import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from commons.contributions import rules
from commons.contributions.rules import (
    Record,
    RuleError,
    contributors_markdown,
    credits,
    mask_email,
    ordered,
    parse_mailmap,
    period_start,
    tally_credits,
)

ENV = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "PATH": "/usr/bin:/bin",
       "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.org",
       "GIT_COMMITTER_NAME": "C", "GIT_COMMITTER_EMAIL": "c@example.org"}
AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def git(*args, cwd) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True,
                          text=True).stdout


# ---------------------------------------------------------------- mailmap

MAILMAP = """\
# The four forms of gitmailmap(5), a comment, and entries that compete.
Ada Lovelace <ada@old.example>
<ada@example.org> <ADA@Work.example>
Bob Builder <bob@example.org> <bob@old.example>
Cy Proper <cy@example.org> Cy Typo <cy@old.example>
Cy Email-only <cy-all@example.org> <cy@old.example>
# Dee <dee@old.example>
Eve <eve@example.org> eve <EVE@Shared.example>
<eve-2@example.org> Evelyn <eve@shared.example>
Fay <fay@example.org> <fay@a.example> trailing text after the pair
   Gus Indented <gus@old.example>
not an entry at all
Hal <hal@example.org>
Hal Again <hal@example.org>
"""

IDENTITIES = [
    ("Ada", "ada@old.example"),           # form 1: the name changes
    ("A. L.", "ADA@OLD.EXAMPLE"),         # emails match whatever their case
    ("Ada L", "ada@work.example"),        # form 2: the email changes, the name stays
    ("Ada L", "Ada@WORK.example"),
    ("Bobby", "bob@old.example"),         # form 3: both change
    ("Cy Typo", "cy@old.example"),        # form 4: name and email entry wins
    ("cy typo", "cy@old.example"),        # names match case-insensitively too
    ("Cy Other", "cy@old.example"),       # another name falls back to the email-only entry
    ("Dee", "dee@old.example"),           # commented out: unchanged
    ("eve", "eve@shared.example"),
    ("Evelyn", "eve@shared.example"),     # name-specific entry without a name keeps it
    ("Someone", "eve@shared.example"),    # no email-only entry: unchanged
    ("F", "fay@a.example"),
    ("G", "gus@old.example"),
    ("Hal 9000", "hal@example.org"),      # the later entry for the same email wins
    ("Nobody", "nobody@example.org"),
]


@pytest.fixture(scope="module")
def mailmap_repo(tmp_path_factory) -> Path:
    """A bare repository whose default branch holds MAILMAP, as a pushed
    project's would; in a bare repository git reads HEAD:.mailmap."""
    base = tmp_path_factory.mktemp("mailmap")
    work = base / "work"
    git("init", "-q", "-b", "main", str(work), cwd=base)
    (work / ".mailmap").write_text(MAILMAP)
    git("add", ".mailmap", cwd=work)
    git("commit", "-q", "-m", "mailmap", cwd=work)
    git("clone", "-q", "--bare", str(work), str(base / "bare.git"), cwd=base)
    return base / "bare.git"


def git_resolve(repo: Path, name: str, email: str) -> tuple[str, str]:
    out = git("check-mailmap", f"{name} <{email}>", cwd=repo).strip()
    mapped_name, _, mapped_email = out.rpartition(" <")
    return mapped_name, mapped_email.rstrip(">").lower()


@pytest.mark.parametrize("name,email", IDENTITIES)
def test_mailmap_resolves_as_git_check_mailmap_does(mailmap_repo, name, email):
    assert parse_mailmap(MAILMAP).resolve(name, email) == git_resolve(mailmap_repo, name, email)


def test_an_indented_hash_is_no_comment_to_git(tmp_path):
    """git treats only a "#" in the first column as a comment: an indented
    line is an entry (the name starts with "#")."""
    text = "  # Ivy <ivy@example.org> <ivy@old.example>\n"
    work = tmp_path / "work"
    git("init", "-q", "-b", "main", str(work), cwd=tmp_path)
    (work / ".mailmap").write_text(text)
    git("add", ".mailmap", cwd=work)
    git("commit", "-q", "-m", "mailmap", cwd=work)
    assert parse_mailmap(text).resolve("Ivy", "ivy@old.example") == \
        git_resolve(work, "Ivy", "ivy@old.example")


def test_mailmap_forms_by_hand():
    mailmap = parse_mailmap(MAILMAP)
    assert mailmap.resolve("Ada", "ada@old.example") == ("Ada Lovelace", "ada@old.example")
    assert mailmap.resolve("x", "ADA@work.EXAMPLE") == ("x", "ada@example.org")
    assert mailmap.resolve("Bobby", "bob@old.example") == ("Bob Builder", "bob@example.org")
    assert mailmap.resolve("Cy Typo", "cy@old.example") == ("Cy Proper", "cy@example.org")
    assert mailmap.resolve("Cy Else", "cy@old.example") == ("Cy Email-only",
                                                             "cy-all@example.org")
    assert mailmap.resolve("Dee", "dee@old.example") == ("Dee", "dee@old.example")
    assert parse_mailmap("").resolve("Z", "Z@Example.org") == ("Z", "z@example.org")


def test_a_mailmap_line_moves_commits_only_to_an_account_holding_the_commit_address():
    """Anyone who can change the default branch writes .mailmap: a line that
    would move someone's commits to another account changes the name only."""
    mailmap = parse_mailmap(
        "Mallory <mal@example.org> <vic@example.org>\n"           # another's address
        "<mal@example.org> Win <win@example.org>\n"               # another's, by name too
        "<mal@example.org> <nobody@old.example>\n"                # an address no one holds
        "<mal@example.org> <mal@old.example>\n"                   # her own second address
        "Ada Lovelace <ada@example.org>\n")                       # a name only
    owners = {"mal@example.org": 1, "mal@old.example": 1, "vic@example.org": 2,
              "win@example.org": 3, "ada@example.org": 4}
    assert mailmap.moves == {("vic@example.org", "mal@example.org"),
                             ("win@example.org", "mal@example.org"),
                             ("nobody@old.example", "mal@example.org"),
                             ("mal@old.example", "mal@example.org")}
    trusted = rules.trusted_mailmap(mailmap, owners)
    assert trusted.resolve("Vic", "vic@example.org") == ("Mallory", "vic@example.org")
    assert trusted.resolve("Win", "WIN@example.org") == ("Win", "win@example.org")
    assert trusted.resolve("N", "nobody@old.example") == ("N", "nobody@old.example")
    assert trusted.resolve("M", "mal@old.example") == ("M", "mal@example.org")
    assert trusted.resolve("Ada", "ada@example.org") == ("Ada Lovelace", "ada@example.org")
    assert trusted.moves == {("mal@old.example", "mal@example.org")}
    assert trusted.targets == {"mal@example.org"}
    # A move the people it moves agreed to, through a passed merge proposal.
    agreed = rules.trusted_mailmap(mailmap, owners, approved={("VIC@example.org",
                                                               "mal@example.org")})
    assert agreed.resolve("Vic", "vic@example.org") == ("Mallory", "mal@example.org")
    assert agreed.resolve("Win", "win@example.org") == ("Win", "win@example.org")
    # Nothing held: nothing moves; the parsed mailmap itself is untouched.
    assert rules.trusted_mailmap(mailmap, {}).moves == set()
    assert mailmap.resolve("Vic", "vic@example.org") == ("Mallory", "mal@example.org")


def test_a_repository_mailmap_read_as_the_records_read_it(mailmap_repo):
    from commons.contributions.identities import read_mailmap
    mailmap = read_mailmap(mailmap_repo, "main")
    assert mailmap.resolve("Bobby", "bob@old.example") == ("Bob Builder", "bob@example.org")
    # A branch that does not exist, or a repository with no .mailmap: nothing maps.
    assert read_mailmap(mailmap_repo, "nope").resolve("Bobby", "bob@old.example") == \
        ("Bobby", "bob@old.example")


def test_mask_email_shows_enough_to_tell_apart_not_to_write():
    assert mask_email("ada@example.org") == "a…@example.org"
    assert mask_email("x@y.z") == "x…@y.z"
    assert mask_email("no-at-sign") == "…"
    assert "ada" not in mask_email("ada@example.org").split("@")[0]


# ---------------------------------------------------------------- credits

def test_a_merge_commit_credits_nobody():
    assert credits("Ada", "ada@example.org", AT, 2, [{"name": "Bo", "email": "bo@x.org"}],
                   10, 3) == []
    assert len(credits("Ada", "ada@example.org", AT, 1, [], 10, 3)) == 1
    assert len(credits("Ada", "ada@example.org", AT, 0, [], 10, 3)) == 1  # a root commit


def test_co_authors_are_credited_once_and_never_the_author_twice():
    found = credits("Ada", "Ada@Example.org", AT, 1, [
        {"name": "Bo", "email": "bo@example.org"},
        {"name": "Bo again", "email": "BO@example.org"},
        {"name": "Ada herself", "email": "ada@example.org"},
        {"name": "No email", "email": ""},
        {"name": "Cy", "email": "cy@example.org"},
    ], 7, 2)
    assert [(c.name, c.email, c.authored, c.co_authored) for c in found] == [
        ("Ada", "ada@example.org", 1, 0),
        ("Bo", "bo@example.org", 0, 1),
        ("Cy", "cy@example.org", 0, 1),
    ]
    assert all((c.lines_added, c.lines_removed, c.day, c.at) == (7, 2, AT.date(), AT)
               for c in found)


identities = st.sampled_from([("Ada", "ada@x.org"), ("Bo", "bo@x.org"), ("Bo B", "bo@x.org"),
                              ("Cy", "cy@x.org")])
commits = st.lists(st.tuples(
    identities, st.integers(0, 60 * 24 * 30), st.integers(0, 2), st.lists(identities, max_size=2),
    st.integers(0, 500), st.integers(0, 500)), max_size=40)


@settings(max_examples=150, deadline=None)
@given(commits)
def test_daily_tallies_add_up_to_the_totals(commits):
    all_credits = [credit for (name, email), minutes, parents, co, added, removed in commits
                   for credit in credits(name, email, AT + timedelta(minutes=minutes), parents,
                                         [{"name": n, "email": e} for n, e in co], added,
                                         removed)]
    totals = tally_credits(all_credits, by_day=False)
    days = tally_credits(all_credits, by_day=True)
    summed: dict[tuple, rules.GitTally] = {}
    for (_day, email, name), tally in days.items():
        summed.setdefault((email, name), rules.GitTally()).add(
            tally.commits, tally.co_authored, tally.lines_added, tally.lines_removed,
            tally.first_at, tally.last_at)
    assert summed == totals
    non_merges = [c for c in commits if c[2] < 2]
    assert sum(t.commits for t in totals.values()) == len(non_merges)
    for (email, name), tally in totals.items():
        mine = [c for c in all_credits if (c.email, c.name) == (email, name)]
        assert tally.first_at == min(c.at for c in mine)
        assert tally.last_at == max(c.at for c in mine)
        assert tally.lines_added == sum(c.lines_added for c in mine)


# ---------------------------------------------------------------- periods, order

def test_period_start():
    today = date(2026, 6, 30)
    assert period_start("all", today) is None
    start = period_start("90d", today)
    assert (today - start).days + 1 == 90
    with pytest.raises(RuleError, match="period is all or 90d"):
        period_start("30d", today)


def record(key, name, **dimensions) -> Record:
    made = Record(key=key, name=name)
    made.git.commits = dimensions.pop("commits", 0)
    made.git.co_authored = dimensions.pop("co_authored", 0)
    made.git.lines_added = dimensions.pop("lines", 0)
    for category, hours in dimensions.pop("hours", {}).items():
        made.add_hours(category, Decimal(hours))
    for name_, value in dimensions.items():
        setattr(made, name_, value)
    return made


def test_ordered_by_each_dimension_ties_by_name():
    people = [
        record("user:1", "zoe", commits=3, lines=5, proposals_opened=1, stances=4,
               hours={"care": "2"}, pledges=1, kinds={"design": 1}),
        record("user:2", "Ada", commits=1, co_authored=2, lines=50, proposals_opened=3,
               stances=0, hours={"care": "1.5", "routine": "1"}, deliveries=2, kinds={}),
        record("identity:b@x.org", "bo", commits=0, lines=0, stances=4,
               hours={}, kinds={"doc": 2, "talk": 1}),
        record("user:3", "ada", commits=3, lines=5),
    ]
    names = lambda found: [r.key for r in found]  # noqa: E731
    assert names(ordered(people, "name", False)) == ["user:2", "user:3",
                                                      "identity:b@x.org", "user:1"]
    assert names(ordered(people, "commits", True)) == ["user:2", "user:3", "user:1",
                                                        "identity:b@x.org"]
    assert names(ordered(people, "lines", True))[0] == "user:2"
    assert names(ordered(people, "proposals", True))[:2] == ["user:2", "user:1"]
    # Ties keep name order, whichever direction.
    assert names(ordered(people, "stances", True))[:2] == ["identity:b@x.org", "user:1"]
    assert names(ordered(people, "stances", False))[:2] == ["user:2", "user:3"]
    assert names(ordered(people, "hours", True))[:2] == ["user:2", "user:1"]
    assert names(ordered(people, "inputs", True))[:2] == ["user:2", "user:1"]
    assert names(ordered(people, "kinds", True))[:2] == ["identity:b@x.org", "user:1"]
    assert names(ordered(list(reversed(people)), "commits", True)) == \
        names(ordered(people, "commits", True))
    with pytest.raises(RuleError, match="sort is one of: name, commits"):
        ordered(people, "score", True)


# ---------------------------------------------------------------- CONTRIBUTORS.md

def test_contributors_markdown_says_what_each_gave_and_escapes_names():
    evil = record("identity:e@x.org", "[x](javascript:alert(1))", commits=1)
    html_name = record("identity:h@x.org", "<img src=x onerror=alert(2)> *bold* `code`",
                       commits=2, co_authored=1)
    ada = record("user:1", "ada", hours={"care": "2.5"}, proposals_opened=1, stances=2,
                 kinds={"design": 2, "doc": 1})
    ada.username = "ada"
    ada.add_input("pledged", "kg", Decimal("5"), Decimal("2.50"), "EUR")
    text = contributors_markdown("Dryer", [evil, html_name, ada], "https://commons.test",
                                 {"care": "Care (cleaning, cooking, support)"})
    html = MarkdownIt("commonmark", {"html": True}).render(text)
    assert html.count("<a ") == 1 and 'href="https://commons.test/users/ada"' in html
    assert "javascript:" not in html.replace("[x](javascript:alert(1))", "")
    assert "[x](javascript:alert(1))" in html  # shown as the literal name
    assert "<img" not in html and "<em>" not in html and "<code>" not in html
    assert "&lt;img src=x onerror=alert(2)&gt; *bold* `code`: 2 commits and 1 co-authored" \
        in html
    assert "1 proposal opened; 2 stances taken; 2.5 h of care (cleaning, cooking, support); " \
        "pledged 5 kg; design ×2; documentation" in text
    # Alphabetical, no ranking.
    assert text.index("\\<img") < text.index("\\[x\\]") < text.index("[ada]")
