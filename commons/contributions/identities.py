"""The .mailmap the platform follows: the default branch's, less the lines
that would move someone's commits to another account without their say
(``rules.trusted_mailmap``). Contributor records and the affected parties
of proposals both read it here, so neither follows a line the other
ignores."""

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts import services as accounts
from commons.contributions import rules
from commons.contributions.models import MailmapAddress
from commons.git import reading, runner
from commons.projects.models import Project  # before governance's models, which need it

# isort: split
from commons.governance import rules as governance_rules
from commons.governance.models import Proposal

MAILMAP_LIMIT = 1_000_000  # bytes of a .mailmap read


def read_mailmap(path: Path, branch: str) -> rules.Mailmap:
    """The .mailmap on *branch*, every line, as git itself would read it."""
    return mailmap_at(path, f"refs/heads/{branch}")


def mailmap_at(path: Path, commit: str) -> rules.Mailmap:
    """The .mailmap in *commit* (a ref or an object name), every line."""
    # Through the worker's long-lived cat-file reader: the contributors page
    # reads it on every view, and a git process each time was a tenth of the
    # page's CPU (bench/README.md, "Under load").
    try:
        blob_id, kind, _ = reading.object_at(path, commit, ".mailmap")
        if kind != "blob":
            return rules.Mailmap()
        text = reading.blob_head(path, blob_id, MAILMAP_LIMIT)
    except (reading.NotInRepository, runner.GitError):  # no such commit, or no .mailmap
        return rules.Mailmap()
    return rules.parse_mailmap(text.decode("utf-8", "replace"))


def approved_moves(session: Session, project: Project) -> set[tuple[str, str]]:
    """(commit address, new address) pairs that passed merge proposals
    brought to the default branch with the people they move as affected
    parties (recorded on the proposal when it was opened or revised)."""
    pairs: set[tuple[str, str]] = set()
    for details in session.scalars(sa.select(Proposal.details).where(
            Proposal.project_id == project.id, Proposal.kind == "merge",
            Proposal.status == governance_rules.PASSED)):
        for pair in (details or {}).get("mailmap", []):
            if isinstance(pair, list) and len(pair) == 2:
                pairs.add((str(pair[0]).lower(), str(pair[1]).lower()))
    return pairs


def proposed_moves(project: Project, path: Path, head: str) -> list[tuple[str, str]]:
    """The moves *head*'s .mailmap adds to the default branch's: what
    merging *head* asks the people whose commits they move to accept. A
    line pushed to the default branch without review is not asked about
    again by a later merge that merely carries it."""
    moves = mailmap_at(path, head).moves
    if not moves:
        return []
    return sorted(moves - read_mailmap(path, project.default_branch).moves)


def refresh_addresses(session: Session, project: Project, path: Path) -> None:
    """Keep the addresses the default branch's .mailmap, as the platform
    follows it, maps commits to (a profile finds the project by them)."""
    targets = trusted_mailmap(session, project, path).targets
    session.execute(sa.delete(MailmapAddress).where(MailmapAddress.project_id == project.id))
    if targets:
        session.execute(sa.insert(MailmapAddress),
                        [{"project_id": project.id, "email": email} for email in sorted(targets)])
    session.flush()


def owners_of(session: Session, addresses: set[str]) -> dict[str, int]:
    """Which account holds each address (confirmed addresses only)."""
    return accounts.owners_of(session, addresses)


def trusted_mailmap(session: Session, project: Project, path: Path) -> rules.Mailmap:
    """The default branch's .mailmap as the platform follows it."""
    mailmap = read_mailmap(path, project.default_branch)
    moves = mailmap.moves
    if not moves:
        return mailmap
    owners = owners_of(session, {address for pair in moves for address in pair})
    return rules.trusted_mailmap(mailmap, owners, approved_moves(session, project))
