"""A real `git push` to commons under gunicorn: the push is recorded after
git answers, and a signed `push` event reaches a real receiver."""

import json

import pytest

from commons import clock
from commons.accounts import services as accounts
from commons.extensions import db
from commons.projects import services as projects
from commons.webhooks import services
from tests.git.conftest import forge  # noqa: F401 (the fixture)

SECRET = "push-secret-0123456789abcdef"


@pytest.mark.server_config(WEBHOOK_ALLOW_PRIVATE=True)
def test_a_push_is_delivered_signed_to_the_receiver(app, forge, receiver, tmp_path):  # noqa: F811
    alice = forge.person("alice")
    slug = forge.project(alice, push="direct")
    with app.app_context():
        project = projects.get_project(db.session, slug)
        services.create_hook(db.session, project, accounts.find_user(db.session, "alice"),
                             services.HookFields(url=receiver.url, secret=SECRET,
                                                 events=["push"]),
                             services.Settings(allow_private=True), clock.now())
        db.session.commit()
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug, alice), str(work))
    forge.git("checkout", "-q", "-b", "design", cwd=work)
    head = forge.commit(work, "frame.scad", "cube(10);\n", "Add the frame", author=alice)
    forge.git("push", "-q", "origin", "design", cwd=work)

    [request] = receiver.wait(1)
    assert request.headers["X-Commons-Event"] == "push"
    assert receiver.signed(request, SECRET)
    sent = json.loads(request.body)
    assert sent["event"] == "push" and sent["project"] == slug
    assert sent["delivery"] == request.headers["X-Commons-Delivery"]
    assert sent["data"] == {"pusher": "alice", "refs": [
        {"ref": "refs/heads/design", "after": head, "deleted": False}]}
    forge.pushes(1)

    forge.git("push", "-q", "origin", "--delete", "design", cwd=work)
    deleted = json.loads(receiver.wait(2)[1].body)
    assert deleted["data"]["refs"] == [{"ref": "refs/heads/design", "after": "0" * 40,
                                        "deleted": True}]
