"""Merge: a pushed branch goes into the default branch, or commits pushed
to ``refs/for/<branch>`` (an outside proposal) into that branch. The
proposal pins the head, its parties are whoever wrote the lines it changes (and
whoever a .mailmap line in it would move), and passing it merges exactly
the pinned commit."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.contributions import identities
from commons.contributions import rules as contribution_rules
from commons.git import merging
from commons.git.repositories import repository_path
from commons.governance import parties, rules
from commons.governance.effects import EffectError
from commons.governance.kinds.base import (
    Details,
    Kind,
    Opened,
    commit_identity,
    hold_repository,
)
from commons.governance.models import AffectedParty, Proposal
from commons.governance.settings import Settings
from commons.problems import Conflict, Invalid
from commons.projects.models import Project

# details["source"] of a proposal pushed to refs/for/<branch>[/<topic>]
# (commons.governance.outside): it pins refs/proposals/<n>/head, no branch.
OUTSIDE = "refs/for"


def read_details(session: Session, project: Project, author: User | None, details: Details,
                 settings: Settings) -> Opened:
    """The branch and the head it pins; *author* is None when a push revises
    a proposal whose author's account is gone."""
    path = repository_path(settings.repos_dir, project.slug)
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
    return pin(session, project, author, {"branch": branch}, head, project.default_branch,
               settings)


def pin(session: Session, project: Project, author: User | None, kept: Details, head: str,
        target: str, settings: Settings) -> Opened:
    """The details of a merge of *head* into the branch *target* (*kept*
    plus the head and any .mailmap moves), and the parties it affects:
    whoever wrote the lines it changes. Invalid if *target* holds it already."""
    path = repository_path(settings.repos_dir, project.slug)
    target_head = merging.branch_head(path, target)
    if target_head and merging.is_ancestor(path, head, target_head):
        raise Invalid(f"{kept['branch']} is already merged into {target}; "
                      "there is nothing to propose.", field="branch")
    affected: list[AffectedParty] = []
    complete = True
    base = merging.merge_base(path, target_head, head) if target_head else None
    if base:
        authorship = merging.authors_of_changed_lines(path, base, head)
        complete = authorship.complete
        names, lines = parties.mapped(session, project, path, authorship)
        affected = parties.parties(session, names, lines,
                                   "wrote {n} of the lines this merge changes", exclude=author)
    kept = {**kept, "head": head}
    if moves := identities.proposed_moves(project, path, head):
        # Passing it is how the people a .mailmap line moves agree to it,
        # so they are parties, and the proposal keeps what they agreed to.
        affected += _moved_parties(session, moves, affected, author)
        kept["mailmap"] = [list(move) for move in moves]
    return Opened(kept, affected, complete)


def target_of(project: Project, details: Details) -> str:
    """The branch a merge proposal merges into: the one an outside proposal
    named (refs/for/<branch>), else the default branch."""
    return str(details.get("target") or project.default_branch)


def _moved_parties(session: Session, moves: list[tuple[str, str]],
                   already: list[AffectedParty], author: User | None) -> list[AffectedParty]:
    """Whoever a proposed .mailmap line would take commits from (an account
    or a bare commit address), unless already a party or the author."""
    owners = identities.owners_of(session, {source for source, _target in moves})
    users = {user.id: user for user in session.scalars(
        sa.select(User).where(User.id.in_(set(owners.values()))))} if owners else {}
    seen_users = {party.user_id for party in already} - {None}
    seen_emails = {party.email for party in already}
    found = []
    for source, target in moves:
        owner = users.get(owners.get(source, -1))
        if source in seen_emails or (owner is not None and (
                (author is not None and owner.id == author.id) or owner.id in seen_users)):
            continue
        seen_emails.add(source)
        if owner is not None:
            seen_users.add(owner.id)
        found.append(AffectedParty(
            user_id=owner.id if owner else None,
            name=owner.username if owner else contribution_rules.mask_email(source),
            email=source[:255], weight=0,
            reason=f"its .mailmap credits their commits to "
                   f"{contribution_rules.mask_email(target)}"[:255]))
    return found


def refuse_second_merge(session: Session, project: Project, details: Details,
                        settings: Settings) -> None:
    """One undecided merge proposal per branch: two would split the
    stances, and each would pass on its own and merge the branch twice. A
    blocked one still holds the branch until it is revised, escalated or
    withdrawn. Outside proposals hold no branch: one per proposer, target
    and topic (a second push there revises it instead)."""
    branch = details["branch"]
    same = [Proposal.details["branch"].as_string() == branch]
    if details.get("source") == OUTSIDE:
        same = [Proposal.details["source"].as_string() == OUTSIDE,
                Proposal.details["proposer"].as_integer() == int(details["proposer"]),
                Proposal.details["target"].as_string() == str(details["target"]),
                Proposal.details["topic"].as_string() == str(details["topic"])]
    existing = session.scalar(sa.select(Proposal).where(
        Proposal.project_id == project.id, Proposal.kind == "merge",
        Proposal.status.in_([rules.OPEN, rules.BLOCKED]), *same)
        .order_by(Proposal.number).limit(1))
    if existing is None:
        return
    what_now = ("revise it, escalate it to a vote or withdraw it there"
                if existing.status == rules.BLOCKED
                else "take your stance or revise it there")
    raise Conflict(f"Proposal #{existing.number} already proposes merging {branch} "
                   f"({existing.status}): {settings.proposal_url(project, existing)}. "
                   f"{what_now[0].upper()}{what_now[1:]}; withdraw it first to propose the "
                   "branch anew.", field="branch", proposal=existing.number)


def carry_out(session: Session, proposal: Proposal, project: Project, settings: Settings,
              now: datetime) -> str:
    path = repository_path(settings.repos_dir, project.slug)
    branch, head = proposal.details["branch"], proposal.details["head"]
    target = target_of(project, proposal.details)
    message = (f"Merge {branch} (proposal #{proposal.number}: {proposal.title})\n\n"
               f"Decided-by: {settings.proposal_url(project, proposal)}\n")
    try:
        result = merging.merge(path, target, head, message,
                               commit_identity(proposal, settings), now,
                               committer=settings.committer)
    except merging.ChangeError as error:
        raise EffectError(str(error)) from error
    if result.conflicts:
        how = (f"Merge {target} into {branch}, push, and the proposal is revised."
               if proposal.details.get("source") != OUTSIDE else
               f"Merge {target} into your commits and push them to "
               f"{proposal.details.get('pushed_to', 'the same refs/for/ ref')} again: "
               "the proposal is revised.")
        raise EffectError(f"{branch} conflicts with {target} in: "
                          f"{', '.join(result.conflicts)}. {how}")
    if result.already_merged:
        return f"{head[:10]} was already in {target}."
    assert result.commit is not None  # neither merged already nor in conflict: merged
    # The refs_moved reactions, after the decision commits, index the merge
    # and follow its .mailmap (the moves its parties agreed to now count).
    proposal.result = {"merge_commit": result.commit}
    return f"Merged {head[:10]} into {target} as {result.commit[:10]}."


KIND = Kind("merge", read_details, carry_out, check_under_lock=refuse_second_merge,
            before_claim=hold_repository)
