"""Review of the contributor records (issue 6): defects found, each as a
failing test."""

import re
from decimal import Decimal
from html import unescape

from commons import clock as app_clock
from commons.contributions import services
from commons.extensions import db
from commons.git.repositories import repository_path
from commons.ledger import services as ledger
from commons.ledger.models import WorkLog
from commons.projects import services as projects
from tests.contributions.test_pages import (  # noqa: F401  (fixtures)
    app,
    commit,
    log_work,
    people,
    push_and_index,
    rows,
)


def record(app, username):  # noqa: F811 (fixtures from test_pages)
    with app.app_context():
        project = projects.get_project(db.session, "dryer", with_members=False)
        found = services.project_records(db.session, project,
                                         repository_path(app.config["REPOS_DIR"], "dryer"),
                                         "all", app_clock.now().date())
        return next(r for r in found if r.username == username)


def test_author_and_co_author_with_two_emails_of_one_person_count_once(app, people):  # noqa: F811 (fixtures from test_pages)
    """ada commits from her work address and names her home address in a
    Co-authored-by: trailer (a common result of pairing tools / squash
    merges). It is one commit by one person."""
    assert people.ada.submit("/settings", {"email": "ada@work.example"},
                             action="/settings/emails").status_code == 302
    people.ada.confirm("ada@work.example")
    before = record(app, "ada").git  # the founding commit
    commit(people.work, "Ada", "ada@work.example", "a.txt", "1\n2\n3\n",
           message="Frame\n\nCo-authored-by: Ada L <ada@example.org>")
    push_and_index(app, people.work)
    ada = record(app, "ada")
    assert (ada.git.commits - before.commits, ada.git.co_authored - before.co_authored,
            ada.git.lines_added - before.lines_added) == (1, 0, 3)


def test_period_links_after_a_refused_credit_are_not_405(app, people):  # noqa: F811 (fixtures from test_pages)
    """A refused credit re-renders the contributors page at the POST URL;
    its "Last 90 days" link is built from request.endpoint (add_credit,
    POST only), so following it gives 405."""
    answer = people.ada.submit("/projects/dryer/contributors",
                               {"username": "cy", "kind": "design", "evidence_url": "nope"},
                               action="/projects/dryer/contributors/credits")
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    link = unescape(re.search(r'<a href="([^"]*)">Last 90 days</a>', html).group(1))
    assert people.ada.client.get(link).status_code == 200, link


def test_hours_corrected_to_zero_are_no_contribution(app, people):  # noqa: F811 (fixtures from test_pages)
    """bo logs 2 h by mistake and corrects them to 0; he has contributed
    nothing, yet he is listed (0 h) on the contributors page and the
    division of labour. Deliveries corrected to 0 are already skipped."""
    assert log_work(people.bo, "2", "care", "Oops, wrong project").status_code == 302
    with app.app_context():
        project = projects.get_project(db.session, "dryer")
        work = db.session.query(WorkLog).one()
        ledger.correct(db.session, project, work.user, work.seq, {"hours": "-2"},
                       "Logged in the wrong project", now=app_clock.now())
        db.session.commit()
        assert db.session.query(WorkLog).one().hours == Decimal(0)
    html = people.anon.client.get("/projects/dryer/contributors").get_data(as_text=True)
    listed = rows(html) if "<tbody>" in html else []
    labour = people.anon.client.get("/projects/dryer/contributors/labour").get_data(as_text=True)
    assert (not any(row.startswith("bo ") for row in listed),
            'href="/users/bo"' not in labour) == (True, True), listed


def test_contributors_markdown_escapes_the_project_name_as_it_does_names():
    """Names are escaped as literal Markdown ("no links, emphasis or HTML
    from it"), but the project's name, free text its founder typed, goes
    into the heading raw."""
    from commons.contributions import rules
    body = rules.contributors_markdown("Dryer <img src=x onerror=alert(1)> [go](https://evil.example)",
                                       [], "https://commons.example", {})
    from markdown_it import MarkdownIt
    heading = MarkdownIt("commonmark").render(body.splitlines()[0])
    # As CommonMark renders it: literal text, no tag and no link.
    assert heading == ("<h1>Contributors to Dryer &lt;img src=x onerror=alert(1)&gt; "
                       "[go](https://evil.example)</h1>\n"), heading


def test_names_of_unmapped_identities_hide_addresses_and_invisible_characters():
    from commons.contributions import rules
    assert rules.display_name("me@home.example") == "m…@home.example"
    assert rules.display_name("Dee (dee@x.org)") == "Dee (d…@x.org)"
    # U+202E would show "Dee" reversed text after it; NUL and tabs go too.
    assert rules.display_name("Dee\u202egnp.exe\u0000") == "Deegnp.exe"
    assert rules.display_name("\u200b\u2066") == "(no name)"
    assert rules.display_name("Zoë Müller") == "Zoë Müller"
