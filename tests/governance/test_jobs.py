"""Deciding at the close: each change to a window schedules a job at the new
close (once it commits), a job that comes early decides nothing, the sweep
decides what no job did, and a real worker decides a proposal when its
window closes."""

from datetime import UTC, timedelta

import pytest
import sqlalchemy as sa

from commons.extensions import db
from commons.governance import jobs as governance_jobs
from commons.governance import services
from commons.governance.models import Proposal
from commons.jobs import queue_of
from commons.types import utcnow
from tests.governance.conftest import Scene
from tests.jobs.test_queue import start_worker, stop, wait_for


@pytest.fixture
def queued(make_app, tmp_path, clock):
    app = make_app(CLOCK=clock, QUEUE_URL=f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    with app.app_context():
        yield Scene(app, tmp_path, clock)
        queue_of().huey.flush()


def waiting_decisions() -> list[tuple[int, object]]:
    """(proposal id, when) of each governance.decide job on the queue."""
    huey = queue_of().huey
    return sorted((task.kwargs["proposal_id"], task.eta)
                  for task in [*huey.pending(), *huey.scheduled()]
                  if task.name == "governance.decide")


def naive(moment):
    return moment.astimezone(UTC).replace(tzinfo=None)


def test_each_new_close_gets_its_job_and_an_early_one_decides_nothing(queued):
    scene = queued
    alice, carol = scene.person("alice"), scene.person("carol")
    project = scene.project(alice)
    scene.join(project, carol)
    proposal = services.open_proposal(db.session, project, alice, "decision", "Green", "", {},
                                      scene.settings(), scene.clock())
    assert waiting_decisions() == []  # not before the opening commits
    db.session.commit()
    first = proposal.closes_at
    assert waiting_decisions() == [(proposal.id, naive(first))]

    scene.clock.advance(hours=24)
    services.revise(db.session, proposal, project, alice, scene.settings(), "edit",
                    scene.clock(), body="Greener")
    db.session.rollback()  # a change that rolls back schedules nothing
    assert len(waiting_decisions()) == 1
    proposal = db.session.get(Proposal, proposal.id)
    services.revise(db.session, proposal, project, alice, scene.settings(), "edit",
                    scene.clock(), body="Greener")
    services.take_stance(db.session, proposal, carol, "object", "Red", scene.clock())
    db.session.commit()
    second = proposal.closes_at
    assert second > first
    assert waiting_decisions() == [(proposal.id, naive(first)), (proposal.id, naive(second))]

    scene.clock.now = first  # the first job comes: the window has moved since
    assert governance_jobs.decide(proposal_id=proposal.id) == 0
    assert len(waiting_decisions()) == 2  # the new close has its job already
    scene.clock.now = second - timedelta(seconds=1)  # a job started a moment early
    assert governance_jobs.decide(proposal_id=proposal.id) == 0
    assert waiting_decisions()[-1] == (proposal.id, naive(second))  # waits for the close
    scene.clock.now = second
    assert governance_jobs.decide(proposal_id=proposal.id) == 1
    assert db.session.get(Proposal, proposal.id).status == "blocked"

    services.escalate(db.session, proposal, project, alice, scene.settings(), scene.clock())
    db.session.commit()
    third = proposal.closes_at
    assert (proposal.id, naive(third)) in waiting_decisions()
    scene.clock.now = third
    assert governance_jobs.decide(proposal_id=proposal.id) == 1
    assert governance_jobs.decide(proposal_id=proposal.id) == 0  # delivered twice: once


def test_the_sweep_decides_what_no_job_did(queued):
    scene = queued
    alice = scene.person("alice")
    project = scene.project(alice)
    for title in ("One", "Two"):
        services.open_proposal(db.session, project, alice, "decision", title, "", {},
                               scene.settings(), scene.clock())
    db.session.commit()
    queue_of().huey.flush()  # the queue lost its jobs
    scene.clock.advance(hours=73)
    assert governance_jobs.sweep() == 2
    assert governance_jobs.sweep() == 0
    assert set(db.session.scalars(sa.select(Proposal.status))) == {"passed"}


def test_a_worker_decides_a_proposal_when_its_window_closes(make_app, tmp_path):
    # The real clock, and a window of two seconds: the job is due then.
    app = make_app(MIN_REVIEW_WINDOW=1, QUEUE_URL=f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    with app.app_context():
        scene = Scene(app, tmp_path, utcnow)
        alice = scene.person("alice")
        project = scene.project(alice, review_window=2)
        proposal = services.open_proposal(db.session, project, alice, "decision", "Soon", "",
                                          {}, scene.settings(), utcnow())
        db.session.commit()
        number, proposal_id = proposal.number, proposal.id
        page = app.test_client().get(f"/projects/dryer/proposals/{number}")
        assert "status-open" in page.get_data(as_text=True)
        worker = start_worker(app, tmp_path)
        try:
            decided = wait_for(lambda: db.session.scalar(
                sa.select(Proposal).where(Proposal.id == proposal_id,
                                          Proposal.status == "passed")), tmp_path,
                "deciding at the close")
        finally:
            stop(worker)
            queue_of().huey.flush()
        assert decided.decided_at >= decided.closes_at
        assert "governance.decide" in (tmp_path / "worker.log").read_text()
