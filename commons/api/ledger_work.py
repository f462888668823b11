"""The ledger API's logged work (issue 20): the project's work entries
with their ratings and confirmations, and confirming another member's
hours or withdrawing one's confirmation. Writes answer the entry they
appended and the work as it now is; Idempotency-Key works as on every
API POST."""

from flask.views import MethodView

from commons import clock
from commons.api import schemas
from commons.api.auth import require_api_user, token_required
from commons.api.docs import refuses
from commons.api.ledger_blueprint import BEARER, SEQ, blp, load_project
from commons.api.ledger_writes import _head_entry
from commons.extensions import db
from commons.ledger import exports, services
from commons.ledger.models import WorkLog
from commons.projects.models import Project


@blp.route("/projects/<slug>/work", methods=["GET"])
@blp.arguments(schemas.WorkQuery, location="query")
@blp.response(200, schemas.WorkList)
def work_list(query, slug: str):
    """The project's logged work, newest entry first (`limit`, 1 to 200):
    each with the worker's rating of how onerous it was and who confirmed
    it (null: unconfirmed)."""
    project = load_project(slug)
    return {"project": project.slug,
            "work": [exports.work_record(work)
                     for work in services.recent_work(db.session, project, query["limit"])]}


# POST and DELETE on one rule (a MethodView): with two rules, a DELETE to a
# seq past the converter's maximum would be 405 (werkzeug checks the method
# before the converter), not the 404 it is.
@blp.route(f"/projects/<slug>/work/{SEQ}/confirmation")
class Confirmation(MethodView):
    @token_required
    @blp.response(201, schemas.WorkConfirmed)
    @blp.doc(security=BEARER)
    @refuses(403, 409)
    def post(self, slug: str, seq: int):
        """Confirm the hours of work entry SEQ (members, not the worker): a
        `work_confirm` entry in the journal. Refused (409) for your own
        hours, hours confirmed already and a month a distribution closed."""
        project = load_project(slug, members=True)
        work = services.confirm_work(db.session, project, require_api_user(), seq,
                                     now=clock.now())
        return _answer(project, work)

    @token_required
    @blp.response(200, schemas.WorkConfirmed)
    @blp.doc(security=BEARER)
    @refuses(403, 409)
    def delete(self, slug: str, seq: int):
        """Withdraw your confirmation of work entry SEQ: a `work_unconfirm`
        entry. Only the member who confirmed it, and only while the work's
        month is open (409 otherwise)."""
        project = load_project(slug, members=True)
        work = services.withdraw_confirmation(db.session, project, require_api_user(), seq,
                                              now=clock.now())
        return _answer(project, work)


def _answer(project: Project, work: WorkLog) -> dict:
    answer = {**exports.entry_of(_head_entry(project)), "work": exports.work_record(work)}
    db.session.commit()
    return answer
