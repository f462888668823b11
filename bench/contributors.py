"""Contributor records of a project with 80,000 commits by 2,000 authors:
`flask --app commons contributions reindex SLUG`, the contributors page
(all time and `?period=90d`) and the contributors API.

    .venv/bin/python bench/contributors.py [--database-uri postgresql+psycopg://...]
        [--commits 80000] [--authors 2000] [--runs 20] [--profile] [--gc-freeze] [--keep]
        [--no-activity] [--entries 50000]

SQLite (a file in a temporary folder) unless --database-uri or
COMMONS_BENCH_DATABASE_URI names another database; that database is
emptied. Targets: reindex under 60 s (wall, with start-up); the page and
the API median under 100 ms.

The project is made by the real services; its repository then gets the
generated history of contributors_repo.py on top of its first commit (git
fast-import, see there: Zipf-like authors, three years of dates, 5 %
co-authored, 50 addresses mapped by .mailmap), and 200 of the authors get an
account with their address. Pages through `app.test_client()`, each request
with its own session. Besides the two pages named by the target, the page
sorted by commits, the API for 90 days and the profile page of the busiest
author with an account (`/users/author0`, which reads that person's record
in each of their projects) are measured.

`--activity` (the default; `--no-activity` skips it) gives "big" what a
busy project has besides commits, after the reindex and before the pages,
with the founder and the 200 account holders (members of "big") as people:
1,000 proposals (decision, merge (half of them passed), policy,
membership; the last few still open) and 10,000 stances (one per proposal
and person, about 10 % objections), three years of dates; a valid
hash-chained ledger journal of about 50,000 entries (ledger_journal.py with
a mix heavy in work logs: about 18,000 work logs (about half of them
confirmed by another member, issue 20), 4,000 pledges, receipts,
uses), its balances, deliveries and ledger tallies (`rebuild_from_journal`:
the entries are bulk-inserted), found intact
by `ledger.services.verify`; and 500 credits of the All Contributors kinds.

`--profile` runs the reindex a second time under cProfile, profiles one
request of each page, and splits the pages' time between the dimensions
project_records reads (git, governance, ledger, credits and names) and the
rest (rendering, the view). `--gc-freeze` measures the pages again after
`gc.freeze()`: the p95 is mostly full (generation 2) collections of the
app's 150,000-odd start-up objects, which a request that makes 2,000
records triggers every few requests.
"""

import argparse
import cProfile
import gc
import io
import os
import pstats
import random
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import BIN, ROOT, empty_database, remove, scratch  # noqa: E402
from contributors_repo import check_history, generate_history  # noqa: E402
from ledger_journal import Journal, store_balances, write_entries  # noqa: E402

from commons import create_app  # noqa: E402
from commons.accounts.models import Email, User  # noqa: E402
from commons.contributions import rules as contribution_rules  # noqa: E402
from commons.contributions import services as contributions  # noqa: E402
from commons.contributions.models import Credit, Delivery  # noqa: E402
from commons.extensions import db  # noqa: E402
from commons.git.indexing import _LOG_FORMAT, parse_log  # noqa: E402
from commons.git.repositories import repository_path  # noqa: E402
from commons.governance.models import Proposal, Stance  # noqa: E402
from commons.ledger import services as ledger  # noqa: E402
from commons.ledger.models import Input, LedgerEntry, Pledge, WorkLog  # noqa: E402
from commons.projects import services as projects  # noqa: E402
from commons.projects.models import Membership  # noqa: E402
from commons.types import utcnow  # noqa: E402

SLUG = "big"
ACCOUNT_EVERY = 10  # every tenth author has an account: 200 of 2,000
PROPOSALS, STANCES, CREDITS = 1000, 10_000, 500
SPAN = timedelta(days=3 * 365)  # the activity's dates: three years ending about now


def setup(app) -> None:
    """The schema, a founder and the project "big" (with its first commit)."""
    from flask_migrate import upgrade
    upgrade()
    founder = User(username="founder", password_hash="x", created_at=utcnow())
    founder.emails.append(Email(address="founder@example.org", created_at=founder.created_at))
    db.session.add(founder)
    projects.create_project(db.session, founder, projects.NewProject(
        name="Big", slug=SLUG, license="CERN-OHL-S-2.0"),
        projects.Settings.from_config(app.config), founder.created_at)
    db.session.commit()


def register_authors(identities) -> int:
    """Accounts for every tenth author, with the author's canonical address."""
    now = utcnow()
    chosen = identities[::ACCOUNT_EVERY]
    db.session.execute(sa.insert(User), [
        {"username": f"author{i.number}", "password_hash": "x", "created_at": now} for i in chosen])
    ids = dict(db.session.execute(sa.select(User.username, User.id).where(
        User.username.like("author%"))).all())
    db.session.execute(sa.insert(Email), [
        {"user_id": ids[f"author{i.number}"], "address": i.email, "created_at": now}
        for i in chosen])
    db.session.commit()
    return len(chosen)


# ---------------------------------------------------------------- activity

def people_of_big() -> list[tuple[int, str]]:
    """(id, username) of the founder and the account holders, ids ascending."""
    return [tuple(row) for row in db.session.execute(
        sa.select(User.id, User.username).where(
            sa.or_(User.username == "founder", User.username.like("author%")))
        .order_by(User.id))]


def add_members(project, people: list[tuple[int, str]]) -> None:
    """The account holders join "big" (the founder is a member already)."""
    now = utcnow()
    have = set(db.session.scalars(sa.select(Membership.user_id)
                                  .where(Membership.project_id == project.id)))
    db.session.execute(sa.insert(Membership), [
        {"project_id": project.id, "user_id": uid, "status": Membership.MEMBER,
         "requested_at": now - SPAN, "joined_at": now - SPAN}
        for uid, _name in people if uid not in have])
    db.session.commit()


def add_governance(project, people: list[tuple[int, str]], rng: random.Random) -> None:
    """PROPOSALS proposals opened evenly over SPAN, a week's window each (the
    last ones still open, closing in the future so no request decides
    them), and STANCES stances, at most one per proposal and person."""
    now = utcnow()
    step = (SPAN - timedelta(days=2)) / PROPOSALS
    kinds = ["merge"] * 40 + ["decision"] * 30 + ["policy"] * 15 + ["membership"] * 15
    ids = [uid for uid, _name in people]
    rows, statuses = [], []
    for n in range(PROPOSALS):
        opened = now - SPAN + step * n + timedelta(seconds=rng.randrange(3600))
        closes = opened + timedelta(days=7)
        kind = rng.choice(kinds)
        if closes > now:
            status = "open"
        elif kind == "merge":
            status = "passed" if n % 2 == 0 else rng.choice(["blocked"] * 4 + ["withdrawn"])
        else:
            status = rng.choice(["passed"] * 16 + ["blocked"] * 3 + ["withdrawn"])
        if kind == "merge":
            details = {"branch": f"feature-{n}", "head": f"{rng.getrandbits(160):040x}"}
        elif kind == "membership":
            details = {"username": rng.choice(people)[1]}
        elif kind == "policy":
            details = {"review_days": rng.choice([3, 7, 14])}
        else:
            details = {}
        statuses.append((status, opened, min(closes, now)))
        rows.append({"project_id": project.id, "number": n + 1, "kind": kind,
                     "title": f"{kind.title()} {n + 1}", "body": "Why: see the thread.",
                     "author_id": rng.choice(ids), "status": status, "voting": "consensus",
                     "revision": 1, "opened_at": opened, "closes_at": closes,
                     "decided_at": None if status == "open" else closes, "details": details,
                     "outcome": "", "result": {}, "affected_complete": True})
    db.session.execute(sa.insert(Proposal), rows)
    proposal_ids = list(db.session.scalars(sa.select(Proposal.id).where(
        Proposal.project_id == project.id).order_by(Proposal.number)))
    per = STANCES // PROPOSALS
    stances = []
    for proposal_id, (status, opened, until) in zip(proposal_ids, statuses, strict=True):
        # Passed under consensus: nobody objects; blocked: some do.
        objecting = {"passed": 0.0, "blocked": 0.4}.get(status, 0.1)
        takers = rng.sample(ids, per)
        for index, uid in enumerate(takers):
            if status == "blocked" and index == 0 or rng.random() < objecting:
                stance = "object"
            else:
                stance = "support" if rng.random() < 0.78 else "abstain"
            stances.append({"proposal_id": proposal_id, "user_id": uid, "stance": stance,
                            "reason": "Needs a test first." if stance == "object" else "",
                            "revision": 1, "taken_at": opened + (until - opened) * rng.random()})
    db.session.execute(sa.insert(Stance), stances)
    db.session.commit()


class BusyJournal(Journal):
    """The benchmark ledger's journal with a project's mix rather than a
    stockroom's (many work logs, fewer pledges), its entries spread evenly
    over *span* rather than minutes apart."""

    # About half the work logs confirmed by another member (issue 20): the
    # page reads their confirmed hours as a tally kind of its own.
    MIX = {"work": 40, "confirm": 20, "pledge": 9, "receipt": 22, "consume": 14, "withdraw": 1,
           "correct": 4}

    def __init__(self, *args, entries: int, span: timedelta, **kwargs):
        super().__init__(*args, **kwargs)
        # Journal.append adds 1-180 s; this adds the rest of each entry's share.
        self.gap = max(span.total_seconds() / max(entries, 1) - 90.5, 0.0)
        self.spread = random.Random(self.rng.random())

    def append(self, actor, action, data, number):
        self.at += timedelta(seconds=self.spread.uniform(0, 2 * self.gap))
        return super().append(actor, action, data, number)

    def fill(self, entries: int, inputs: int, write, batch: int = 50000) -> None:
        mix = [getattr(self, name) for name, weight in self.MIX.items() for _ in range(weight)]
        every = max(1, entries // inputs)
        while self.seq < entries:
            if self.inputs < inputs and (self.inputs < 20 or self.seq % every == 0):
                self.need()
            elif not self.carry_out_due():
                self.rng.choice(mix)()
            if len(self.rows) >= batch:
                write(self.rows)
                self.rows = []
        write(self.rows)
        self.rows = []


def add_ledger(project, people: list[tuple[int, str]], entries: int) -> dict[str, int]:
    """The journal, its balances and its deliveries; entries by action."""
    # Aimed two weeks short of now: the sum of the random steps may run a few days over.
    journal = BusyJournal(project, people, people, utcnow() - SPAN, seed=7, entries=entries,
                          span=SPAN - timedelta(days=14))
    journal.fill(entries, max(entries // 125, 20), write_entries)
    store_balances(project, journal, {name: uid for uid, name in people})
    # Bulk-inserted entries bypass the listeners: replay them into the tallies.
    _entries, delivered = contributions.rebuild_from_journal(db.session, project)
    db.session.commit()
    counts = dict(journal.counts)
    counts["deliveries rebuilt"] = delivered
    last = journal.at
    del journal
    gc.collect()
    counts["days from the last entry to now"] = (utcnow() - last).days
    assert last < utcnow(), f"the journal ends in the future, at {last}"
    return counts


def add_credits(project, people: list[tuple[int, str]], rng: random.Random) -> None:
    today = utcnow().date()
    founder = people[0][0]
    kinds = list(contribution_rules.KINDS)
    db.session.execute(sa.insert(Credit), [
        {"project_id": project.id, "user_id": rng.choice(people[1:])[0], "kind": rng.choice(kinds),
         "evidence_url": f"https://example.org/evidence/{n}", "note": "",
         "day": today - timedelta(days=rng.randrange(SPAN.days)), "recorded_by_id": founder,
         "recorded_at": utcnow()} for n in range(CREDITS)])
    db.session.commit()


def add_activity(entries: int) -> None:
    """Governance, ledger and credits for "big", then the counts, and the
    ledger checked intact."""
    rng = random.Random(11)
    project = projects.get_project(db.session, SLUG, with_members=False)
    people = people_of_big()
    assert people[0][1] == "founder" and len(people) == 201, people[:3]
    start = time.perf_counter()
    add_members(project, people)
    add_governance(project, people, rng)
    counts = add_ledger(project, people, entries)
    add_credits(project, people, rng)
    print(f"activity for {SLUG} with {len(people)} people stored in "
          f"{time.perf_counter() - start:.0f} s; journal "
          + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))
    start = time.perf_counter()
    result = ledger.verify(db.session, project)
    print(f"  ledger.services.verify: {result.entries:,} entries, intact={result.intact} "
          f"{result.problem} in {time.perf_counter() - start:.1f} s")
    assert result.intact, result
    print_activity_counts(project)


def print_activity_counts(project) -> None:
    """The rows the contributors page reads besides the git tallies."""
    recent = utcnow() - timedelta(days=90)

    def count(model, *where):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

    stances = (Stance.proposal_id.in_(sa.select(Proposal.id)
                                       .where(Proposal.project_id == project.id)),)
    rows = [
        ("memberships", count(Membership, Membership.project_id == project.id)),
        ("proposals", count(Proposal, Proposal.project_id == project.id)),
        ("  merge", count(Proposal, Proposal.project_id == project.id, Proposal.kind == "merge")),
        ("  merge passed", count(Proposal, Proposal.project_id == project.id,
                                 Proposal.kind == "merge", Proposal.status == "passed")),
        ("  open", count(Proposal, Proposal.project_id == project.id, Proposal.status == "open")),
        ("  opened in the last 90 days", count(Proposal, Proposal.project_id == project.id,
                                               Proposal.opened_at >= recent)),
        ("stances", count(Stance, *stances)),
        ("  object", count(Stance, *stances, Stance.stance == "object")),
        ("  taken in the last 90 days", count(Stance, *stances, Stance.taken_at >= recent)),
        ("ledger entries", count(LedgerEntry, LedgerEntry.project_id == project.id)),
        ("inputs", count(Input, Input.project_id == project.id)),
        ("pledges", count(Pledge, Pledge.project_id == project.id)),
        ("  not withdrawn", count(Pledge, Pledge.project_id == project.id,
                                  Pledge.withdrawn.is_(False))),
        ("work logs", count(WorkLog, WorkLog.project_id == project.id)),
        ("  in the last 90 days", count(WorkLog, WorkLog.project_id == project.id,
                                        WorkLog.date >= recent.date())),
        ("deliveries", count(Delivery, Delivery.project_id == project.id)),
        ("  in the last 90 days", count(Delivery, Delivery.project_id == project.id,
                                        Delivery.day >= recent.date())),
        ("credits", count(Credit, Credit.project_id == project.id)),
        ("  in the last 90 days", count(Credit, Credit.project_id == project.id,
                                        Credit.day >= recent.date())),
    ]
    print(f"  rows of {SLUG}: " + ", ".join(f"{name.strip()} {value:,}" if not name.startswith(" ")
                                            else f"({name.strip()} {value:,})"
                                            for name, value in rows))


# ---------------------------------------------------------------- where the time goes

PARTS = [("git", "_git_dimensions"), ("governance", "_governance_dimensions"),
         ("ledger", "_ledger_dimensions"), ("project_records", "project_records")]


def breakdown(app, url: str, runs: int) -> str:
    """Median milliseconds of each dimension project_records reads, of
    project_records as a whole (its rest: credits and usernames) and of the
    rest of the request (the view, sorting, rendering), over *runs*
    requests; the functions are wrapped for this only."""
    spent: dict[str, float] = defaultdict(float)
    originals = {name: getattr(contributions, name) for _part, name in PARTS}

    def timed(part, function):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[part] += (time.perf_counter() - start) * 1000
        return wrapper

    for part, name in PARTS:
        setattr(contributions, name, timed(part, originals[name]))
    samples: dict[str, list[float]] = defaultdict(list)
    client = app.test_client()
    try:
        client.get(url)
        for _ in range(runs):
            spent.clear()
            start = time.perf_counter()
            response = client.get(url)
            response.get_data()
            total = (time.perf_counter() - start) * 1000
            records = spent["project_records"]
            dims = spent["git"] + spent["governance"] + spent["ledger"]
            for part in ("git", "governance", "ledger"):
                samples[part].append(spent[part])
            samples["credits, names"].append(records - dims)
            samples["view, rendering"].append(total - records)
            samples["total"].append(total)
    finally:
        for _part, name in PARTS:
            setattr(contributions, name, originals[name])
    return ", ".join(f"{part} {statistics.median(values):.1f}" for part, values in samples.items())


def git_log_alone(path: Path) -> tuple[float, float, int]:
    """What reading the history costs without the database: the seconds of
    `git log --numstat` (as commons.git.indexing formats it) to /dev/null,
    and of the same log parsed by indexing.parse_log; the commits parsed."""
    command = ["git", "-C", str(path), "-c", "core.quotePath=false", "log", "--no-renames",
               "--numstat", f"--format={_LOG_FORMAT}", "main"]
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
    alone = time.perf_counter() - start
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, encoding="utf-8",
                               errors="replace")
    parsed = sum(1 for _ in parse_log(process.stdout))
    process.wait()
    return alone, time.perf_counter() - start, parsed


def cli_reindex(env: dict, work: Path, profile: Path | None = None) -> tuple[float, float, str]:
    """Run `flask --app commons contributions reindex big`: (wall seconds,
    peak RSS MiB of the process or its largest child, its stdout)."""
    command = [str(BIN / "flask"), "--app", "commons", "contributions", "reindex", SLUG]
    if profile:
        command = [str(BIN / "python"), "-m", "cProfile", "-o", str(profile), "-m", "flask",
                   *command[1:]]
    stderr = work / "reindex.stderr"
    with open(stderr, "w") as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                   stderr=errors, text=True)
        said = process.stdout.read()
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        tail = stderr.read_text(errors="replace")[-6000:]
        raise SystemExit(f"reindex exited with {process.returncode}:\n{said}\n{tail}")
    return seconds, usage.ru_maxrss / 1024, said.strip()


def row_counts() -> dict[str, int]:
    """Rows in the tables the records may live in."""
    names = [n for n in sa.inspect(db.engine).get_table_names()
             if n.startswith(("contribut", "identit", "commit", "indexed"))]
    return {n: db.session.scalar(sa.select(sa.func.count()).select_from(sa.table(n)))
            for n in sorted(names)}


def percentiles(times: list[float]) -> tuple[float, float]:
    return statistics.median(times), statistics.quantiles(times, n=20)[18]


def describe(response) -> str:
    """A line on what a page or API answer holds, to see it is the real thing."""
    body = response.get_data(as_text=True)
    notes = []
    if response.is_json:
        data = response.get_json()
        records = data if isinstance(data, list) else None
        if isinstance(data, dict):
            notes.append("keys " + ", ".join(sorted(data)[:8]))
            records = next((v for v in data.values() if isinstance(v, list)), None)
        if records is not None:
            notes.append(f"{len(records):,} records")
        if records and isinstance(records[0], dict):
            notes.append("first record's keys " + ", ".join(sorted(records[0])[:14]))
    else:
        notes.append(f"{body.count('<tr'):,} table rows")
    if response.headers.get("Link"):
        notes.append(f"Link: {response.headers['Link'][:120]}")
    notes.append("author0 (an account) " + ("named" if "author0" in body else "NOT named"))
    notes.append("Author 1 (no account) " + ("shown" if "Author 1" in body else "not shown"))
    return "; ".join(notes)


def measure_pages(app, runs: int, profile: bool, quiet: bool = False
                  ) -> list[tuple[str, float, float, int]]:
    """GET each page *runs* times through the test client, outside any app
    context of ours, so each request opens and closes its own session."""
    client = app.test_client()
    pages = [("contributors page", f"/projects/{SLUG}/contributors"),
             ("contributors page ?period=90d", f"/projects/{SLUG}/contributors?period=90d"),
             ("contributors page ?sort=commits", f"/projects/{SLUG}/contributors?sort=commits"
                                                 "&order=desc"),
             ("contributors API", f"/api/v1/projects/{SLUG}/contributors"),
             ("contributors API ?period=90d", f"/api/v1/projects/{SLUG}/contributors?period=90d"),
             ("profile /users/author0", "/users/author0"),
             ("profile /users/author0?period=90d", "/users/author0?period=90d")]
    results = []
    for name, url in pages:
        start = time.perf_counter()
        response = client.get(url)
        first = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            print(f"  {url}: {response.status_code}, not measured\n"
                  f"    {response.get_data(as_text=True)[:500]}")
            continue
        size = len(response.get_data())
        if not quiet:
            print(f"  {url}: first request {first:.0f} ms, {size / 1024:.0f} KiB; "
                  f"{describe(response)}")
        if profile:
            print(f"\n{name}, one request:")
            profiler = cProfile.Profile()
            profiler.runcall(client.get, url)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(12)
        times = []
        for _ in range(runs if first < 1000 else 5):  # a page of seconds: a few runs tell
            start = time.perf_counter()
            response = client.get(url)
            response.get_data()
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        results.append((f"{name} ({size // 1024} KiB)", *percentiles(times), len(times)))
    return results


def table(title: str, rows: list[tuple[str, float, float, int]]) -> None:
    print(f"\n{'measure' + (', ' + title if title else ''):46} {'median ms':>10} {'p95 ms':>8} "
          f"{'runs':>5}")
    for name, median, p95, runs in rows:
        mark = "" if median < 100 else "  (target < 100 ms: missed)"
        print(f"{name:46} {median:10.1f} {p95:8.1f} {runs:5}{mark}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-uri", default=os.environ.get("COMMONS_BENCH_DATABASE_URI"))
    parser.add_argument("--commits", type=int, default=80_000)
    parser.add_argument("--authors", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--profile", action="store_true",
                        help="a second reindex under cProfile, and one request of each page")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="measure the pages a second time after gc.freeze(), as a server "
                             "could freeze its start-up objects")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (SQLite database, repositories)")
    parser.add_argument("--activity", action=argparse.BooleanOptionalAction, default=True,
                        help="proposals, stances, a ledger journal and credits for the project "
                             "before the pages are measured (default: on)")
    parser.add_argument("--entries", type=int, default=50_000,
                        help="ledger journal entries with --activity")
    args = parser.parse_args()
    work = scratch("commons-bench-contributors-")
    uri = args.database_uri or f"sqlite:///{work}/contributors.sqlite3"
    if uri.startswith("postgresql"):
        empty_database(uri)
    config = {"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": uri,
              "REPOS_DIR": str(work / "repos"), "EVIDENCE_DIR": str(work / "evidence")}
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMMONS_")},
           "COMMONS_SQLALCHEMY_DATABASE_URI": uri, "COMMONS_REPOS_DIR": config["REPOS_DIR"],
           "COMMONS_EVIDENCE_DIR": config["EVIDENCE_DIR"], "COMMONS_SECRET_KEY": "bench"}
    try:
        app = create_app(config)
        with app.app_context():
            database = db.engine.dialect.name
            setup(app)
            path = repository_path(app.config["REPOS_DIR"], SLUG)
            history = generate_history(path, args.commits, args.authors)
            accounts = register_authors(history.identities)
            print(f"{database}: {history.commits:,} commits by {len(history.by_author):,} authors "
                  f"generated in {history.seconds:.1f} s (fast-import and repack); "
                  f"{accounts} of them have an account")
            top = sorted(history.by_author.values(), reverse=True)
            print(f"  top 10 authors {sum(top[:10]):,} commits, median author {top[len(top) // 2]}"
                  f", {history.co_authored:,} co-authored, {history.old_email_commits:,} under an "
                  f"address .mailmap maps, {history.recent_commits:,} in the last 90 days")
            print("  git: " + ", ".join(f"{k} {v:,}" for k, v in check_history(path, history).items()))
            alone, parsed_seconds, parsed = git_log_alone(path)
            print(f"  `git log --numstat` of main alone: {alone:.1f} s; read and parsed by "
                  f"indexing.parse_log: {parsed_seconds:.1f} s ({parsed:,} commits)")
            db.session.remove()
        seconds, rss, said = cli_reindex(env, work)
        print(f"`flask --app commons contributions reindex {SLUG}`: {seconds:.1f} s wall "
              f"(target < 60 s), peak RSS {rss:.0f} MiB\n  {said}")
        with app.app_context():
            print("  rows: " + ", ".join(f"{k} {v:,}" for k, v in row_counts().items()))
            db.session.remove()
        if args.profile:
            stats_file = work / "reindex.prof"
            again, _rss, _said = cli_reindex(env, work, profile=stats_file)
            print(f"\nreindex again, under cProfile: {again:.1f} s")
            for order in ("cumulative", "tottime"):
                out = io.StringIO()
                pstats.Stats(str(stats_file), stream=out).sort_stats(order).print_stats(22)
                print(out.getvalue()[out.getvalue().find("   ncalls"):])
        with app.app_context():
            if args.activity:
                add_activity(args.entries)
            else:
                print(f"no activity (--no-activity): {SLUG} has commits only")
                print_activity_counts(projects.get_project(db.session, SLUG, with_members=False))
            db.session.remove()
        gc.collect()
        print("pages:")
        rows = measure_pages(app, args.runs, args.profile)
        title = "with activity" if args.activity else "commits only"
        table(title, rows)
        if args.profile:
            print("\nwhere a request's time goes (median ms of 10 requests):")
            for url in (f"/projects/{SLUG}/contributors", f"/projects/{SLUG}/contributors?period=90d",
                        f"/api/v1/projects/{SLUG}/contributors", "/users/author0"):
                print(f"  {url}: {breakdown(app, url, 10)}")
        if args.gc_freeze:
            gc.collect()
            frozen = len(gc.get_objects())
            gc.freeze()
            table(f"{title}, after gc.freeze() of {frozen:,} objects",
                  measure_pages(app, args.runs, False, quiet=True))
        with app.app_context():
            db.engine.dispose()
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            remove(work)


if __name__ == "__main__":
    main()
