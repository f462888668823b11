"""Two people creating the same slug at the same moment: one wins, the other
hears why, and exactly one repository exists."""

import threading

import git

from commons import clock as app_clock
from tests.conftest import bearer


def test_simultaneous_creation_of_one_slug(app, token_for, repos_dir):
    tokens = {name: token_for(name) for name in ("alice", "bob")}
    barrier = threading.Barrier(2)
    results = {}

    def create(name):
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/v1/projects", headers=bearer(tokens[name]), json={
            "name": f"{name}'s dryer", "slug": "dryer", "license": "MIT"})
        results[name] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=create, args=(name,)) for name in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    statuses = sorted(status for status, _ in results.values())
    assert statuses == [201, 409], results
    winner = next(name for name, (status, _) in results.items() if status == 201)
    loser = next(name for name, (status, _) in results.items() if status == 409)
    assert "pick another slug" in results[loser][1]["error"]
    assert [p.name for p in repos_dir.iterdir()] == ["dryer.git"]
    assert git.Repo(repos_dir / "dryer.git").commit("main").author.name == winner
    project = app.test_client().get("/api/v1/projects/dryer").get_json()
    assert project["name"] == f"{winner}'s dryer"


def test_the_unique_index_decides_when_both_pass_the_check(app, repos_dir):
    """Bob's check for the slug runs while Alice's row is written but not
    committed; the database's unique index must then refuse Bob cleanly."""
    from sqlalchemy import event

    from commons.accounts.services import register_user
    from commons.extensions import db
    from commons.problems import Conflict
    from commons.projects import services

    with app.app_context():
        for name in ("alice", "bob"):
            register_user(db.session, name, f"{name}@example.org", "x" * 12, now=app_clock.now(),
                          confirmed_at=app_clock.now())
        db.session.commit()
    settings = services.Settings.from_config(app.config)
    alice_flushed, bob_checked = threading.Event(), threading.Event()
    outcome = {}

    def alice():
        with app.app_context():
            user = db.session.scalar(db.select(services.User).filter_by(username="alice"))
            services.create_project(db.session, user, services.NewProject(
                name="Alice's dryer", slug="dryer", license="MIT"), settings, now=app_clock.now())
            alice_flushed.set()
            bob_checked.wait(10)
            db.session.commit()

    def bob():
        with app.app_context():
            alice_flushed.wait(10)
            session = db.session()
            # Bob's slug check has passed once his flush begins.
            event.listen(session, "before_flush", lambda *args: bob_checked.set())
            user = db.session.scalar(db.select(services.User).filter_by(username="bob"))
            try:
                services.create_project(db.session, user, services.NewProject(
                    name="Bob's dryer", slug="dryer", license="MIT"), settings, now=app_clock.now())
                db.session.commit()
                outcome["bob"] = "created"
            except Conflict as conflict:
                outcome["bob"] = conflict.message

    threads = [threading.Thread(target=alice), threading.Thread(target=bob)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcome["bob"] == "A project with the slug “dryer” was just created; pick another slug."
    assert [p.name for p in repos_dir.iterdir()] == ["dryer.git"]
    assert git.Repo(repos_dir / "dryer.git").commit("main").author.name == "alice"
