"""The contributor pages through the real forms: the contributors table
(sorting, periods, unmapped identities), credits, the division of labour,
a person's profile, and the downloads. Commits are real: made in a clone,
pushed to the project's bare repository, and indexed as pushes are."""

import csv
import io
import json
import os
import re
import subprocess
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from types import SimpleNamespace

import pytest

from commons.contributions import services
from commons.contributions.models import Credit
from commons.extensions import db
from commons.git.repositories import repository_path
from commons.projects import services as projects
from tests.conftest import Browser, mails_to

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


@pytest.fixture
def app(make_app):
    return make_app(CLOCK=Clock())


def git(*args, cwd, env=None):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd),
                               **(env or {})}).stdout


def commit(work: Path, name: str, email: str, path: str, text: str, when: datetime = NOW,
           message: str = "Change") -> None:
    (work / path).parent.mkdir(parents=True, exist_ok=True)
    (work / path).write_text(text)
    git("add", path, cwd=work)
    stamp = f"{int(when.timestamp())} +0000"
    git("commit", "-q", "-m", message, cwd=work,
        env={"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": stamp,
             "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email,
             "GIT_COMMITTER_DATE": stamp})


def push_and_index(app, work: Path, slug: str = "dryer") -> None:
    """Push to the bare repository and index what arrived, as the
    post-receive record does (tests/e2e pushes through the server)."""
    git("push", "-q", "origin", "HEAD:main", cwd=work)
    with app.app_context():
        project = projects.get_project(db.session, slug, with_members=False)
        services.reindex(db.session, project, repository_path(app.config["REPOS_DIR"], slug))
        db.session.commit()


@pytest.fixture
def people(app, tmp_path):
    """ada founds "Dryer", bo joins (50 days ago, so they may log work done
    since); cy has an account only."""
    app.config["CLOCK"].now = NOW - timedelta(days=50)
    ada, bo, cy = (Browser(app.test_client()) for _ in range(3))
    assert ada.register("ada").status_code == 302
    assert ada.create_project(name="Dryer", slug="dryer").status_code == 302
    assert bo.register("bo").status_code == 302
    assert bo.button("/projects/dryer", "/projects/dryer/join").status_code == 302
    assert cy.register("cy").status_code == 302
    app.config["CLOCK"].now = NOW
    # Sessions end after COMMONS_PERMANENT_SESSION_LIFETIME (30 days): log in again.
    for person, name in ((ada, "ada"), (bo, "bo"), (cy, "cy")):
        assert person.login(name).status_code == 302
    work = tmp_path / "work"
    git("clone", "-q", str(repository_path(app.config["REPOS_DIR"], "dryer")), str(work),
        cwd=tmp_path)
    return SimpleNamespace(ada=ada, bo=bo, cy=cy, anon=Browser(app.test_client()), work=work)


def rows(html: str) -> list[str]:
    """The text of each row of the contributors table, in order."""
    table = html.split('<table class="contributors"', 1)[1]
    body = table.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", row))).strip()
            for row in body.split("</tr>")[:-1]]


def log_work(browser: Browser, hours: str, category: str, what: str = "Did it",
             day: str = "2026-11-25"):
    return browser.submit("/projects/dryer/work", {"hours": hours, "category": category,
                                                   "description": what, "date": day})


def test_every_dimension_shows_side_by_side(app, people):
    commit(people.work, "Ada L", "ada@example.org", "a.txt", "one\ntwo\n")
    commit(people.work, "Bo", "bo@example.org", "b.txt", "x\n",
           message="Pair work\n\nCo-authored-by: Ada L <ada@example.org>")
    commit(people.work, 'Dee "D&D" Smith', "dee@elsewhere.net", "c.txt", "1\n2\n3\n")
    push_and_index(app, people.work)
    assert log_work(people.bo, "2.5", "care", "Cleaned the workshop").status_code == 302
    assert log_work(people.ada, "3", "creative", "Drew the frame").status_code == 302

    html = people.anon.client.get("/projects/dryer/contributors").get_data(as_text=True)
    table = rows(html)
    assert [row.split()[0] for row in table] == ["ada", "bo", "Dee"]
    ada, bo, dee = table
    # ada: the founding commit and a.txt, plus the co-authored commit.
    assert "2 +1 co-authored" in ada and "3 creative" in ada
    assert "1" in bo and "2.5 care" in bo
    # An identity with no account: its name, escaped, and a masked address.
    assert 'Dee "D&D" Smith d…@elsewhere.net · no account 1' in dee
    assert "dee@elsewhere.net" not in html
    assert "Dee &#34;D&amp;D&#34; Smith" in html  # escaped in the markup
    assert 'href="/users/ada"' in html and 'href="/users/bo"' in html


def test_a_confirmed_email_claims_the_identity_at_once(app, people):
    commit(people.work, "Cy", "cy@work.example", "c.txt", "1\n")
    push_and_index(app, people.work)
    before = rows(people.anon.client.get("/projects/dryer/contributors").get_data(as_text=True))
    assert any(row.startswith("Cy c…@work.example · no account") for row in before)
    assert people.cy.submit("/settings", {"email": "cy@work.example"},
                            action="/settings/emails").status_code == 302
    # Added, not yet confirmed: still nobody's.
    pending = rows(people.anon.client.get("/projects/dryer/contributors").get_data(as_text=True))
    assert any(row.startswith("Cy c…@work.example · no account") for row in pending)
    people.cy.confirm("cy@work.example")
    after = rows(people.anon.client.get("/projects/dryer/contributors").get_data(as_text=True))
    assert not any("no account" in row for row in after)
    assert any(row.startswith("cy 1") for row in after)
    # The address now belongs to cy; ada's claim of it is answered as any
    # other (cy is mailed) and takes nothing.
    taken = people.ada.submit("/settings", {"email": "cy@work.example"},
                              action="/settings/emails")
    assert taken.status_code == 302
    assert mails_to(app, "cy@work.example")[-1][0] == \
        "Someone tried to use your address on commons"
    again = rows(people.anon.client.get("/projects/dryer/contributors").get_data(as_text=True))
    assert any(row.startswith("cy 1") for row in again)


def test_sorting_and_periods(app, people):
    old = NOW - timedelta(days=200)
    for n in range(3):
        commit(people.work, "Bo", "bo@example.org", f"old{n}.txt", "x\n", when=old)
    commit(people.work, "Ada", "ada@example.org", "new.txt", "y\n", when=NOW - timedelta(days=3))
    push_and_index(app, people.work)
    assert log_work(people.ada, "5", "routine").status_code == 302

    client = people.anon.client
    by_commits = rows(client.get("/projects/dryer/contributors?sort=commits&order=desc")
                      .get_data(as_text=True))
    assert [row.split()[0] for row in by_commits] == ["bo", "ada"]
    by_commits_up = rows(client.get("/projects/dryer/contributors?sort=commits&order=asc")
                         .get_data(as_text=True))
    assert [row.split()[0] for row in by_commits_up] == ["ada", "bo"]
    # The last 90 days leave bo's old commits out.
    recent = client.get("/projects/dryer/contributors?period=90d").get_data(as_text=True)
    assert [row.split()[0] for row in rows(recent)] == ["ada"]
    assert '<strong aria-current="true">Last 90 days</strong>' in recent
    page = client.get("/projects/dryer/contributors?sort=hours").get_data(as_text=True)
    assert 'aria-sort="descending"' in page

    for query, says in [("period=week", "period is all"), ("sort=score", "sort is one of"),
                        ("sort=name&order=up", "order is asc or desc")]:
        refused = client.get(f"/projects/dryer/contributors?{query}")
        assert refused.status_code == 400
        assert says in refused.get_data(as_text=True)
    assert client.get("/projects/nowhere/contributors").status_code == 404


def test_crediting_and_its_refusals(app, people):
    page = "/projects/dryer/contributors"
    action = "/projects/dryer/contributors/credits"
    good = {"username": "cy", "kind": "translation", "evidence_url": "https://pad.example/fr",
            "note": "French manual", "date": "2026-11-20"}
    for change, status, says in [
        ({"kind": "wizardry"}, 422, "All Contributors kinds"),
        ({"evidence_url": "javascript:alert(1)"}, 422, "https:// or http://"),
        ({"evidence_url": "not a link"}, 422, "https:// or http://"),
        ({"evidence_url": ""}, 422, "Give a link to the evidence."),
        ({"date": "2027-01-01"}, 422, "is in the future"),
        ({"date": "20/11/2026"}, 422, "YYYY-MM-DD"),
        ({"username": "nobody"}, 422, "No account is called"),
    ]:
        answer = people.ada.submit(page, {**good, **change}, action=action)
        html = unescape(answer.get_data(as_text=True))
        assert answer.status_code == status, change
        assert says in html, change
        # What was typed comes back.
        assert 'value="' + (change.get("evidence_url") or good["evidence_url"]) + '"' in html \
            or change.get("evidence_url") == ""
        assert "French manual" in html
    outsider = people.cy.submit(page, good, action=action)
    assert outsider.status_code == 403
    assert "Members of Dryer record contributions" in unescape(outsider.get_data(as_text=True))
    no_token = people.ada.client.post(action, data=good)
    assert no_token.status_code == 400
    with app.app_context():
        assert db.session.query(Credit).count() == 0

    assert people.ada.submit(page, good, action=action).status_code == 302
    html = people.anon.client.get(page).get_data(as_text=True)
    assert "cy</strong>: Translation: French manual" in unescape(html)
    assert 'href="https://pad.example/fr" rel="nofollow noopener noreferrer"' in html
    assert any(row.startswith("cy") and "Translation" in row for row in rows(html))
    with app.app_context():
        credit_id = db.session.query(Credit).one().id
    # bo neither recorded it nor is credited: the button is refused.
    remove = f"/projects/dryer/contributors/credits/{credit_id}/delete"
    people.bo.button(page, remove)
    with app.app_context():
        assert db.session.query(Credit).count() == 1
    assert people.cy.button(page, remove).status_code == 302
    with app.app_context():
        assert db.session.query(Credit).count() == 0


def test_division_of_labour_chart(app, people):
    assert log_work(people.bo, "6", "care", "Cleaning").status_code == 302
    assert log_work(people.bo, "1", "routine", "Backups").status_code == 302
    assert log_work(people.ada, "2", "care", "Cooking").status_code == 302
    assert log_work(people.ada, "4", "creative", "Design").status_code == 302
    html = people.anon.client.get("/projects/dryer/contributors/labour").get_data(as_text=True)
    svg = html.split('<svg class="chart"', 1)[1].split("</svg>", 1)[0]
    # bo has most hours (7), so the longest bar: 70% of the width.
    bars = re.findall(r'<rect x="([\d.]+)%" y="(\d+)" width="([\d.]+)%"[^>]*fill="(#\w+)"', svg)
    assert len(bars) == 4
    widths = {(y, colour): float(width) for _x, y, width, colour in bars}
    bo_total = sum(width for (y, _c), width in widths.items() if y == "18")
    ada_total = sum(width for (y, _c), width in widths.items() if y != "18")
    assert bo_total == pytest.approx(70.0) and ada_total == pytest.approx(60.0)
    assert "bo: 7 hours, 1 routine and maintenance, 6 care (cleaning, cooking, support)" in \
        unescape(svg)
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))
    assert "Care (cleaning, cooking, support) : 8 h by 2 people; bo did 75% : mostly one person" \
        in text
    assert "bo 1 6 7" in text and "ada 2 4 6" in text
    empty = people.anon.client.get("/projects/dryer/contributors/labour?period=90d")
    assert empty.status_code == 200


def test_profile_across_projects(app, people):
    assert people.bo.create_project(name="Kiln", slug="kiln").status_code == 302
    assert log_work(people.bo, "2", "coordination").status_code == 302
    html = unescape(people.anon.client.get("/users/bo").get_data(as_text=True))
    assert "<h2><a href=\"/projects/dryer\">Dryer</a></h2>" in html
    assert "<h2><a href=\"/projects/kiln\">Kiln</a></h2>" in html
    assert "2 h coordination" in html
    assert "1 authored" in html  # Kiln's first commit
    assert people.anon.client.get("/users/nobody").status_code == 404
    own = people.bo.client.get("/users/bo").get_data(as_text=True)
    assert "add the ones you commit with" in own


def test_downloads(app, people):
    commit(people.work, "=HYPERLINK(\"http://evil\")", "eve@example.net", "e.txt", "1\n")
    commit(people.work, "[x](javascript:alert(1))", "mal@example.net", "m.txt", "1\n")
    push_and_index(app, people.work)
    assert log_work(people.bo, "1.5", "care").status_code == 302
    client = people.anon.client
    answer = client.get("/projects/dryer/contributors.csv")
    assert answer.headers["Content-Disposition"] == 'attachment; filename="dryer-contributors.csv"'
    table = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    names = {row["name"]: row for row in table}
    assert "'=HYPERLINK(\"http://evil\")" in names  # a formula stays text
    assert names["bo"]["hours_care"] == "1.50" and names["bo"]["username"] == "bo"
    assert names["[x](javascript:alert(1))"]["email"] == "m…@example.net"

    data = json.loads(client.get("/projects/dryer/contributors.json").get_data(as_text=True))
    assert data["period"] == "all"
    bo = next(record for record in data["contributors"] if record["username"] == "bo")
    assert bo["hours"] == {"care": "1.50"}

    markdown = client.get("/projects/dryer/CONTRIBUTORS.md").get_data(as_text=True)
    assert "- [bo](http://127.0.0.1:5000/users/bo): 1.5 h of care (cleaning, cooking, support)" \
        in markdown
    assert "](javascript:" not in markdown
    assert r"\[x\]\(javascript:alert\(1\)\)" in markdown


def test_activity_chart_per_month(app, people):
    for n, days_ago in enumerate([0, 1, 40, 400]):
        commit(people.work, "Bo", "bo@example.org", f"m{n}.txt", "x\n",
               when=NOW - timedelta(days=days_ago))
    push_and_index(app, people.work)
    assert log_work(people.bo, "2", "care", day="2026-11-25").status_code == 302
    assert log_work(people.bo, "1.5", "routine", day="2026-10-10").status_code == 302
    html = people.anon.client.get("/projects/dryer/contributors").get_data(as_text=True)
    section = html.split('id="activity-heading"', 1)[1].split("</section>", 1)[0]
    # Two this month; the founding commit (50 days ago) and one 40 days ago
    # in October; the one 400 days ago is older than the 12 months shown.
    assert "<title>2026-11: 2 commits</title>" in section
    assert "<title>2026-10: 2 commits</title>" in section
    assert "<title>2026-11: 2 h</title>" in section and "<title>2026-10: 1.5 h</title>" in section
    assert "2025-10" not in section
    figures = re.findall(r"<tr><th scope=\"row\">([\d-]+)</th><td>([\d.]+)</td><td>([\d.]+)</td>",
                         section)
    assert len(figures) == 12 and figures[0][0] == "2025-12" and figures[-1] == ("2026-11", "2", "2")
    # The tallest column of each band is the band's full height.
    assert 'height="60" fill="#0969da"' in section and 'height="60" fill="#9a6700"' in section
