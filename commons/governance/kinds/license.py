"""Licence: the project moves to another open licence. Everyone whose work
is in the default branch is a party; passing it commits the new LICENSE."""

from datetime import datetime

from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.git import merging
from commons.git.repositories import repository_path
from commons.governance import parties
from commons.governance.effects import EffectError
from commons.governance.kinds.base import (
    Details,
    Kind,
    Opened,
    commit_identity,
    hold_repository,
)
from commons.governance.models import Proposal
from commons.governance.settings import Settings
from commons.problems import Invalid
from commons.projects import licences
from commons.projects.models import Project


def read_details(session: Session, project: Project, author: User, details: Details,
                 settings: Settings) -> Opened:
    path = repository_path(settings.repos_dir, project.slug)
    identifier = str(details.get("license") or "").strip()
    if problem := licences.licence_problem(identifier):
        raise Invalid(problem, field="license")
    licence = licences.find_licence(identifier)
    assert licence is not None  # licence_problem knows every licence find_licence finds
    if licence.id == project.license:
        raise Invalid(f"{project.name} is already under {licence.id}.", field="license")
    # Everyone whose work is in the default branch, co-authors included.
    authorship = merging.commit_authors(path, project.default_branch)
    names, commits = parties.mapped(session, project, path, authorship)
    affected = parties.parties(session, names, commits, "has {n} commits in the repository")
    return Opened({"license": licence.id}, affected)


def carry_out(session: Session, proposal: Proposal, project: Project, settings: Settings,
              now: datetime) -> str:
    identifier = proposal.details["license"]
    if problem := licences.licence_problem(identifier):
        raise EffectError(problem)
    text = licences.licence_text(identifier, year=now.year,
                                 holders=f"The {project.name} contributors").encode()
    message = (f"Relicense under {identifier} (proposal #{proposal.number})\n\n"
               f"Decided-by: {settings.proposal_url(project, proposal)}\n")
    try:
        commit = merging.replace_file(repository_path(settings.repos_dir, project.slug),
                                      project.default_branch, "LICENSE", text, message,
                                      commit_identity(proposal, settings), now,
                                      committer=settings.committer)
    except merging.ChangeError as error:
        raise EffectError(str(error)) from error
    project.license = identifier
    proposal.result = {"commit": commit}
    return f"{project.name} is now under {identifier} (commit {commit[:10]})."


KIND = Kind("license", read_details, carry_out, before_claim=hold_repository)
