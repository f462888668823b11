"""The contributors page keeps its figures between views (commons.generations):
a view when nothing changed runs none of the records' queries, and every
committed write, through a page, a command or another instance, shows on
the next view. Responses are closed, as a server closes what it sent: what
a page keeps is written then."""

import uuid
from datetime import timedelta

import sqlalchemy as sa

from commons import generations
from commons.accounts.models import User
from commons.contributions.models import Credit
from commons.extensions import db
from commons.projects import services as projects
from tests.conftest import Browser
from tests.contributions import test_pages
from tests.contributions.test_pages import NOW, Clock, commit, log_work, push_and_index, rows

# The contributor pages' fixtures: ada founds "Dryer", bo joins, cy looks on.
app = test_pages.app
people = test_pages.people

PAGE = "/projects/dryer/contributors"
# Tables only the kept figures read (the page itself reads the project and
# its credits list each time).
RECORDS_TABLES = ("contribution_git_totals", "contribution_ledger_totals", "work_logs",
                  "stances", "recognition_rules")


def view(browser: Browser, page: str = PAGE) -> tuple[str, list[str]]:
    """The page as *browser* sees it, and the statements serving it ran."""
    app = browser.client.application
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def note(connection, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        with browser.client.get(page) as response:
            assert response.status_code == 200
            html = response.get_data(as_text=True)
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    return html, statements


def reads_records(statements: list[str]) -> bool:
    return any(table in statement for statement in statements for table in RECORDS_TABLES)


def row_of(html: str, name: str) -> str:
    if '<table class="contributors"' not in html:  # nobody contributed
        return ""
    return next((row for row in rows(html) if row.split()[0] == name), "")


def test_a_second_view_reads_the_kept_figures(app, people):
    commit(people.work, "Ada L", "ada@example.org", "a.txt", "one\n")
    push_and_index(app, people.work)
    assert log_work(people.bo, "2.5", "care", "Cleaned the workshop").status_code == 302

    first, statements = view(people.anon)
    assert reads_records(statements)
    second, again = view(people.anon)
    assert not reads_records(again), "\n".join(again)
    assert len(again) < len(statements) - 5
    assert rows(second) == rows(first)
    assert "2.5 care" in row_of(second, "bo")
    # Another order, page or period is another set of figures.
    _, other = view(people.anon, PAGE + "?sort=hours&order=desc")
    assert reads_records(other)
    # A logged-in member sees the same figures, and their own forms.
    html, member = view(people.ada)
    assert not reads_records(member)
    assert rows(html) == rows(first) and 'name="csrf_token"' in html


def test_every_committed_write_shows_on_the_next_view(app, people):
    view(people.anon)
    # Through a page: work logged, then a credit recorded.
    assert log_work(people.bo, "2.5", "care", "Cleaned the workshop").status_code == 302
    html, _ = view(people.anon)
    assert "2.5 care" in row_of(html, "bo")
    assert people.ada.submit(PAGE, {
        "username": "cy", "kind": "translation", "evidence_url": "https://pad.example/fr",
        "note": "French manual", "date": "2026-11-20"},
        action=PAGE + "/credits").status_code == 302
    html, _ = view(people.anon)
    assert "Translation" in row_of(html, "cy")
    # Outside a request, as a command or the post-receive record writes:
    # commits indexed.
    commit(people.work, "Dee", "dee@elsewhere.net", "d.txt", "1\n2\n")
    push_and_index(app, people.work)
    html, _ = view(people.anon)
    assert row_of(html, "Dee")
    # A rename, which only the accounts' table holds.
    with app.app_context():
        db.session.execute(sa.text("UPDATE users SET username = 'bea' WHERE username = 'bo'"))
        db.session.commit()
    html, statements = view(people.anon)
    assert reads_records(statements)
    assert "2.5 care" in row_of(html, "bea") and not row_of(html, "bo")
    # A transaction that rolled back changed nothing: the figures stay kept.
    view(people.anon)
    with app.app_context():
        project = projects.get_project(db.session, "dryer", with_members=False)
        ada = db.session.scalar(sa.select(User.id).where(User.username == "ada"))
        db.session.add(Credit(project_id=project.id, user_id=ada, recorded_by_id=ada,
                              kind="design", evidence_url="https://example.org", note="",
                              day=NOW.date(), recorded_at=NOW))
        db.session.flush()
        db.session.rollback()
    html, statements = view(people.anon)
    assert not reads_records(statements)
    assert "Design" not in row_of(html, "ada")


def test_a_new_day_computes_the_figures_again(app, people):
    assert log_work(people.bo, "2.5", "care", day="2026-11-25").status_code == 302
    view(people.anon, PAGE + "?period=90d")
    _, statements = view(people.anon, PAGE + "?period=90d")
    assert not reads_records(statements)
    # 91 days on, the work falls out of the last 90 days with no write at all.
    app.config["CLOCK"].now = NOW + timedelta(days=91)
    html, statements = view(people.anon, PAGE + "?period=90d")
    assert reads_records(statements)
    assert not row_of(html, "bo")


def test_instances_sharing_a_redis_share_what_changed(make_app, redis_url, tmp_path):
    """Two instances (two apps, each its own engine and pool) on one database
    and one Redis: a write through one shows on the other's next view,
    though the other kept the figures before it."""
    clock = Clock()
    settings = {"CLOCK": clock, "CACHE_URL": redis_url,
                "CACHE_KEY_PREFIX": f"test-figures:{uuid.uuid4().hex}:"}
    first, second = make_app(**settings), make_app(**settings)
    clock.now = NOW - timedelta(days=50)
    ada = Browser(first.test_client())
    assert ada.register("ada").status_code == 302
    assert ada.create_project(name="Dryer", slug="dryer").status_code == 302
    clock.now = NOW
    assert ada.login("ada").status_code == 302
    visitor = Browser(second.test_client())
    html, _ = view(visitor)
    _, statements = view(visitor)
    assert not reads_records(statements)
    assert "3 creative" not in row_of(html, "ada")

    assert log_work(ada, "3", "creative", "Drew the frame").status_code == 302
    html, statements = view(visitor)
    assert reads_records(statements)
    assert "3 creative" in row_of(html, "ada")


def test_only_writes_a_kept_value_may_read_advance_the_generation(make_app):
    """`ledger verify` writes its checkpoint on every run: that alone leaves
    the generation (and a database-only command's start-up) alone; a write
    anywhere else advances it, even one that changed no row."""
    app = make_app()
    with app.app_context():
        start = generations.current()
        db.session.execute(sa.text("SELECT count(*) FROM contribution_credits"))
        db.session.commit()
        db.session.execute(sa.text("DELETE FROM ledger_checkpoints WHERE 1 = 0"))
        db.session.commit()
        for table in ("path_index_changes", "path_index_commits", "path_index_lines"):
            db.session.execute(sa.text(f"DELETE FROM {table} WHERE 1 = 0"))  # the index's build
            db.session.commit()
        assert generations.current() == start
        db.session.execute(sa.text("DELETE FROM contribution_credits WHERE 1 = 0"))
        db.session.rollback()
        assert generations.current() == start
        db.session.execute(sa.text("DELETE FROM contribution_credits WHERE 1 = 0"))
        db.session.commit()
        assert generations.current() != start


def test_a_page_past_the_last_is_a_404_and_nothing_is_kept(app, people):
    for _ in range(2):  # the second time too: the refusal was not kept as a page
        response = people.anon.client.get(f"{PAGE}?page=99")
        assert response.status_code == 404
        assert "There are 1 pages of contributors" in response.get_data(as_text=True)
