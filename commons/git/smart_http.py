"""Smart HTTP for ``/projects/<slug>.git``: anonymous clone and fetch, push
for members with a token or password, and pushes to ``refs/for/<branch>``
(merge proposals) from anyone logged in. Every refusal is plain text or
``remote:`` lines, which git prints to the person pushing."""

import logging
import zlib
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    redirect,
    request,
    url_for,
)
from werkzeug.wsgi import get_input_stream

from commons import clock, jobs
from commons.accounts import services as accounts
from commons.accounts.attempts import TooManyAttempts, count_password_attempt
from commons.accounts.models import User
from commons.extensions import csrf, db
from commons.git import outside, reading, rules
from commons.git.pktline import (
    MalformedPacket,
    RefUpdate,
    parse_ref_updates,
    read_until_flush,
    redirect_update,
    refusal_report,
)
from commons.git.repositories import mover_env, repository_path
from commons.git.transport import (
    HOOKS_DIR,
    RequestBody,
    RequestTooLarge,
    hooks_ready,
    run_git,
    transfers,
)
from commons.governance import services as governance
from commons.problems import NotFound
from commons.projects import services as projects
from commons.projects.models import Membership, Project
from commons.urls import absolute_url

bp = Blueprint("git", __name__, url_prefix="/projects")
csrf.exempt(bp)  # HTTP Basic per request; no cookie is ever trusted here
log = logging.getLogger(__name__)

NO_CACHE = {"Expires": "Fri, 01 Jan 1980 00:00:00 GMT", "Pragma": "no-cache",
            "Cache-Control": "no-cache, max-age=0, must-revalidate"}
# A push creating more branches than this is a mirror, not a proposal: its
# URLs would drown the output (and the hook's environment).
MAX_PROPOSE_URLS = 20
BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="commons", charset="UTF-8"'}


def plain(status: int, message: str, headers: dict | None = None) -> Response:
    """An answer git shows as it is (git prints text/plain error bodies)."""
    return Response(message.rstrip("\n") + "\n", status, headers or {},
                    mimetype="text/plain")


@bp.before_request
def take_a_transfer_slot():
    """Every transfer holds one of this worker's slots from its request's
    first byte to its answer's last (transport.Transfers), so slow clones
    and pushes never take the threads kept for pages; past them, git is
    told to try again before anything is read."""
    if request.endpoint == "git.browse":
        return None
    if not transfers.take():
        return plain(503, "commons is serving as many clones and pushes as it can right now; "
                          "nothing was changed. Try again in a minute.", {"Retry-After": "60"})
    g.transfer_slot = True
    return None


@bp.after_request
def give_the_slot_back_at_the_end(response: Response) -> Response:
    if g.pop("transfer_slot", False):
        response.call_on_close(transfers.give_back)  # once the answer is sent or dropped
    return response


@bp.route("/<slug>.git")
@bp.route("/<slug>.git/")
def browse(slug: str):
    """A clone URL pasted into a browser leads to the project's page."""
    return redirect(url_for("projects.show", slug=slug))


@bp.route("/<slug>.git/info/refs")
def info_refs(slug: str):
    service = request.args.get("service", "")
    if service not in ("git-upload-pack", "git-receive-pack"):
        return plain(403, "commons speaks git's smart HTTP protocol only; use git 1.6.6 or newer.")
    project, path = _project(slug)
    if project is None:
        return path
    assert isinstance(path, Path)  # a project comes with its repository's path
    if service == "git-receive-pack":
        # Who pushes is known now, what they push only with the request:
        # non-members may push to refs/for/ (proposals from outside).
        pusher = _authenticate_pusher()
        if isinstance(pusher, Response):
            return pusher
    protocol = rules.git_protocol(request.headers.get("Git-Protocol"))
    name = service.removeprefix("git-")
    prefix = b""
    if not (protocol and "version=2" in protocol.split(":")):
        # Protocol v0/v1 starts with the service line; v2 starts with its
        # capability advertisement (as git http-backend does).
        line = f"# service={service}\n".encode()
        prefix = f"{len(line) + 4:04x}".encode() + line + b"0000"
    output = run_git(name, path, env=_git_env(protocol), advertise=True)
    return Response(_prepend(prefix, output), 200, NO_CACHE,
                    mimetype=f"application/x-{service}-advertisement")


@bp.post("/<slug>.git/git-upload-pack")
def upload_pack(slug: str):
    project, path = _project(slug)
    if project is None:
        return path
    assert isinstance(path, Path)  # a project comes with its repository's path
    # Wants and haves only: a fetch of any real repository sends far less,
    # and gzipped or not, git reads no more than this of it.
    body = _body("git-upload-pack", limit=current_app.config["GIT_MAX_UPLOAD_REQUEST_BYTES"])
    if isinstance(body, Response):
        return body
    protocol = rules.git_protocol(request.headers.get("Git-Protocol"))
    output = run_git("upload-pack", path, env=_git_env(protocol), body=body)
    first = _first_answer(output)
    if body.too_large:
        output.close()
        return _too_large(body.limit, "fetch request", "GIT_MAX_UPLOAD_REQUEST_BYTES",
                          "nothing was sent")
    return Response(_prepend(first, output), 200, NO_CACHE,
                    mimetype="application/x-git-upload-pack-result")


@bp.post("/<slug>.git/git-receive-pack")
def receive_pack(slug: str):
    project, path = _project(slug)
    if project is None:
        return path
    assert isinstance(path, Path)  # a project comes with its repository's path
    pusher = _authenticate_pusher()
    if isinstance(pusher, Response):
        return pusher
    # The pack's own size is git's to cap (receive.maxInputSize); this one
    # bounds what a gzipped body may inflate to before git sees it.
    body = _body("git-receive-pack", limit=current_app.config["GIT_MAX_INFLATED_BYTES"],
                 gzip_only=True)
    if isinstance(body, Response):
        return body
    too_large = _too_large(body.limit, "push", "GIT_MAX_INFLATED_BYTES", "nothing was changed")
    try:
        payloads, head = read_until_flush(body.read)
        updates, capabilities = parse_ref_updates(payloads)
    except RequestTooLarge:
        return too_large
    except (MalformedPacket, zlib.error, OSError) as error:
        return plain(400, f"commons could not read this push ({error}); nothing was changed.")

    if any(rules.is_proposal_push(update.ref) for update in updates):
        return _receive_proposal(project, path, pusher, body, payloads, updates, capabilities)
    if not project.is_member(pusher):
        reason, messages = _not_a_member(project, pusher)
        return _refuse(body, updates, capabilities, {u.ref: reason for u in updates}, messages)
    proposals_url = absolute_url("governance.index", slug=project.slug)
    branch_exists = reading.has_branch(path, project.default_branch)
    protected = {f"refs/heads/{branch}": rules.Protection(number, author, absolute_url(
        "governance.show", slug=project.slug, number=number))
        for branch, (number, author) in governance.proposed_branches(db.session, project).items()}
    refusals = rules.push_refusals(updates, default_branch=project.default_branch,
                                   push_mode=project.push_policy, proposals_url=proposals_url,
                                   default_branch_exists=branch_exists, protected=protected,
                                   pusher=pusher.username)
    if refusals:
        return _refuse(body, updates, capabilities, refusals, rules.refusal_messages(
            refusals, default_branch=project.default_branch, proposals_url=proposals_url,
            protected=protected))

    # git's reflog entries name the pusher (and a nonce that groups this
    # push's refs): the record, written by git before it reports success.
    env = {**_git_env(rules.git_protocol(request.headers.get("Git-Protocol"))),
           **mover_env(pusher.id, pusher.username),
           "COMMONS_DEFAULT_REF": f"refs/heads/{project.default_branch}",
           "COMMONS_PROPOSE_URLS": _propose_urls(project, updates)}
    project_id = project.id
    # Nothing below needs the database: a push lands and is reported
    # truthfully even if the database goes away while the pack streams.
    db.session.remove()  # type: ignore[attr-defined]  # the scoped session's own

    def record(returncode: int, stderr: bytes) -> None:
        if returncode != 0:
            log.info("push to %s refused or failed (%s): %s", slug, returncode,
                     stderr.decode("utf-8", "replace")[-2000:])
        reconcile_soon(project_id, slug)

    outcome: dict = {}
    output = run_git("receive-pack", path, env=env, body=_prepend(head, body),
                     on_exit=lambda code, stderr: outcome.update(code=code, stderr=stderr),
                     max_push_bytes=current_app.config["GIT_MAX_PUSH_BYTES"])
    first = _first_answer(output)
    if body.too_large:  # git has dropped the cut-off pack; nothing landed
        output.close()
        return too_large
    response = Response(_prepend(first, output), 200, NO_CACHE,
                        mimetype="application/x-git-receive-pack-result")
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's own

    @response.call_on_close
    def record_after_the_reply() -> None:
        # git has answered the person pushing; recording need not keep them.
        with app.app_context():
            record(outcome.get("code", -1), outcome.get("stderr", b""))

    return response


def reconcile_soon(project_id: int, slug: str) -> None:
    """Ask a worker to record what git's reflogs now show. If this is lost
    (the process dies first, the queue is down), the periodic and start-up
    reconciliation records the push all the same."""
    try:
        jobs.enqueue("git.reconcile", project_id=project_id)
    except Exception:
        log.exception("could not enqueue recording a push to %s; the periodic "
                      "reconciliation records it", slug)


def _propose_urls(project: Project, updates: list[RefUpdate]) -> str:
    """"ref url" lines for the branches this push creates (the default
    branch aside): the post-receive hook prints the URL of each that lands,
    where its merge is proposed. Built here, so the hook neither encodes
    branch names nor knows the site's address."""
    created = [update.ref for update in updates
               if update.is_create and update.ref.startswith("refs/heads/")
               and update.ref != f"refs/heads/{project.default_branch}"]
    return "\n".join(
        f"{ref} " + absolute_url("governance.new", slug=project.slug, kind="merge",
                                 branch=ref.removeprefix("refs/heads/"))
        for ref in created[:MAX_PROPOSE_URLS])


def _receive_proposal(project: Project, path: Path, pusher: User, body: RequestBody,
                      payloads: list[bytes], updates: list[RefUpdate],
                      capabilities: set[str]) -> Response:
    """A push to refs/for/<branch>[/<topic>]: from anyone logged in, it
    opens or revises their merge proposal (commons.git.outside)."""
    member = project.is_member(pusher)
    refused = outside.refusal(project, path, pusher, updates, member)
    if refused is not None:
        reason, messages = refused
        return _refuse(body, updates, capabilities, {u.ref: reason for u in updates}, messages)
    update = updates[0]
    target = outside.find_target(path, update.ref)
    assert target is not None  # refusal() found it
    push_cap = current_app.config["GIT_MAX_PUSH_BYTES"]
    outsider_cap = None if member else current_app.config["OUTSIDE_PUSH_MAX_BYTES"]
    if outsider_cap and (not push_cap or outsider_cap < push_cap):
        push_cap = outsider_cap
    push = outside.OutsidePush(project.id, pusher.id, path, update, target, capabilities,
                               outsider_cap)
    output = run_git("receive-pack", path,
                     env=_git_env(rules.git_protocol(request.headers.get("Git-Protocol"))),
                     body=_prepend(redirect_update(payloads, update.ref, push.incoming), body),
                     max_push_bytes=push_cap, writable_ref=push.incoming)
    first = _first_answer(output)
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's own
    if body.too_large:  # git has dropped the cut-off pack; nothing landed
        output.close()
        push.finish(app)  # forgets the incoming ref, if any
        return _too_large(body.limit, "push", "GIT_MAX_INFLATED_BYTES", "nothing was changed")
    response = Response(push.answer(app, _prepend(first, output)), 200, NO_CACHE,
                        mimetype="application/x-git-receive-pack-result")
    # A client gone before the end never reads the answer: the proposal is
    # made all the same, once its commits have landed.
    response.call_on_close(lambda: push.finish(app))
    return response


def _refuse(body: RequestBody, updates: list[RefUpdate], capabilities: set[str],
            refusals: dict[str, str], messages: list[str]) -> Response:
    """Refuse the whole push with *messages* as ``remote:`` lines, once the
    pack we will not use is read (so git hears the answer)."""
    try:
        for _ in body:
            pass
    except RequestTooLarge:
        return _too_large(body.limit, "push", "GIT_MAX_INFLATED_BYTES", "nothing was changed")
    except (zlib.error, OSError, ValueError) as error:
        return plain(400, f"commons could not read this push ({error}); nothing was changed.")
    report = refusal_report(updates, refusals, capabilities, messages)
    return Response(report, 200, NO_CACHE, mimetype="application/x-git-receive-pack-result")


def _project(slug: str) -> tuple[Project | None, Path | Response]:
    try:
        project = projects.get_project(db.session, slug)
    except NotFound as problem:
        return None, plain(404, problem.message)
    path = repository_path(current_app.config["REPOS_DIR"], project.slug)
    if not path.is_dir():
        return None, plain(404, f"The repository of {project.name} is missing on the server; "
                                "tell the site's administrators.")
    return project, path


def _authenticate_pusher() -> User | Response:
    """Who pushes (a token or password): the account, else the answer that
    says what to do. Membership is checked once the pushed refs are read."""
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.username or not auth.password:
        return plain(401, "Pushing needs your username and a personal access token "
                          "(create one in Settings) or your password.", BASIC_CHALLENGE)
    try:
        user = _credentials_owner(auth.username, auth.password)
    except TooManyAttempts as refusal:
        return plain(429, refusal.message + " A personal access token is not limited.",
                     {"Retry-After": str(refusal.retry_after)})
    if user is None:
        return plain(401, "That username and token or password do not match. Create a new "
                          "token in Settings if yours was revoked or has expired.", BASIC_CHALLENGE)
    if not hooks_ready():
        log.error("git hooks in %s are not executable; pushes are refused", HOOKS_DIR)
        return plain(503, "Pushing is switched off: the server's git hooks cannot run. "
                          "Tell the site's administrators; nothing was changed.")
    return user


def _not_a_member(project: Project, user: User) -> tuple[str, list[str]]:
    """Why someone who is not a member cannot push branches or tags, and
    what they can do instead: join, or propose from outside (where the
    project's policy accepts that)."""
    page = absolute_url("projects.show", slug=project.slug)
    membership = project.membership_of(user)
    if membership is not None and membership.status == Membership.PENDING:
        first = (f"Your request to join {project.name} is waiting for the members' consent; "
                 f"you can push branches once they admit you ({page}).")
    else:
        first = (f"{user.username} is not a member of {project.name}, so cannot push to it. "
                 f"Join it at {page} and push again.")
    reason = f"{user.username} is not a member of {project.name}"
    if project.outside == "refuse":  # its members alone may propose, too
        return reason, [first]
    return reason, [
        first, "Or propose your commits without joining; they open a merge proposal:",
        f"    git push origin HEAD:{rules.FOR_PREFIX}{project.default_branch}"]


def _credentials_owner(username: str, secret: str) -> User | None:
    # Only passwords count as attempts: a token is 256 random bits, and a
    # script pushing with one must not be slowed down.
    if secret.startswith("cmn_"):
        owner = accounts.user_for_token(db.session, secret, clock.now())
        if owner is not None and owner.username == accounts.normalise_username(username):
            db.session.commit()  # keep last_used_at
            return owner
        return None
    return accounts.authenticate(db.session, username, secret, count_password_attempt)


def _body(service: str, *, limit: int | None, gzip_only: bool = False) -> RequestBody | Response:
    expected = f"application/x-{service}-request"
    if request.mimetype != expected:
        return plain(415, f"Expected a {expected} body; push and fetch with git.")
    encoding = request.headers.get("Content-Encoding", "").lower()
    if encoding not in ("", "gzip", "identity"):
        return plain(415, f"Content-Encoding {encoding!r} is not supported; use gzip or none.")
    # Not request.stream: MAX_CONTENT_LENGTH bounds forms, not pushes, and a
    # chunked body (git's pushes over 1 MiB) is read as the server ends it.
    stream = get_input_stream(request.environ, safe_fallback=True, max_content_length=None)
    gzipped = encoding == "gzip"
    return RequestBody(stream, gzipped=gzipped, limit=limit if gzipped or not gzip_only else None)


def _first_answer(output) -> bytes:
    """git's first piece of output. git reads a request before it answers,
    so once this returns a body over its cap has been noticed, and the
    reply can still be a plain refusal instead of a broken stream."""
    first = next(output, b"")
    if not first:
        output.close()  # git has finished; run its exit handling now
    return first


def _too_large(limit: int | None, what: str, setting: str, outcome: str) -> Response:
    return plain(413, f"This {what} is larger than the server accepts: over {limit} bytes, "
                      f"counted unzipped (COMMONS_{setting}); {outcome}. Send less at a time, "
                      "or ask the site's administrators to raise the limit.")


def _git_env(protocol: str | None) -> dict[str, str]:
    return {"GIT_PROTOCOL": protocol} if protocol else {}


def _prepend(first: bytes, rest):
    if first:
        yield first
    yield from rest
