"""Governance use cases: open a proposal, take a stance, revise, withdraw,
escalate, and decide what is due, carrying out what passed exactly once.
Session first; these flush, and ``decide_due`` commits one proposal at a
time (each decision is its own transaction)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from commons import urls
from commons.accounts.models import Email, User
from commons.contributions import identities
from commons.contributions import rules as contribution_rules
from commons.git import merging
from commons.git.repositories import Identity, repository_path
from commons.governance import rules
from commons.governance.models import (
    AffectedParty,
    Comment,
    Proposal,
    Stance,
    TimelineEvent,
)
from commons.ledger import rules as ledger_rules
from commons.ledger import services as ledger
from commons.ledger.models import Input, LedgerEntry
from commons.money import parse_amount
from commons.problems import Conflict, Forbidden, Invalid, NotFound
from commons.projects import licences
from commons.projects import rules as project_rules
from commons.projects.models import Membership, Project
from commons.projects.rules import Policy, Threshold
from commons.text import TextError, clean_text


@dataclass(frozen=True)
class Settings:
    repos_dir: Path
    min_review_window: int
    base_url: str  # for links written into commits ("Decided-by: <url>")

    @classmethod
    def from_config(cls, config) -> "Settings":
        """The address written into commits is the configured BASE_URL (the
        `make run` address when unset), never a request's Host header, which
        anyone can set and a merge commit keeps for ever."""
        return cls(Path(config["REPOS_DIR"]), int(config["MIN_REVIEW_WINDOW"]),
                   urls.base_url(config))

    def proposal_url(self, project: Project, proposal: Proposal) -> str:
        return f"{self.base_url}/projects/{project.slug}/proposals/{proposal.number}"


# ---------------------------------------------------------------- reading

def get_proposal(session: Session, project: Project, number: int) -> Proposal:
    proposal = session.scalar(
        sa.select(Proposal).where(Proposal.project_id == project.id, Proposal.number == number)
        .options(selectinload(Proposal.stances).selectinload(Stance.user),
                 selectinload(Proposal.affected), selectinload(Proposal.events),
                 selectinload(Proposal.comments)))
    if proposal is None:
        raise NotFound(f"{project.name} has no proposal #{number}.")
    return proposal


def list_proposals(session: Session, project: Project, status: str | None = None,
                   limit: int = 100) -> list[Proposal]:
    statement = sa.select(Proposal).where(Proposal.project_id == project.id)
    if status:
        statement = statement.where(Proposal.status == status)
    return list(session.scalars(statement.order_by(Proposal.number.desc()).limit(limit)))


def standing(session: Session, proposal: Proposal) -> set[int]:
    """Who may take a stance: the project's members and the parties the
    proposal affects, member or not."""
    return set(_state(proposal, _members(session, proposal.project_id)).standing)


def standing_and_tally(session: Session, proposal: Proposal) -> tuple[set[int], rules.Tally]:
    """Who has standing and how the current stances count, in one query."""
    state = _state(proposal, _members(session, proposal.project_id))
    return set(state.standing), rules.tally(state, _stance_values(proposal))


def current_tally(session: Session, proposal: Proposal) -> rules.Tally:
    return rules.tally(_state(proposal, _members(session, proposal.project_id)),
                       _stance_values(proposal))


# ---------------------------------------------------------------- opening

def open_proposal(session: Session, project: Project, author: User, kind: str, title: str,
                  body: str, details: dict, settings: Settings,
                  now: datetime) -> Proposal:
    """Open a proposal of *kind*; its window closes after the project's
    review window. Members open proposals; anyone may ask to be admitted."""
    if kind not in rules.KINDS:
        raise Invalid(f"A proposal is one of: {', '.join(rules.KINDS)}.", field="kind")
    details = dict(details or {})
    if kind == "membership":
        asked_for = str(details.get("username") or author.username).strip().lower()
        if asked_for != author.username:
            raise Forbidden("A membership proposal is asked for by the person who wants to "
                            "join (with the Join button); no one is admitted without asking.")
    elif not project.is_member(author):
        raise Forbidden(f"Only members of {project.name} open proposals. Join it first.")
    try:
        title = clean_text(title, label="Title", max_length=200)
        body = clean_text(body, label="Body", max_length=20000, required=False, multiline=True)
    except TextError as error:
        raise Invalid(str(error), field="title" if "Title" in str(error) else "body") from None
    path = repository_path(settings.repos_dir, project.slug)
    affected: list[AffectedParty] = []
    complete = True
    if kind == "membership":
        details = _membership_details(session, project, details, author)
    elif kind == "merge":
        details, affected, complete = _merge_details(session, project, path, details, author)
    elif kind == "license":
        details, affected = _license_details(session, project, path, details)
    elif kind == "policy":
        details = _policy_details(project, details, settings)
    elif kind == "input":
        details, affected = _input_details(session, project, details)
    else:
        details = {}
    _lock(session, project.id)
    if kind == "merge":  # under the lock: two at once cannot both pass the check
        _refuse_second_merge(session, project, details["branch"], settings)
    number = (session.scalar(sa.select(sa.func.max(Proposal.number))
                             .where(Proposal.project_id == project.id)) or 0) + 1
    proposal = Proposal(project_id=project.id, number=number, kind=kind, title=title, body=body,
                        author=author, details=details, opened_at=now, revision=1,
                        closes_at=rules.new_window(now, project.review_window,
                                                   settings.min_review_window),
                        affected=affected, affected_complete=complete)
    proposal.events.append(TimelineEvent(at=now, actor_id=author.id,
                                         text=f"{author.username} opened this {kind} proposal."))
    session.add(proposal)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict("Another proposal was opened at the same moment; send it again.") from None
    return proposal


def request_membership(session: Session, project: Project, user: User, settings: Settings,
                       now: datetime) -> Proposal:
    """The membership proposal a join request under consent admission opens."""
    return open_proposal(session, project, user, "membership", f"Admit {user.username}",
                         f"{user.username} asks to join {project.name}.",
                         {"username": user.username}, settings, now)


def _membership_details(session: Session, project: Project, details: dict, author: User) -> dict:
    if project.admission == "open":
        raise Invalid(f"{project.name} admits whoever joins; use the Join button instead.",
                      field="username")
    username = str(details.get("username") or author.username).strip().lower()
    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise Invalid(f"There is no account “{username}”.", field="username")
    if project.is_member(user):
        raise Conflict(f"{username} is already a member of {project.name}.", field="username")
    open_already = session.scalar(sa.select(Proposal.number).where(
        Proposal.project_id == project.id, Proposal.kind == "membership",
        Proposal.status.in_([rules.OPEN, rules.BLOCKED]),
        Proposal.details["username"].as_string() == username))
    if open_already:
        raise Conflict(f"Proposal #{open_already} already asks to admit {username}.")
    return {"username": username}


def _merge_details(session: Session, project: Project, path: Path, details: dict,
                   author: User | None) -> tuple[dict, list[AffectedParty], bool]:
    branch = str(details.get("branch") or "").strip().removeprefix("refs/heads/")
    if not branch:
        raise Invalid("Name the branch to merge.", field="branch")
    if branch == project.default_branch:
        raise Invalid(f"{branch} is the default branch; propose merging another branch into it.",
                      field="branch")
    head = merging.branch_head(path, branch)
    if head is None:
        raise Invalid(f"There is no branch “{branch}”. Push it first: "
                      f"git push origin HEAD:refs/heads/{branch}", field="branch")
    target = merging.branch_head(path, project.default_branch)
    if target and merging.is_ancestor(path, head, target):
        raise Invalid(f"{branch} is already merged into {project.default_branch}; "
                      "there is nothing to propose.", field="branch")
    affected, complete = [], True
    base = merging.merge_base(path, target, head) if target else None
    if base:
        authorship = merging.authors_of_changed_lines(path, base, head)
        complete = authorship.complete
        names, lines = _mapped(session, project, path, authorship)
        affected = _parties(session, names, lines,
                            "wrote {n} of the lines this merge changes", exclude=author)
    details = {"branch": branch, "head": head}
    if moves := identities.proposed_moves(project, path, head):
        # Passing it is how the people a .mailmap line moves agree to it,
        # so they are parties, and the proposal keeps what they agreed to.
        affected += _moved_parties(session, moves, affected, author)
        details["mailmap"] = [list(move) for move in moves]
    return details, affected, complete


def _moved_parties(session: Session, moves: list[tuple[str, str]],
                   already: list[AffectedParty], author: User | None) -> list[AffectedParty]:
    """Whoever a proposed .mailmap line would take commits from (an account
    or a bare commit address), unless already a party or the author."""
    owners = identities.owners_of(session, {source for source, _target in moves})
    users = {user.id: user for user in session.scalars(
        sa.select(User).where(User.id.in_(set(owners.values()))))} if owners else {}
    seen_users = {party.user_id for party in already} - {None}
    seen_emails = {party.email for party in already}
    parties = []
    for source, target in moves:
        owner = users.get(owners.get(source, -1))
        if source in seen_emails or (owner is not None and (
                (author is not None and owner.id == author.id) or owner.id in seen_users)):
            continue
        seen_emails.add(source)
        if owner is not None:
            seen_users.add(owner.id)
        parties.append(AffectedParty(
            user_id=owner.id if owner else None,
            name=owner.username if owner else contribution_rules.mask_email(source),
            email=source[:255], weight=0,
            reason=f"its .mailmap credits their commits to "
                   f"{contribution_rules.mask_email(target)}"[:255]))
    return parties


def _refuse_second_merge(session: Session, project: Project, branch: str,
                         settings: Settings) -> None:
    """One undecided merge proposal per branch: two would split the
    stances, and each would pass on its own and merge the branch twice. A
    blocked one still holds the branch until it is revised, escalated or
    withdrawn."""
    existing = session.scalar(sa.select(Proposal).where(
        Proposal.project_id == project.id, Proposal.kind == "merge",
        Proposal.status.in_([rules.OPEN, rules.BLOCKED]),
        Proposal.details["branch"].as_string() == branch).order_by(Proposal.number).limit(1))
    if existing is None:
        return
    what_now = ("revise it, escalate it to a vote or withdraw it there"
                if existing.status == rules.BLOCKED
                else "take your stance or revise it there")
    raise Conflict(f"Proposal #{existing.number} already proposes merging {branch} "
                   f"({existing.status}): {settings.proposal_url(project, existing)}. "
                   f"{what_now[0].upper()}{what_now[1:]}; withdraw it first to propose the "
                   "branch anew.", field="branch", proposal=existing.number)


def _license_details(session: Session, project: Project, path: Path, details: dict
                     ) -> tuple[dict, list[AffectedParty]]:
    identifier = str(details.get("license") or "").strip()
    if problem := licences.licence_problem(identifier):
        raise Invalid(problem, field="license")
    licence = licences.find_licence(identifier)
    assert licence is not None  # licence_problem() said it is known
    if licence.id == project.license:
        raise Invalid(f"{project.name} is already under {licence.id}.", field="license")
    # Everyone whose work is in the default branch, co-authors included.
    authorship = merging.commit_authors(path, project.default_branch)
    names, commits = _mapped(session, project, path, authorship)
    affected = _parties(session, names, commits, "has {n} commits in the repository")
    return {"license": licence.id}, affected


def _input_details(session: Session, project: Project, details: dict
                   ) -> tuple[dict, list[AffectedParty]]:
    try:
        number = int(str(details.get("input", "")).lstrip("#"))
    except ValueError:
        raise Invalid("Name the input to approve by its number.", field="input") from None
    if not 0 < number <= ledger.MAX_NUMBER:
        raise Invalid(f"{project.name} has no input #{number}.", field="input")
    need = ledger.get_input(session, project, number)
    if need.closed:
        raise Invalid(f"Input #{number} is closed.", field="input")
    if need.approved:
        raise Invalid(f"Input #{number} is approved already.", field="input")
    open_already = open_input_proposal(session, project, number)
    if open_already is not None:
        raise Conflict(f"Proposal #{open_already.number} already asks to approve input "
                       f"#{number}.", field="input")
    return {"input": number}, _input_parties(session, need)


def open_input_proposal(session: Session, project: Project, number: int) -> Proposal | None:
    return session.scalar(sa.select(Proposal).where(
        Proposal.project_id == project.id, Proposal.kind == "input",
        Proposal.status.in_([rules.OPEN, rules.BLOCKED]),
        Proposal.details["input"].as_integer() == number))


def _input_parties(session: Session, need: Input) -> list[AffectedParty]:
    """Its pledgers and providers: they give what the decision spends."""
    parties: dict[int, AffectedParty] = {}
    for pledge in need.pledges:
        if pledge.pledger is not None and not pledge.withdrawn:
            parties[pledge.pledger.id] = _party(pledge.pledger, "pledged this input")
    providers = {ledger.entry_data(entry).get("provider_user")
                 for entry in session.scalars(sa.select(LedgerEntry).where(
                     LedgerEntry.project_id == need.project_id,
                     LedgerEntry.input_number == need.number, LedgerEntry.action == "receipt"))}
    for user in session.scalars(sa.select(User).where(User.username.in_(providers - {None}))):
        parties.setdefault(user.id, _party(user, "provided this input"))
    return list(parties.values())


def _party(user: User, reason: str) -> AffectedParty:
    return AffectedParty(user_id=user.id, name=user.username,
                         email=(user.primary_email or f"{user.username}@users.commons.invalid"),
                         reason=reason, weight=1)


def propose_input(session: Session, project: Project, need: Input, author: User,
                  settings: Settings, now: datetime) -> Proposal | None:
    """The `input` proposal a pending input asks for (none if one is open)."""
    if open_input_proposal(session, project, need.number) is not None:
        return None
    return open_proposal(session, project, author, "input", _input_title(need),
                         _input_body(project, need), {"input": need.number}, settings, now)


def _input_title(need: Input) -> str:
    return f"Approve input: {need.title}"[:200]


def _input_body(project: Project, need: Input) -> str:
    unit_cost = (f" at {ledger_rules.shown(need.unit_cost, need.currency)} {need.currency} "
                 "each" if need.unit_cost is not None and need.currency else "")
    return (f"Approve input #{need.number}: {ledger_rules.shown(need.needed, need.unit)} "
            f"{need.unit} of {need.title}{unit_cost}. Its estimated cost is above the "
            f"project's approval threshold ({project.approval_amount} "
            f"{project.approval_currency}) or priced in another currency, so the project "
            "decides.")


def input_changed(session: Session, project: Project, need: Input, actor: User,
                  settings: Settings, now: datetime) -> None:
    """A need's amount was corrected. Consent is given to content: its open
    proposal is revised (the window restarts, stances go stale), withdrawn if
    the need no longer waits for approval; a need that now waits gets one."""
    proposal = open_input_proposal(session, project, need.number)
    if proposal is None:
        if not need.approved and not need.closed:
            propose_input(session, project, need, actor, settings, now)
        return
    if need.approved:
        _withdraw_for(session, proposal, f"Input #{need.number} was corrected below the "
                      "approval threshold, so it is approved without a decision.", now)
        return
    revise(session, proposal, project, None, settings,
           f"input #{need.number} was corrected", now,
           title=_input_title(need), body=_input_body(project, need))


def refresh_input_parties(session: Session, project: Project, need: Input) -> None:
    """Whoever pledged (and has not withdrawn) or provided an input has
    standing on the open proposal to approve it; nobody else by that right."""
    proposal = open_input_proposal(session, project, need.number)
    if proposal is None:
        return
    wanted = {party.user_id: party for party in _input_parties(session, need)
              if party.user_id != proposal.author_id}
    for party in list(proposal.affected):
        if party.user_id not in wanted:
            proposal.affected.remove(party)
    session.flush()  # old parties out before new ones in (unique per email)
    present = {party.user_id for party in proposal.affected}
    for user_id, party in wanted.items():
        if user_id not in present:
            proposal.affected.append(party)
    session.flush()


def withdraw_input_proposal(session: Session, project: Project, need: Input,
                            now: datetime) -> None:
    """A closed input needs no approval: its open proposal is withdrawn."""
    proposal = open_input_proposal(session, project, need.number)
    if proposal is not None:
        _withdraw_for(session, proposal, f"Input #{need.number} was closed, so there is "
                      "nothing left to approve.", now)


def _policy_details(project: Project, details: dict, settings: Settings) -> dict:
    changes = {k: v for k, v in details.items() if v not in (None, "")}
    allowed = {"admission", "push", "review_window", "approval_threshold"}
    if not changes or set(changes) - allowed:
        raise Invalid("A policy proposal changes admission, push, review_window or "
                      "approval_threshold.", field="policy")
    threshold = project.policy.approval_threshold
    if "approval_threshold" in changes:
        raw = changes["approval_threshold"] or {}
        amount = parse_amount(raw.get("amount")) if isinstance(raw, dict) else None
        if amount is None:
            raise Invalid('approval_threshold is {"amount": "250.00", "currency": "EUR"}.',
                          field="approval_threshold")
        threshold = Threshold(amount, str(raw.get("currency", "")).upper())
    try:
        window = int(changes.get("review_window", project.review_window))
    except (TypeError, ValueError):
        raise Invalid("review_window is a number of seconds.", field="review_window") from None
    policy = Policy(admission=changes.get("admission", project.admission),
                    push=changes.get("push", project.push_policy),
                    review_window=window, approval_threshold=threshold)
    problems = project_rules.policy_problems(policy, min_review_window=settings.min_review_window)
    if problems:
        field, message = next(iter(problems.items()))
        raise Invalid(message, field=field, problems=problems)
    result = {"admission": policy.admission, "push": policy.push,
              "review_window": policy.review_window,
              "approval_threshold": {"amount": str(threshold.amount),
                                     "currency": threshold.currency}}
    return {k: v for k, v in result.items() if k in changes}


def _mapped(session: Session, project: Project, path: Path, authorship: merging.Authorship
            ) -> tuple[dict[str, str], dict[str, int]]:
    """Authorship by person as the contributor records see them: the
    .mailmap lines the platform trusts applied, no others (a line pushed
    without review must not take anyone's standing away)."""
    mailmap = identities.trusted_mailmap(session, project, path)
    names: dict[str, str] = {}
    weights: dict[str, int] = defaultdict(int)
    for email, name in authorship.names.items():
        name, email_as = mailmap.resolve(name, email)
        names.setdefault(email_as, name)
        weights[email_as] += authorship.lines.get(email, 0)
    return names, dict(weights)


def _parties(session: Session, names: dict[str, str], weights: dict[str, int], reason: str,
             exclude: User | None = None) -> list[AffectedParty]:
    accounts = dict(session.execute(sa.select(Email.address, Email.user_id).where(
        Email.address.in_(list(names)))).all()) if names else {}
    parties = []
    for email, name in names.items():
        user_id = accounts.get(email)
        if exclude is not None and user_id == exclude.id:
            continue
        parties.append(AffectedParty(user_id=user_id, name=name[:255], email=email[:255],
                                     weight=weights.get(email, 0),
                                     reason=reason.format(n=weights.get(email, 0))[:255]))
    return parties


# ---------------------------------------------------------------- guards

def _hold(session: Session, proposal: Proposal, statuses: tuple[str, ...], *,
          open_window_at: datetime | None = None, revision: int | None = None) -> None:
    """Take the proposal's row for this transaction if it is still in one of
    *statuses* at the revision read (and, given *open_window_at*, its window
    is still open then); else Conflict. Deciding claims the row the same way,
    so a change and a decision never cross: whichever comes second sees the
    other's result."""
    if revision is not None and revision != proposal.revision:
        raise Conflict(f"Proposal #{proposal.number} was revised since you read it (it is at "
                       f"revision {proposal.revision}); read it again, then take your stance.")
    condition = [Proposal.id == proposal.id, Proposal.status.in_(statuses),
                 Proposal.revision == proposal.revision]
    if open_window_at is not None:
        condition.append(Proposal.closes_at > open_window_at)
    # An UPDATE's result is a CursorResult, which the Session's types do not say.
    held = cast(CursorResult[Any], session.execute(
        sa.update(Proposal).where(*condition).values(revision=Proposal.revision)
        .execution_options(synchronize_session=False))).rowcount
    if held != 1:
        # No rollback here: a caller that carries on (a push revising what it
        # can, a closed input withdrawing its proposal) keeps its own work;
        # one that fails hands the Conflict to the view, which rolls back.
        raise Conflict(f"Proposal #{proposal.number} changed meanwhile (it may have been "
                       "decided, revised or withdrawn, or its window has closed). Read it again.")


# ---------------------------------------------------------------- stances

def take_stance(session: Session, proposal: Proposal, user: User, stance: str, reason: str,
                now: datetime, revision: int | None = None) -> Stance:
    """Take or change *user*'s stance on the current revision (*revision*, if
    given, is the one they read: consent is given to content). Stances are
    taken while the window is open; after it closes the proposal is decided."""
    if proposal.status != rules.OPEN or now >= proposal.closes_at:
        state = proposal.status if proposal.status != rules.OPEN else "past its window"
        raise Conflict(f"Proposal #{proposal.number} is {state}; "
                       "stances are taken while it is open.")
    try:
        reason = clean_text(reason, label="Reason", max_length=5000, required=False,
                            multiline=True)
    except TextError as error:
        raise Invalid(str(error), field="reason") from None
    if problem := rules.stance_problem(stance, reason):
        raise Invalid(problem, field="reason" if stance == "object" else "stance")
    if user.id not in standing(session, proposal):
        raise Forbidden("Stances count from the project's members and the people this "
                        "proposal affects. Leave a comment instead, or join the project.")
    _hold(session, proposal, (rules.OPEN,), open_window_at=now, revision=revision)
    # Read again under the hold: a stance sent twice at once updates one row.
    current = session.scalar(sa.select(Stance).where(Stance.proposal_id == proposal.id,
                                                     Stance.user_id == user.id))
    if current is None:
        current = Stance(proposal=proposal, user=user)
        session.add(current)
    current.stance, current.reason, current.revision, current.taken_at = \
        stance, reason, proposal.revision, now
    verb = rules.STANCE_WORDS[stance].verb
    proposal.events.append(TimelineEvent(at=now, actor_id=user.id, text=(
        f"{user.username} {verb}" + (f": {reason}" if reason else "."))))
    session.flush()
    return current


def withdraw_stance(session: Session, proposal: Proposal, user: User,
                    now: datetime) -> None:
    """Withdraw *user*'s own stance (so only its author withdraws an
    objection), while the window is open."""
    if proposal.status != rules.OPEN or now >= proposal.closes_at:
        raise Conflict(f"Proposal #{proposal.number} is no longer open for stances.")
    current = next((s for s in proposal.stances if s.user_id == user.id), None)
    if current is None:
        raise NotFound("You have taken no stance on this proposal.")
    _hold(session, proposal, (rules.OPEN,), open_window_at=now)
    proposal.stances.remove(current)
    proposal.events.append(TimelineEvent(at=now, actor_id=user.id,
                                         text=f"{user.username} withdrew their "
                                              f"{rules.STANCE_WORDS[current.stance].noun}."))
    session.flush()


def add_comment(session: Session, proposal: Proposal, user: User, body: str,
                now: datetime) -> Comment:
    """A non-binding comment from anyone logged in."""
    try:
        body = clean_text(body, label="Comment", max_length=10000, multiline=True)
    except TextError as error:
        raise Invalid(str(error), field="body") from None
    comment = Comment(user=user, body=body, created_at=now)
    proposal.comments.append(comment)
    session.flush()
    return comment


# ---------------------------------------------------------------- changing

def revise(session: Session, proposal: Proposal, project: Project, actor: User | None,
           settings: Settings, why: str, now: datetime,
           title: str | None = None, body: str | None = None) -> Proposal:
    """A new revision: the window restarts and earlier stances go stale."""
    if proposal.status not in (rules.OPEN, rules.BLOCKED):
        raise Conflict(f"Proposal #{proposal.number} is {proposal.status}; it cannot be revised.")
    if actor is not None and proposal.author_id != actor.id:
        raise Forbidden("Only the proposal's author revises it.")
    _hold(session, proposal, (rules.OPEN, rules.BLOCKED))
    if title is not None or body is not None:
        try:
            proposal.title = clean_text(title if title is not None else proposal.title,
                                        label="Title", max_length=200)
            proposal.body = clean_text(body if body is not None else proposal.body,
                                       label="Body", max_length=20000, required=False,
                                       multiline=True)
        except TextError as error:
            raise Invalid(str(error)) from None
    proposal.revision += 1
    proposal.status = rules.OPEN
    proposal.voting = rules.CONSENSUS
    proposal.closes_at = rules.new_window(now, project.review_window, settings.min_review_window)
    proposal.events.append(TimelineEvent(
        at=now, actor_id=actor.id if actor else None,
        text=f"Revised ({why}); the window restarts and earlier stances are stale."))
    session.flush()
    return proposal


def escalate(session: Session, proposal: Proposal, project: Project, actor: User,
             settings: Settings, now: datetime) -> Proposal:
    """Put a blocked proposal to a majority vote in a fresh window."""
    if proposal.status != rules.BLOCKED:
        raise Conflict("Only a blocked proposal can be put to a vote.")
    if not project.is_member(actor):
        raise Forbidden("Members put a blocked proposal to a vote.")
    _hold(session, proposal, (rules.BLOCKED,))
    proposal.revision += 1
    proposal.status, proposal.voting = rules.OPEN, rules.MAJORITY
    proposal.closes_at = rules.new_window(now, project.review_window, settings.min_review_window)
    proposal.events.append(TimelineEvent(at=now, actor_id=actor.id, text=(
        f"{actor.username} put it to a majority vote: it passes with more supports than "
        "objections and at least min(3, members) supports. State your stance again.")))
    session.flush()
    return proposal


def withdraw_proposal(session: Session, proposal: Proposal, actor: User,
                      now: datetime) -> Proposal:
    if proposal.author_id != actor.id:
        raise Forbidden("Only the proposal's author withdraws it.")
    if proposal.status not in (rules.OPEN, rules.BLOCKED):
        raise Conflict(f"Proposal #{proposal.number} is {proposal.status} already.")
    _hold(session, proposal, (rules.OPEN, rules.BLOCKED))
    proposal.status, proposal.decided_at = rules.WITHDRAWN, now
    if proposal.kind == "membership":
        # The request it decided is withdrawn with it, so one can ask again.
        candidate = session.scalar(sa.select(User).where(
            User.username == proposal.details.get("username")))
        membership = session.scalar(sa.select(Membership).where(
            Membership.project_id == proposal.project_id,
            Membership.user_id == (candidate.id if candidate else -1),
            Membership.status == Membership.PENDING))
        if membership is not None:
            membership.status, membership.left_at = Membership.LEFT, proposal.decided_at
    proposal.events.append(TimelineEvent(at=proposal.decided_at, actor_id=actor.id,
                                         text=f"{actor.username} withdrew the proposal."))
    session.flush()
    return proposal


def revise_merges_for_push(session: Session, project: Project, moved: dict[str, str],
                           settings: Settings, now: datetime) -> list[Proposal]:
    """Merge proposals whose branch a push moved pin the new head and start
    again (consent is tied to content)."""
    revised = []
    for proposal in session.scalars(sa.select(Proposal).where(
            Proposal.project_id == project.id, Proposal.kind == "merge",
            Proposal.status.in_([rules.OPEN, rules.BLOCKED]))):
        branch = proposal.details.get("branch")
        new = moved.get(f"refs/heads/{branch}")
        if not new or new == proposal.details.get("head"):
            continue
        if set(new) == {"0"}:
            _withdraw_for(session, proposal, f"The branch {branch} was deleted, so the "
                          "proposal is withdrawn.", now)
            continue
        try:
            revise(session, proposal, project, None, settings,
                   f"{branch} moved to {new[:10]}", now)
        except Conflict:
            continue  # decided meanwhile: the decision stands, with what it pinned
        path = repository_path(settings.repos_dir, project.slug)
        try:
            details, affected, complete = _merge_details(
                session, project, path, {"branch": branch}, proposal.author)
        except Invalid:
            details, affected, complete = {"branch": branch, "head": new}, [], False
        proposal.details = {**details, "head": new}
        proposal.affected.clear()
        session.flush()  # old parties out before new ones in (unique per email)
        proposal.affected = affected
        proposal.affected_complete = complete
        session.flush()
        revised.append(proposal)
    return revised


def withdraw_membership_requests(session: Session, project: Project, user: User,
                                 now: datetime) -> None:
    """Someone who withdraws their request to join withdraws the proposal
    that would admit them."""
    for proposal in session.scalars(sa.select(Proposal).where(
            Proposal.project_id == project.id, Proposal.kind == "membership",
            Proposal.status.in_([rules.OPEN, rules.BLOCKED]))):
        if proposal.details.get("username") == user.username:
            _withdraw_for(session, proposal, f"{user.username} withdrew the request to join.",
                          now)


def _withdraw_for(session: Session, proposal: Proposal, why: str, now: datetime) -> None:
    try:
        _hold(session, proposal, (rules.OPEN, rules.BLOCKED))
    except Conflict:
        return  # decided meanwhile
    proposal.status, proposal.decided_at = rules.WITHDRAWN, now
    proposal.events.append(TimelineEvent(at=proposal.decided_at, text=why))
    session.flush()


# ---------------------------------------------------------------- deciding

def due(session: Session, now: datetime, project_id: int | None = None) -> list[int]:
    """Ids of open proposals whose window has closed (one indexed query)."""
    statement = sa.select(Proposal.id).where(Proposal.status == rules.OPEN,
                                             Proposal.closes_at <= now)
    if project_id is not None:
        statement = statement.where(Proposal.project_id == project_id)
    return list(session.scalars(statement.order_by(Proposal.closes_at)))


@dataclass(frozen=True)
class Decision:
    """What deciding did to one proposal."""

    proposal_id: int
    project_id: int
    number: int
    kind: str
    status: str
    voting: str
    outcome: str


def decide_due(session: Session, settings: Settings, now: datetime,
               project_id: int | None = None, batch: int = 500) -> list[Decision]:
    """Decide every due proposal and carry out what passed. Commits.

    Each proposal is claimed with a conditional update (still open, same
    revision) before anything is carried out, so two ticks, two requests, or
    a tick and a request apply it once. Decisions with nothing to carry out
    (blocked ones, passed free-text decisions) are claimed a batch at a time;
    the others one by one, each committed right after its effect."""
    decided: list[Decision] = []
    members: dict[int, set[int]] = {}
    ids = due(session, now, project_id)
    for start in range(0, len(ids), batch):
        chunk = session.scalars(
            sa.select(Proposal).where(Proposal.id.in_(ids[start:start + batch]))
            .options(selectinload(Proposal.stances), selectinload(Proposal.affected))
            .order_by(Proposal.closes_at, Proposal.id)).all()
        quiet: list[tuple[Proposal, str, rules.Tally]] = []
        for proposal in chunk:
            if proposal.status != rules.OPEN:
                continue
            if proposal.project_id not in members:
                members[proposal.project_id] = _members(session, proposal.project_id)
            state = _state(proposal, members[proposal.project_id])
            outcome = rules.decide(state, _stance_values(proposal), now)
            if outcome is None:
                continue
            count = rules.tally(state, _stance_values(proposal))
            if outcome == rules.BLOCKED or proposal.kind == "decision":
                quiet.append((proposal, outcome, count))
            elif decision := _decide_one(session, proposal, count, settings, now):
                decided.append(decision)
        decided += _settle(session, quiet, now)
        session.commit()
    return decided


def _claim(session: Session, pairs: list[tuple[int, int]], status: str, outcome: str,
           now: datetime) -> set[int]:
    """Move still-open proposals (id, revision) to *status*; the ids moved."""
    if not pairs:
        return set()
    result = session.execute(
        sa.update(Proposal).where(sa.tuple_(Proposal.id, Proposal.revision).in_(pairs),
                                  Proposal.status == rules.OPEN)
        .values(status=status, decided_at=now, outcome=outcome)
        .returning(Proposal.id).execution_options(synchronize_session=False))
    return set(result.scalars())


def _settle(session: Session, quiet: list[tuple[Proposal, str, rules.Tally]],
            now: datetime) -> list[Decision]:
    """Decide, a batch at a time, proposals with nothing to carry out."""
    decided, events = [], []
    groups: dict[tuple[str, str], list[tuple[Proposal, rules.Tally]]] = {}
    for proposal, outcome, count in quiet:
        groups.setdefault((outcome, _quiet_outcome(proposal, outcome)), []).append(
            (proposal, count))
    for (status, outcome), members in groups.items():
        claimed = _claim(session, [(p.id, p.revision) for p, _ in members], status, outcome, now)
        for proposal, count in members:
            if proposal.id not in claimed:
                continue  # decided by someone else meanwhile
            events.append({"proposal_id": proposal.id, "at": now, "actor_id": None,
                           "text": _event_text(status, count, outcome)})
            decided.append(Decision(proposal.id, proposal.project_id, proposal.number,
                                    proposal.kind, status, proposal.voting, outcome))
    if events:
        session.execute(sa.insert(TimelineEvent), events)
    for proposal, _, _ in quiet:
        session.expire(proposal)
    return decided


def _decide_one(session: Session, proposal: Proposal, count: rules.Tally, settings: Settings,
                now: datetime) -> Decision | None:
    """Claim one passed proposal, carry it out, and commit."""
    project = session.get_one(Project, proposal.project_id)
    if proposal.kind == "input":
        # The ledger's head before the proposal's row, in the order every
        # ledger change that touches a proposal takes them: no deadlock.
        ledger.hold_journal(session, project)
    if not _claim(session, [(proposal.id, proposal.revision)], rules.PASSED, "", now):
        session.rollback()
        return None
    session.expire(proposal)
    try:
        outcome = _carry_out(session, proposal, project, settings, now)
        status = rules.PASSED
        text = _event_text(status, count, outcome)
    except merging.EffectError as error:
        status, outcome = rules.FAILED, str(error)
        text = f"Passed ({_summary(count)}) but could not be carried out: {error}"
    proposal.status, proposal.outcome = status, outcome
    session.add(TimelineEvent(proposal_id=proposal.id, at=now, text=text))
    session.commit()
    return Decision(proposal.id, proposal.project_id, proposal.number, proposal.kind, status,
                    proposal.voting, outcome)


def _quiet_outcome(proposal: Proposal, status: str) -> str:
    if status == rules.PASSED:
        return "Decided."
    return ("A standing objection blocks it." if proposal.voting == rules.CONSENSUS
            else "The vote did not carry.")


def _summary(count: rules.Tally) -> str:
    return f"{count.supports} support, {count.abstentions} abstain, {count.objections} object"


def _event_text(status: str, count: rules.Tally, outcome: str) -> str:
    if status == rules.BLOCKED:
        return (f"Blocked ({_summary(count)}). {outcome} It can be revised, withdrawn, "
                "or put to a vote.")
    return f"Passed ({_summary(count)}). {outcome}"


def _members(session: Session, project_id: int) -> set[int]:
    return set(session.scalars(sa.select(Membership.user_id).where(
        Membership.project_id == project_id, Membership.status == Membership.MEMBER)))


def _state(proposal: Proposal, members: set[int]) -> rules.ProposalState:
    affected = {party.user_id for party in proposal.affected if party.user_id is not None}
    return rules.ProposalState(rules.OPEN, proposal.voting, proposal.closes_at,
                               proposal.revision, len(members), frozenset(members | affected))


def _stance_values(proposal: Proposal) -> list[rules.StanceValue]:
    return [rules.StanceValue(s.user_id, s.stance, s.revision) for s in proposal.stances]


def _carry_out(session: Session, proposal: Proposal, project: Project, settings: Settings,
               now: datetime) -> str:
    """Apply what *proposal* decided; raise EffectError if it cannot be."""
    path = repository_path(settings.repos_dir, project.slug)
    url = settings.proposal_url(project, proposal)
    author = proposal.author
    identity = Identity(author.username, author.primary_email or "unknown@commons.invalid") \
        if author else merging.COMMONS
    if proposal.kind == "merge":
        branch, head = proposal.details["branch"], proposal.details["head"]
        message = (f"Merge {branch} (proposal #{proposal.number}: {proposal.title})\n\n"
                   f"Decided-by: {url}\n")
        result = merging.merge(path, project.default_branch, head, message, identity, now)
        if result.conflicts:
            raise merging.EffectError(
                f"{branch} conflicts with {project.default_branch} in: "
                f"{', '.join(result.conflicts)}. Merge {project.default_branch} into {branch}, "
                "push, and the proposal is revised.")
        if result.already_merged:
            return f"{head[:10]} was already in {project.default_branch}."
        assert result.commit is not None  # a merge that was not there already made one
        proposal.result = {"merge_commit": result.commit}
        if "mailmap" in proposal.details:
            # The moves its parties agreed to now count; profiles find them.
            identities.refresh_addresses(session, project, path)
        return f"Merged {head[:10]} into {project.default_branch} as {result.commit[:10]}."
    if proposal.kind == "membership":
        user = session.scalar(sa.select(User).where(User.username == proposal.details["username"]))
        if user is None:
            raise merging.EffectError("the account no longer exists")
        membership = project.membership_of(user)
        if membership is not None and membership.status == Membership.MEMBER:
            return f"{user.username} was already a member."
        if membership is not None and membership.status == Membership.LEFT \
                and membership.left_at and membership.left_at >= proposal.opened_at:
            raise merging.EffectError(f"{user.username} withdrew the request to join.")
        if membership is None:
            membership = Membership(project=project, user=user, requested_at=now)
            session.add(membership)
        membership.status, membership.joined_at, membership.left_at = Membership.MEMBER, now, None
        return f"{user.username} is a member."
    if proposal.kind == "license":
        identifier = proposal.details["license"]
        if problem := licences.licence_problem(identifier):
            raise merging.EffectError(problem)
        text = licences.licence_text(identifier, year=now.year,
                                     holders=f"The {project.name} contributors").encode()
        commit = merging.replace_file(
            path, project.default_branch, "LICENSE", text,
            f"Relicense under {identifier} (proposal #{proposal.number})\n\nDecided-by: {url}\n",
            identity, now)
        project.license = identifier
        proposal.result = {"commit": commit}
        return f"{project.name} is now under {identifier} (commit {commit[:10]})."
    if proposal.kind == "policy":
        details = proposal.details
        if "admission" in details:
            project.admission = details["admission"]
        if "push" in details:
            project.push_policy = details["push"]
        if "review_window" in details:
            project.review_window = max(int(details["review_window"]), settings.min_review_window)
        if "approval_threshold" in details:
            threshold = details["approval_threshold"]
            amount = parse_amount(threshold["amount"])
            assert amount is not None  # checked when it was proposed
            project.approval_amount = amount
            project.approval_currency = threshold["currency"]
        return "The policy changed: " + ", ".join(f"{k} = {v}" for k, v in details.items()) + "."
    if proposal.kind == "input":
        number = proposal.details["input"]
        try:
            need = ledger.approve_input(session, project, number, proposal.number, now)
        except (Conflict, NotFound) as error:
            raise merging.EffectError(error.message) from None
        return f"Input #{number} ({need.title}) is approved."
    return "Decided."


def _lock(session: Session, project_id: int) -> None:
    session.execute(sa.select(Project.id).where(Project.id == project_id)
                    .with_for_update(key_share=True))


# ---------------------------------------------------------------- inbox

def inbox(session: Session, user: User, now: datetime) -> dict[str, list[Proposal]]:
    """What asks for *user*'s attention: proposals that affect them, ones
    closing within a day without their stance, and the outcomes of theirs."""
    affecting = list(session.scalars(
        sa.select(Proposal).join(AffectedParty).where(
            AffectedParty.user_id == user.id, Proposal.status == rules.OPEN)
        .order_by(Proposal.closes_at)))
    member_of = sa.select(Membership.project_id).where(
        Membership.user_id == user.id, Membership.status == Membership.MEMBER)
    # A stance on an earlier revision answers nothing: the content changed.
    answered = sa.exists().where(Stance.proposal_id == Proposal.id, Stance.user_id == user.id,
                                 Stance.revision == Proposal.revision)
    closing = list(session.scalars(
        sa.select(Proposal).where(Proposal.status == rules.OPEN,
                                  Proposal.project_id.in_(member_of),
                                  Proposal.closes_at <= now + timedelta(hours=24),
                                  ~answered)
        .order_by(Proposal.closes_at)))
    outcomes = list(session.scalars(
        sa.select(Proposal).where(Proposal.author_id == user.id,
                                  Proposal.status.in_([rules.PASSED, rules.BLOCKED, rules.FAILED]))
        .order_by(Proposal.decided_at.desc()).limit(50)))
    return {"affecting": affecting, "closing": closing, "outcomes": outcomes}


def pinned_commits(session: Session, project: Project) -> set[str]:
    """The commits undecided merge proposals of *project* would merge: the
    repository must keep them even when no branch holds them any more."""
    proposals = session.scalars(sa.select(Proposal).where(
        Proposal.project_id == project.id, Proposal.kind == "merge",
        Proposal.status.in_([rules.OPEN, rules.BLOCKED])))
    return {head for proposal in proposals if (head := proposal.details.get("head"))}
