"""Records after real pushes through the server, the governance and ledger
dimensions, periods, and the contributions members credit."""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from commons import clock as app_clock
from commons.contributions import rules, services
from commons.contributions.models import Credit, GitDay, GitTotal
from commons.extensions import db
from commons.git.models import Commit
from commons.governance import services as governance
from commons.ledger import services as ledger
from commons.problems import Forbidden, Invalid, NotFound
from commons.projects import services as projects
from commons.projects.models import Project
from commons.projects.rules import Threshold
from tests.contributions.test_identities import T0, Repos, git
from tests.git.conftest import Forge


@pytest.fixture
def forge(app, live_server, tmp_path) -> Forge:
    home = tmp_path / "home"
    home.mkdir()
    return Forge(app, live_server, home)


def author_env(name: str, email: str, when: datetime | None = None) -> dict:
    env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email}
    if when is not None:
        env["GIT_AUTHOR_DATE"] = f"{int(when.timestamp())} +0000"
    return env


def write_commit(forge: Forge, work: Path, path: str, content: str, message: str,
                 name: str, email: str, when: datetime | None = None) -> str:
    (work / path).write_text(content)
    forge.git("add", path, cwd=work)
    forge.git("commit", "-q", "-m", message, cwd=work, env=author_env(name, email, when))
    return forge.git("rev-parse", "HEAD", cwd=work).stdout.strip()


def git_log_tallies(bare: Path) -> dict[str, dict]:
    """What git itself says each email wrote, read from `git log --numstat`
    on the server's repository: the oracle for the records."""
    out = git("log", "--all", "--numstat", "--format=%x01%H%x00%ae%x00%at%x00%P%x00"
              "%(trailers:key=Co-authored-by,valueonly,separator=%x1d)%x00", cwd=bare)
    found: dict[str, dict] = defaultdict(lambda: {"commits": 0, "co": 0, "added": 0,
                                                  "removed": 0, "times": []})
    for raw in out.split("\x01")[1:]:
        _sha, email, at, parents, trailers, rest = raw.split("\x00")
        added = removed = 0
        for line in rest.strip().splitlines():
            a, r, _ = line.split("\t", 2)
            added, removed = added + int(a), removed + int(r)
        if len(parents.split()) > 1:
            continue
        people = [(email.lower(), "commits")] + [
            (t.split("<")[1].rstrip(">").strip().lower(), "co")
            for t in trailers.split("\x1d") if "<" in t]
        seen = set()
        for who, what in people:
            if who in seen:
                continue
            seen.add(who)
            found[who][what] += 1
            found[who]["added"] += added
            found[who]["removed"] += removed
            found[who]["times"].append(datetime.fromtimestamp(int(at), UTC))
    return found


def test_records_after_real_pushes_match_git_log(app, forge, tmp_path):
    alice, bob = forge.person("alice"), forge.person("bob")
    slug = forge.project(alice, push="direct")
    forge.join(bob, slug)
    mine, theirs = tmp_path / "alice", tmp_path / "bob"
    forge.git("clone", "-q", forge.url(slug, alice), str(mine))
    write_commit(forge, mine, "frame.scad", "cube(10);\nsphere(2);\n", "Frame", "Alice",
                 "alice@example.org", T0)
    write_commit(forge, mine, "frame.scad", "cube(12);\n", "Bigger", "Alice",
                 "alice@example.org", T0 + timedelta(days=2))
    forge.git("push", "-q", "origin", "main", cwd=mine)
    forge.pushes(1)
    forge.git("clone", "-q", forge.url(slug, bob), str(theirs))
    (theirs / "legs.scad").write_text("leg();\nleg();\nleg();\n")
    forge.git("add", "legs.scad", cwd=theirs)
    forge.git("commit", "-q", "-m", "Legs\n\nCo-authored-by: Alice <Alice@Example.org>",
              cwd=theirs, env=author_env("Bob", "bob@example.org", T0 + timedelta(days=5)))
    forge.git("push", "-q", "origin", "main", cwd=theirs)
    forge.pushes(2)

    bare = Path(app.config["REPOS_DIR"]) / f"{slug}.git"
    expected = git_log_tallies(bare)
    assert expected["bob@example.org"]["commits"] == 1
    assert expected["alice@example.org"]["co"] == 1
    with app.app_context():
        project = db.session.scalar(sa.select(Project).where(Project.slug == slug))
        found = {r.username: r for r in services.project_records(
            db.session, project, bare, "all", date(2026, 12, 31))}
        assert set(found) == {"alice", "bob"}
        for username in ("alice", "bob"):
            want, got = expected[f"{username}@example.org"], found[username].git
            assert (got.commits, got.co_authored, got.lines_added, got.lines_removed) == \
                (want["commits"], want["co"], want["added"], want["removed"])
            assert (got.first_at, got.last_at) == (min(want["times"]), max(want["times"]))
        assert found["alice"].git.commits == 3  # the project's first commit is hers
        assert found["alice"].git.first_at == T0
        assert (found["bob"].git.lines_added, found["bob"].git.first_at) == \
            (3, T0 + timedelta(days=5))


def recomputed(project_id: int) -> tuple[dict, dict]:
    """The tallies from scratch, from the commits table."""
    commit_credits = [credit for row in db.session.execute(
        sa.select(Commit.author_name, Commit.author_email, Commit.authored_at,
                  Commit.parent_count, Commit.co_authors, Commit.lines_added,
                  Commit.lines_removed).where(Commit.project_id == project_id))
        for credit in rules.credits(row[0], row[1], row[2], row[3], row[4] or [], row[5],
                                    row[6])]
    shape = lambda t: (t.commits, t.co_authored, t.lines_added, t.lines_removed,  # noqa: E731
                       t.first_at, t.last_at)
    return ({key: shape(t) for key, t in rules.tally_credits(commit_credits, False).items()},
            {key: shape(t) for key, t in rules.tally_credits(commit_credits, True).items()})


def kept(project_id: int) -> tuple[dict, dict]:
    shape = lambda t: (t.commits, t.co_authored, t.lines_added, t.lines_removed,  # noqa: E731
                       t.first_at, t.last_at)
    totals = {(t.email, t.name): shape(t) for t in db.session.scalars(
        sa.select(GitTotal).where(GitTotal.project_id == project_id))}
    days = {(t.day, t.email, t.name): shape(t) for t in db.session.scalars(
        sa.select(GitDay).where(GitDay.project_id == project_id))}
    return totals, days


def test_tallies_equal_a_recount_after_force_pushes_and_deleted_branches(app, forge,
                                                                          tmp_path):
    alice, bob = forge.person("alice"), forge.person("bob")
    slug = forge.project(alice, push="direct")
    forge.join(bob, slug)
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug, alice), str(work))
    pushed: set[str] = set()
    forge.git("checkout", "-q", "-b", "feature", cwd=work)
    for number in range(3):
        pushed.add(write_commit(forge, work, "f.txt", "x\n" * (number + 1), f"f{number}",
                                "Alice", "alice@example.org", T0 + timedelta(days=number)))
    forge.git("push", "-q", "origin", "feature", cwd=work)
    forge.pushes(1)
    old_feature = forge.git("rev-parse", "HEAD", cwd=work).stdout.strip()
    # Rewrite the last commit and force-push: one new commit, none counted twice.
    forge.git("commit", "-q", "--amend", "-m", "f2, better\n\nCo-authored-by: Bob <bob@example.org>",
              cwd=work, env=author_env("Alice", "alice@example.org", T0 + timedelta(days=3)))
    pushed.add(forge.git("rev-parse", "HEAD", cwd=work).stdout.strip())
    forge.git("push", "-q", "--force", "origin", "feature", cwd=work)
    forge.pushes(2)
    # Delete the branch, then push the old commits again under another name.
    forge.git("push", "-q", "origin", ":feature", cwd=work)
    forge.pushes(3)
    forge.git("push", "-q", "origin", f"{old_feature}:refs/heads/again", cwd=work)
    forge.pushes(4)
    # Merge onto main; the merge commit credits nobody.
    forge.git("checkout", "-q", "main", cwd=work)
    pushed.add(write_commit(forge, work, "m.txt", "m\n", "main work", "Bob", "bob@example.org",
                            T0 + timedelta(days=4)))
    forge.git("merge", "-q", "--no-ff", "-m", "Merge again", old_feature, cwd=work,
              env=author_env("Alice", "alice@example.org", T0 + timedelta(days=5)))
    pushed.add(forge.git("rev-parse", "HEAD", cwd=work).stdout.strip())
    forge.git("push", "-q", "origin", "main", cwd=work)
    forge.pushes(5)
    # The same commits pushed yet again change nothing.
    forge.git("push", "-q", "origin", "main:refs/heads/copy", "HEAD~1:refs/heads/copy2",
              cwd=work)
    forge.pushes(6)

    bare = Path(app.config["REPOS_DIR"]) / f"{slug}.git"
    with app.app_context():
        project = db.session.scalar(sa.select(Project).where(Project.slug == slug))
        shas = set(db.session.scalars(sa.select(Commit.sha).where(
            Commit.project_id == project.id)))
        first = git("rev-list", "--max-parents=0", "main", cwd=bare).strip()
        assert shas == pushed | {first}
        totals, days = kept(project.id)
        assert (totals, days) == recomputed(project.id)
        alice_total = totals[("alice@example.org", "Alice")]
        assert alice_total[:2] == (4, 0)  # f0, f1, f2 and f2 rewritten
        assert totals[("bob@example.org", "Bob")][:2] == (1, 1)
        found = {r.username: r for r in services.project_records(
            db.session, project, bare, "all", app_clock.now().date())}
        assert found["alice"].git.commits == 5  # with the project's first commit


# ---------------------------------------------------------------- governance, ledger

@pytest.fixture
def repos(make_app, tmp_path):
    app = make_app(BASE_URL="http://commons.test")
    with app.app_context():
        yield Repos(app, tmp_path)


@pytest.fixture
def team(repos):
    """alice founds "dryer" (approval threshold 1000 EUR); bob and carol
    join; dave does not."""
    alice, bob, carol, dave = (repos.person(n) for n in ("alice", "bob", "carol", "dave"))
    project = projects.create_project(db.session, alice, projects.NewProject(
        name="Dryer", slug="dryer", license="MIT",
        approval_threshold=Threshold(Decimal("1000"), "EUR")),
        projects.Settings.from_config(repos.app.config), now=T0)
    db.session.commit()
    for person in (bob, carol):
        projects.join_project(db.session, project, person, now=T0)
    db.session.commit()
    return repos, project, alice, bob, carol, dave


def test_governance_dimensions(team):
    repos, project, alice, bob, carol, dave = team
    settings = governance.Settings.from_config(repos.app.config)
    work = repos.clone(project)
    for branch in ("better", "worse"):
        git("checkout", "-q", "-b", branch, "main", cwd=work)
        repos.commit(work, "bob <bob@example.org>", branch, {f"{branch}.txt": "1\n"})
        repos.push(project, work, branch)
    at = T0 + timedelta(hours=1)
    better = governance.open_proposal(db.session, project, bob, "merge", "Better", "",
                                      {"branch": "better"}, settings, at)
    worse = governance.open_proposal(db.session, project, bob, "merge", "Worse", "",
                                     {"branch": "worse"}, settings, at)
    paint = governance.open_proposal(db.session, project, alice, "decision", "Paint it", "",
                                     {}, settings, at)
    governance.take_stance(db.session, better, bob, "support", "", at)  # his own: no review
    governance.take_stance(db.session, better, alice, "support", "", at)
    governance.take_stance(db.session, better, carol, "abstain", "", at)
    governance.take_stance(db.session, worse, alice, "object", "It breaks the frame", at)
    governance.take_stance(db.session, paint, carol, "object", "Red is cheaper", at)
    governance.take_stance(db.session, paint, bob, "support", "", at)
    db.session.commit()
    governance.decide_due(db.session, settings, T0 + timedelta(days=30))
    db.session.commit()
    assert better.status == "passed" and worse.status == "blocked"

    found = repos.records(project, today=(T0 + timedelta(days=30)).date())
    dims = lambda r: (r.proposals_opened, r.merges_proposed, r.merges_merged,  # noqa: E731
                      r.stances, r.objections, r.reviews)
    assert dims(found["bob"]) == (2, 2, 1, 2, 0, 0)
    assert dims(found["alice"]) == (1, 0, 0, 2, 1, 2)
    assert dims(found["carol"]) == (0, 0, 0, 2, 1, 1)
    assert "dave" not in found

    # 90 days later only what happened in the last 90 days counts.
    later = T0 + timedelta(days=100)
    again = governance.open_proposal(db.session, project, carol, "decision", "Paint it blue",
                                     "", {}, settings, later)
    governance.take_stance(db.session, again, alice, "object", "No", later)
    db.session.commit()
    recent = repos.records(project, "90d", later.date())
    assert set(recent) == {"alice", "carol"}
    assert dims(recent["carol"]) == (1, 0, 0, 0, 0, 0)
    assert dims(recent["alice"]) == (0, 0, 0, 1, 1, 0)
    assert dims(repos.records(project, "all", later.date())["alice"]) == (1, 0, 0, 3, 2, 2)


def test_ledger_dimensions_hours_pledges_deliveries_and_periods(team):
    repos, project, alice, bob, carol, dave = team
    now = T0 + timedelta(hours=2)
    ledger.log_work(db.session, project, alice, "2", "care", "Cleaned the workshop", now=now)
    ledger.log_work(db.session, project, bob, "3", "creative", "Drew the frame", now=now)
    ledger.log_work(db.session, project, bob, "1.5", "coordination", "Planned", now=now)
    ledger.log_work(db.session, project, alice, "0.5", "care", "Cooked", now=now)
    pla = ledger.record_need(db.session, project, alice, ledger.NeedForm(
        title="PLA filament", kind="material", quantity="20", unit="kg", unit_cost="2.50",
        currency="EUR"), now)
    screws = ledger.record_need(db.session, project, alice, ledger.NeedForm(
        title="Screws", kind="material", quantity="100", unit="piece"), now)
    bobs = ledger.pledge(db.session, project, bob, pla.number, "5", now=now)
    gone = ledger.pledge(db.session, project, bob, pla.number, "3", now=now)
    ledger.withdraw_pledge(db.session, project, bob, gone.seq, now)
    ledger.pledge(db.session, project, carol, screws.number, "40", now=now)
    ledger.pledge(db.session, project, dave, screws.number, "10", now=now)  # no member
    receipt = ledger.record_receipt(db.session, project, alice, pla.number, "5",
                                    pledge_seq=bobs.seq, received_on="2026-03-01", now=now)
    ledger.record_receipt(db.session, project, carol, screws.number, "10", "carol",
                          received_on="2026-03-01", now=now)
    ledger.record_receipt(db.session, project, alice, screws.number, "20", "Hardware shop",
                          received_on="2026-03-01", now=now)
    db.session.commit()
    found = repos.records(project, today=(T0 + timedelta(days=1)).date())
    assert found["alice"].hours == {"care": Decimal("2.5")}
    assert found["bob"].hours == {"creative": Decimal("3"), "coordination": Decimal("1.5")}
    assert found["bob"].total_hours == Decimal("4.5")
    bob_ = found["bob"]
    assert (bob_.pledges, bob_.pledged, bob_.pledged_value) == \
        (1, {"kg": Decimal("5")}, {"EUR": Decimal("12.5")})
    assert (bob_.deliveries, bob_.delivered, bob_.delivered_value) == \
        (1, {"kg": Decimal("5")}, {"EUR": Decimal("12.5")})
    carol_ = found["carol"]
    assert (carol_.pledges, carol_.pledged, carol_.pledged_value) == \
        (1, {"piece": Decimal("40")}, {})
    assert (carol_.deliveries, carol_.delivered) == (1, {"piece": Decimal("10")})
    assert found["dave"].pledges == 1 and found["dave"].deliveries == 0
    assert found["alice"].deliveries == 0  # she recorded receipts; the shop delivered
    assert [r.username for r in services.labour(found.values())] == ["bob", "alice"]

    # A correction of the receipt changes bob's delivery.
    ledger.correct(db.session, project, alice, receipt.seq, {"quantity": "-1"},
                   "One spool was PETG", now=now)
    db.session.commit()
    bob_ = repos.records(project, today=(T0 + timedelta(days=1)).date())["bob"]
    assert (bob_.delivered, bob_.delivered_value) == ({"kg": Decimal("4")},
                                                      {"EUR": Decimal("10")})

    # 100 days on: only the last 90 days count.
    later = T0 + timedelta(days=100)
    ledger.log_work(db.session, project, alice, "1", "routine", "Oiled the hinges", now=later)
    ledger.pledge(db.session, project, bob, pla.number, "2", now=later)
    db.session.commit()
    recent = repos.records(project, "90d", later.date())
    assert set(recent) == {"alice", "bob"}
    assert recent["alice"].hours == {"routine": Decimal("1")}
    assert (recent["bob"].hours, recent["bob"].pledges, recent["bob"].pledged,
            recent["bob"].deliveries) == ({}, 1, {"kg": Decimal("2")}, 0)
    everything = repos.records(project, "all", later.date())
    assert everything["alice"].hours == {"care": Decimal("2.5"), "routine": Decimal("1")}
    assert everything["bob"].pledged == {"kg": Decimal("7")}


# ---------------------------------------------------------------- credits

def credit_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Credit))


def test_a_member_credits_someone_with_evidence(team):
    repos, project, alice, bob, carol, dave = team
    now = T0 + timedelta(days=1)
    made = services.credit(db.session, project, alice, "@Dave", "design",
                           "https://example.org/sketches/1", "The dryer's frame sketches",
                           "2026-03-01", now=now)
    services.credit(db.session, project, bob, "dave", "translation",
                    "http://example.org/fr", now=now)
    services.credit(db.session, project, bob, "dave", "design", "https://example.org/2",
                    now=now)
    db.session.commit()
    assert (made.user.username, made.kind, made.day, made.recorded_by.username) == \
        ("dave", "design", date(2026, 3, 1), "alice")
    found = repos.records(project, today=now.date())
    assert found["dave"].kinds == {"design": 2, "translation": 1}
    assert found["dave"].git.commits == 0 and not found["dave"].hours
    listed = services.profile(db.session, dave, repos.repos_dir, "all",
                              now.date())
    assert [(p.slug, r.kinds) for p, r in listed] == [("dryer", {"design": 2,
                                                                  "translation": 1})]


@pytest.mark.parametrize("actor,args,problem,message", [
    ("dave", ("bob", "design", "https://example.org"), Forbidden, "join the project"),
    ("alice", ("bob", "designs", "https://example.org"), Invalid, "All Contributors kinds"),
    ("alice", ("bob", "", "https://example.org"), Invalid, "All Contributors kinds"),
    ("alice", ("bob", "design", "javascript:alert(1)"), Invalid, "https:// or http://"),
    ("alice", ("bob", "design", "ftp://example.org/x"), Invalid, "https:// or http://"),
    ("alice", ("bob", "design", "not a url"), Invalid, "https:// or http://"),
    ("alice", ("bob", "design", "https://exa mple.org/x"), Invalid, "https:// or http://"),
    ("alice", ("bob", "design", "https://"), Invalid, "https:// or http://"),
    ("alice", ("bob", "design", ""), Invalid, "https:// or http://"),
    ("alice", ("bob", "design", "https://example.org/" + "x" * 2000), Invalid,
     "at most 2000"),
    ("alice", ("bob", "design", "http://[oops/x"), Invalid, "https:// or http://"),
    ("alice", ("nobody", "design", "https://example.org"), Invalid, "No account is called"),
    ("alice", ("", "design", "https://example.org"), Invalid, "their username"),
])
def test_bad_credits_are_refused_and_write_nothing(team, actor, args, problem, message):
    repos, project, *people = team
    who = {p.username: p for p in people}[actor]
    with pytest.raises(problem, match=message):
        services.credit(db.session, project, who, *args, now=T0)
    db.session.rollback()
    assert credit_count() == 0


def test_a_credit_for_a_future_day_is_refused(team):
    repos, project, alice, *_ = team
    with pytest.raises(Invalid, match="2026-03-02 is in the future"):
        services.credit(db.session, project, alice, "bob", "design", "https://example.org",
                        day="2026-03-02", now=T0)
    with pytest.raises(Invalid, match="YYYY-MM-DD"):
        services.credit(db.session, project, alice, "bob", "design", "https://example.org",
                        day="yesterday", now=T0)
    db.session.rollback()
    assert credit_count() == 0


def test_only_the_recorder_or_the_credited_remove_a_credit(team):
    repos, project, alice, bob, carol, dave = team
    first = services.credit(db.session, project, alice, "bob", "doc", "https://example.org/1",
                            now=T0).id
    second = services.credit(db.session, project, alice, "bob", "doc", "https://example.org/2",
                             now=T0).id
    db.session.commit()
    for outsider in (carol, dave):
        with pytest.raises(Forbidden, match="Only who recorded a credit"):
            services.remove_credit(db.session, project, outsider, first)
    assert credit_count() == 2
    services.remove_credit(db.session, project, alice, first)  # who recorded it
    services.remove_credit(db.session, project, bob, second)  # who it credits
    db.session.commit()
    assert credit_count() == 0
    with pytest.raises(NotFound, match="no credit #"):
        services.remove_credit(db.session, project, alice, first)


def test_monthly_activity_counts_hours_and_stances_in_their_months(team):
    """The contributors page's activity band: hours and stances per calendar
    month, the twelve months ending with today's; asked again with another
    today, the same rows land in the months of that window."""
    repos, project, alice, bob, carol, dave = team
    settings = governance.Settings.from_config(repos.app.config)
    early, late = T0 + timedelta(hours=2), T0 + timedelta(days=40)
    ledger.log_work(db.session, project, alice, "2.25", "care", "Cleaned", now=early)
    ledger.log_work(db.session, project, bob, "1.5", "creative", "Drew", now=early)
    ledger.log_work(db.session, project, bob, "3", "routine", "Sanded", now=late)
    first = governance.open_proposal(db.session, project, alice, "decision", "Paint it", "",
                                     {}, settings, early)
    governance.take_stance(db.session, first, bob, "support", "", early)
    governance.take_stance(db.session, first, carol, "object", "Too red", early)
    second = governance.open_proposal(db.session, project, bob, "decision", "Oil it", "", {},
                                      settings, late)
    governance.take_stance(db.session, second, alice, "support", "", late)
    db.session.commit()

    def band(today: date) -> dict[str, tuple[Decimal, int]]:
        months, _commits, hours, stances = services.activity(db.session, project, today)
        assert len(months) == 12 and months[-1] == today.isoformat()[:7]
        return {month: (hours[n], stances[n]) for n, month in enumerate(months)
                if hours[n] or stances[n]}

    early_month, late_month = early.date().isoformat()[:7], late.date().isoformat()[:7]
    assert early_month != late_month
    assert band(late.date()) == {early_month: (Decimal("3.75"), 2),
                                 late_month: (Decimal("3"), 1)}
    # A year on, the early month has left the window; the late one is its first.
    year_on = (late + timedelta(days=335)).date()
    assert band(year_on) == {late_month: (Decimal("3"), 1)}
    # Before the late work was done, only the early month counts.
    assert band(early.date()) == {early_month: (Decimal("3.75"), 2)}
