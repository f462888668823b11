"""The branches and tags pages' rows are kept per worker, each by what it
shows: a repeat view or a push renders only the rows that changed, and a
moved clock, another default branch or a proposal shows at once."""

import subprocess
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_login import login_user

from commons.accounts.models import User
from commons.extensions import db
from commons.git import reading, ref_rows
from tests.git.test_ref_lists import ENV

# The fixture's commits are a minute apart from this moment on.
FIRST = datetime.fromtimestamp(1_900_000_000, UTC)


def kept(app) -> int:
    return len(app.extensions[ref_rows.EXTENSION].values)


def rows(path, default="main", proposed=None, kind="branches") -> str:
    refs = reading.refs(path, "heads" if kind == "branches" else "tags")[:3]
    return str(ref_rows.rows("dryer", default, kind, refs, proposed or {}))


def test_a_row_is_made_again_only_when_what_it_shows_changed(app, tagged_dryer):
    bare = tagged_dryer
    app.config["CLOCK"] = lambda: FIRST + timedelta(hours=5)
    with app.test_request_context("/"):
        first = rows(bare)  # main and old
        assert kept(app) == 2 and first.count("<tr>") == 2
        assert rows(bare) == first and kept(app) == 2
        assert "Proposal #3" in rows(bare, proposed={"old": 3}) and kept(app) == 3
        other = rows(bare, default="old")
        assert kept(app) == 5
        assert '<a href="/projects/dryer/tree/old">old</a>\n            <span class="meta">' \
            '(default)</span>' in other
        assert "Compare<span class=\"visually-hidden\"> main with old</span>" in other
        assert ">5 hours ago</time>" in first
        app.config["CLOCK"] = lambda: FIRST + timedelta(hours=7)
        assert ">7 hours ago</time>" in rows(bare) and kept(app) == 7
        tags = rows(bare, kind="tags")
        assert "Release 129" in tags and "Propose merge" not in tags


def test_a_moved_branch_shows_its_new_commit(app, client, tagged_dryer):
    bare = tagged_dryer
    html = client.get("/projects/dryer/branches").get_data(as_text=True)
    heads = subprocess.run(["git", "rev-list", "main"], cwd=bare, env=ENV, check=True,
                           capture_output=True, text=True).stdout.split()
    was = subprocess.run(["git", "rev-parse", "old"], cwd=bare, env=ENV, check=True,
                         capture_output=True, text=True).stdout.strip()
    assert f"/commit/{was}" in html and f"/commit/{heads[3]}" not in html
    subprocess.run(["git", "update-ref", "refs/heads/old", heads[3]], cwd=bare, env=ENV,
                   check=True)
    html = client.get("/projects/dryer/branches").get_data(as_text=True)
    assert f"/commit/{heads[3]}" in html and f"/commit/{was}" not in html


def test_kept_rows_stay_escaped_and_a_huge_row_is_not_kept(app, client, tagged_dryer):
    bare = tagged_dryer
    def branch(name: str, message: str) -> None:
        tree = subprocess.run(["git", "rev-parse", "main^{tree}"], cwd=bare, env=ENV,
                              check=True, capture_output=True, text=True).stdout.strip()
        sha = subprocess.run(["git", "commit-tree", tree, "-m", message], cwd=bare, env=ENV,
                             check=True, capture_output=True, text=True).stdout.strip()
        subprocess.run(["git", "update-ref", f"refs/heads/{name}", sha], cwd=bare, env=ENV,
                       check=True)

    branch("evil", "<script>alert(1)</script> & co")
    for _ in range(2):
        html = client.get("/projects/dryer/branches").get_data(as_text=True)
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
        assert "<script>alert" not in html
    before = kept(app)
    branch("huge", "x" * (ref_rows.KEPT_ROW_CHARACTERS + 1))
    for _ in range(2):
        assert "x" * (ref_rows.KEPT_ROW_CHARACTERS + 1) in \
            client.get("/projects/dryer/branches").get_data(as_text=True)
    assert kept(app) == before


def test_rows_follow_the_viewer_s_zone_and_the_site_s_root(app, tagged_dryer):
    app.config["CLOCK"] = lambda: FIRST + timedelta(hours=5)
    with app.app_context():
        ada = db.session.scalar(sa.select(User).filter_by(username="ada"))
        ada.time_zone = "Asia/Kolkata"
        db.session.commit()
        with app.test_request_context("/"):
            utc = rows(tagged_dryer)
        with app.test_request_context("/"):
            login_user(db.session.get(User, ada.id))
            kolkata = rows(tagged_dryer)
        with app.test_request_context("/", base_url="http://localhost/commons"):
            rooted = rows(tagged_dryer)
    assert 'title="2030-03-17 17:46 UTC"' in utc and "IST" not in utc
    assert 'title="2030-03-17 23:16 IST"' in kolkata
    assert 'href="/commons/projects/dryer/tree/old"' in rooted
    assert 'href="/projects/dryer/tree/old"' in utc
