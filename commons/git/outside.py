"""Pushes to ``refs/for/<branch>[/<topic>]``: proposals from anyone logged
in, member or not (``commons.governance.outside`` opens or revises them).

git never creates ``refs/for/...``: the request's command is rewritten so
the pack lands under a private ``refs/commons/incoming/<random>`` ref (hidden
from clients); once git has finished, the proposal is opened or revised
under the project lock, the commits move to ``refs/proposals/<n>/head``,
the incoming ref goes, and the answer git gave is rewritten so the client
reads the fate of the ref it asked for, with the proposal's address as
``remote:`` lines. Until the proposal exists nothing is recorded."""

import logging
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app
from limits import parse

from commons import clock, jobs
from commons.accounts import attempts
from commons.accounts.models import User
from commons.extensions import db
from commons.git import merging, reading, rules, runner
from commons.git.pktline import (
    BAND_DATA,
    MalformedPacket,
    RefUpdate,
    iter_packets,
    parse_status_report,
    pkt_line,
    receive_pack_answer,
    status_report,
)
from commons.git.repositories import LOG_ALL_REF_UPDATES, mover_env
from commons.git.transport import INCOMING
from commons.governance import services as governance
from commons.problems import Problem
from commons.projects.models import Project
from commons.urls import absolute_url

log = logging.getLogger(__name__)
SIDE_BAND = {"side-band-64k", "side-band"}
# git's answer to a push is a few lines; more is not read into memory.
MAX_REPORT_BYTES = 64 * 1024
MAX_MESSAGE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Target:
    """Where a push to refs/for/ proposes to merge: an existing branch, and
    the topic that tells one proposal of the same person from another."""

    branch: str
    topic: str


def find_target(path: Path, ref: str) -> Target | None:
    """The existing branch (and topic) ``refs/for/<rest>`` names, longest
    branch name first; None when no reading names a branch."""
    for branch, topic in rules.proposal_targets(ref):
        if reading.has_branch(path, branch):
            return Target(branch, topic)
    return None


def refusal(project: Project, path: Path, user: User, updates: list[RefUpdate],
            member: bool) -> tuple[str, list[str]] | None:
    """Why this push to refs/for/ is refused before git sees it (the ng
    reason and the lines to show), or None: a project whose policy refuses
    outsiders hears only from its members. Counts an outsider's push
    against their rate limit."""
    example = f"git push origin HEAD:{rules.FOR_PREFIX}{project.default_branch}"
    if reason := rules.outside_push_refusal(updates, default_branch=project.default_branch):
        return reason, [f"commons refused this push: {reason}.", "Nothing was proposed."]
    if not member and project.outside == "refuse":
        page = absolute_url("projects.show", slug=project.slug)
        return f"{project.name} takes proposals only from its members", [
            f"commons refused this push: {project.name} takes proposals only from its members "
            f"(policy: outside = refuse). Join it at {page} and push again.",
            "Nothing was proposed."]
    ref = updates[0].ref
    if find_target(path, ref) is None:
        wanted = ref.removeprefix(rules.FOR_PREFIX)
        reason = f"{project.name} has no branch {wanted.split('/')[0]}"
        return reason, [
            f"commons refused this push: {ref}: {project.name} has no branch named "
            f"{wanted!r} or a prefix of it, so there is nothing to propose a merge into.",
            f"Push to {rules.FOR_PREFIX}<branch>[/<topic>] with an existing branch, e.g.",
            f"    {example}",
            "Nothing was proposed."]
    if not member and (wait := _over_rate_limit(user)) is not None:
        limit = current_app.config["OUTSIDE_PUSH_RATE_LIMIT"]
        reason = "too many proposals pushed in a short time"
        return reason, [
            f"commons refused this push: {user.username} has reached the limit of {limit} "
            f"pushes to {rules.FOR_PREFIX} of projects they are not a member of "
            f"(COMMONS_OUTSIDE_PUSH_RATE_LIMIT); wait {wait} seconds, then push again.",
            "Nothing was proposed."]
    return None


def _over_rate_limit(user: User) -> int | None:
    """Count one outside push by *user*; the seconds to wait if it is one
    too many. The password attempts' storage counts these too, so every
    worker sees the same count."""
    counter = current_app.extensions[attempts.EXTENSION]
    item = parse(current_app.config["OUTSIDE_PUSH_RATE_LIMIT"])
    if counter.limiter.hit(item, counter.prefix, "outside-push", str(user.id)):
        return None
    return attempts.seconds_to_wait(counter, item, "outside-push", str(user.id))


@dataclass
class OutsidePush:
    """One accepted push to refs/for/ on its way through git to a proposal."""

    project_id: int
    user_id: int
    path: Path
    update: RefUpdate
    target: Target
    capabilities: set[str]
    max_bytes: int | None  # the pack cap applied to this push, when it is an outsider's
    # Where git puts the commits: a name no one else can guess or push to.
    incoming: str = field(init=False, default_factory=lambda: f"{INCOMING}{secrets.token_hex(12)}")
    finished: bool = field(init=False, default=False)
    status: str | None = field(init=False, default="nothing was proposed")  # None: ok
    messages: list[str] = field(init=False, default_factory=list)
    git_said: bytearray = field(init=False, default_factory=bytearray)  # its band-2 text

    def answer(self, app: Flask, output: Iterable[bytes]) -> Iterator[bytes]:
        """git's answer as the client should read it: git's progress and
        messages as they come, then the outcome for the ref the client
        pushed, with the proposal's address (side-band clients only)."""
        sideband = bool(self.capabilities & SIDE_BAND)
        report = bytearray()
        try:
            for packet in iter_packets(output):
                if packet is None:
                    continue  # git's flushes: the answer's own comes last
                if not sideband:
                    if len(report) < MAX_REPORT_BYTES:
                        report += pkt_line(packet)
                elif packet[:1] == BAND_DATA:
                    if len(report) < MAX_REPORT_BYTES:
                        report += packet[1:]
                else:
                    if len(self.git_said) < MAX_MESSAGE_BYTES:
                        self.git_said += packet[1:]
                    yield pkt_line(packet)  # git's progress and messages
        except MalformedPacket as error:
            log.error("receive-pack answered a push to refs/for/ oddly: %s", error)
        finally:
            if close := getattr(output, "close", None):
                close()  # git has finished once this returns: its ref is there or not
        unpack, _ = parse_status_report(bytes(report))
        self.finish(app)
        yield receive_pack_answer(self.capabilities, self.messages,
                                  status_report(unpack or "ok", {self.update.ref: self.status}))

    def finish(self, app: Flask) -> None:
        """Turn what landed into a proposal, once (also when the client went
        away before git finished: the answer is then never read)."""
        if self.finished:
            return
        self.finished = True
        with app.app_context():
            try:
                self.status, self.messages = self._propose()
            except Exception:
                db.session.rollback()
                log.exception("a push to refs/for/ of project %s could not become a proposal",
                              self.project_id)
                self.status = "the server failed to record the proposal"
                self.messages = ["commons could not record this proposal: nothing was "
                                 "proposed. Push again; if it fails again, tell the site's "
                                 "administrators."]
            finally:
                runner.run(self.path, "update-ref", "-d", self.incoming, ok=(0, 1))

    def _propose(self) -> tuple[str | None, list[str]]:
        path, target, ref = self.path, self.target, self.update.ref
        landed = _resolve(path, self.incoming)
        if landed is None:  # git refused the objects; it said why above
            lines = ["commons: nothing was proposed: git did not take this push's objects "
                     "(its reason is above)."]
            if self.max_bytes and b"exceeds maximum allowed size" in self.git_said:
                lines.append(f"A push from someone who is not a member may bring at most "
                             f"{self.max_bytes} bytes (COMMONS_OUTSIDE_PUSH_MAX_BYTES). "
                             "Propose a smaller change, or join the project.")
            return "nothing was proposed", lines
        target_head = merging.branch_head(path, target.branch)
        if target_head is None:
            return f"the branch {target.branch} is gone", [
                f"commons: {ref}: the branch {target.branch} was deleted meanwhile; "
                "nothing was proposed."]
        if merging.is_ancestor(path, landed, target_head):
            return f"no commits beyond {target.branch}", [
                f"commons: {ref}: {landed[:10]} has no commits that {target.branch} lacks, "
                "so there is nothing to propose.",
                "Commit your change, then push again. Nothing was proposed."]
        message = runner.output(path, "log", "-1", "--format=%B", landed)[:30000]
        project = db.session.get_one(Project, self.project_id)
        user = db.session.get_one(User, self.user_id)
        settings = governance.Settings.from_config(current_app.config)
        now = clock.now()
        try:
            proposed = governance.propose_from_outside(
                db.session, project, user, target.branch, target.topic, landed, message,
                settings, now)
        except Problem as problem:
            db.session.rollback()
            return "nothing was proposed", [f"commons: {ref}: {problem.message}",
                                            "Nothing was proposed."]
        proposal = proposed.proposal
        kept = governance.proposal_ref(proposal.number)
        moved = _resolve(path, kept) != landed
        if moved:
            # Its reflog entry names the pusher: the reconciler records the push.
            runner.run(path, *LOG_ALL_REF_UPDATES, "update-ref", "-m", "commons: proposal",
                       kept, landed, env=mover_env(user.id, user.username))
        number, revision, url = proposal.number, proposal.revision, \
            settings.proposal_url(project, proposal)
        db.session.commit()  # the project lock goes with it
        if moved:
            try:
                jobs.enqueue("git.reconcile", project_id=self.project_id)
            except Exception:
                log.exception("could not enqueue recording the push behind proposal #%s of "
                              "project %s; the periodic reconciliation records it", number,
                              self.project_id)
        what = ("is open" if proposed.opened else
                f"is revised (revision {revision})" if proposed.revised else
                "pins this commit already")
        return None, ["", f"Merge proposal #{number} into {target.branch} {what}:",
                      f"    {url}", ""]


def _resolve(path: Path, ref: str) -> str | None:
    """The commit *ref* holds, or None."""
    result = runner.run(path, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}",
                        ok=(0, 1))
    return result.stdout.decode().strip() or None
