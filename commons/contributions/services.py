"""Contributor records, the domain's front door: kept tallies (git,
deliveries), the credits members record, and one record per person and
project read from every domain. Views, the API, the CLI and other domains
import these names from here; each lives in the module of its seam:

- ``tallies``: tallies kept as commits and entries are recorded, reindexing
- ``credits``: the All Contributors kinds members credit
- ``records``: per-person records, profiles, the division of labour, activity

The two receivers below keep the tallies as commits are indexed and ledger
entries appended (in the sender's transaction)."""

from datetime import UTC

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.contributions import ledger_tally, rules
from commons.contributions.credits import (
    check_day,
    check_url,
    credit,
    list_credits,
    remove_credit,
)
from commons.contributions.models import Delivery, GitDay, GitTotal
from commons.contributions.records import activity, labour, profile, project_records
from commons.contributions.records import owners_of as _owners
from commons.contributions.tallies import add_ledger_tallies as _add_ledger_tallies
from commons.contributions.tallies import add_tallies as _add_tallies
from commons.contributions.tallies import input_ids as _input_ids
from commons.contributions.tallies import rebuild_from_journal, refresh_mailmap, reindex
from commons.contributions.tallies import state_for as _state_for
from commons.git.indexing import CommitInfo
from commons.ledger.models import LedgerEntry
from commons.projects.models import Project

__all__ = [
    "activity", "check_day", "check_url", "credit", "labour", "list_credits", "profile",
    "project_records", "rebuild_from_journal", "refresh_mailmap", "reindex", "remove_credit",
]


# ---------------------------------------------------------------- kept tallies

def count_commits(session: Session, project_id: int, commits: list[CommitInfo]) -> None:
    """Add a batch of newly indexed commits to the tallies, in the indexing
    transaction (the project's lock is held, so tallies never race)."""
    # Accounts as they are now, only to credit one person once per commit
    # (their addresses as author and co-author); records map the rest.
    co_authored = [info for info in commits if info.co_authors]
    owners = _owners(session, {email for info in co_authored for email in
                               [info.author_email, *(co.get("email", "") for co in
                                                     info.co_authors)]}) if co_authored else {}
    credits = [credit for info in commits for credit in rules.credits(
        info.author_name, info.author_email, info.authored_at, info.parent_count,
        info.co_authors, info.lines_added, info.lines_removed, owners)]
    _add_tallies(session, GitTotal, project_id, rules.tally_credits(credits, by_day=False),
                 ("email", "name"))
    _add_tallies(session, GitDay, project_id, rules.tally_credits(credits, by_day=True),
                 ("day", "email", "name"))


def count_ledger_entry(session: Session, project: Project, entry: LedgerEntry,
                       data: dict) -> None:
    """Keep deliveries and the ledger tallies as an entry is appended (the
    journal's head is locked, so per project this never races). The fold's
    state is loaded from the stored balances for what the entry touches."""
    state = _state_for(session, project, entry.action, data)
    names = {data.get(key) for key in ("worker", "pledger", "provider_user")} - {None, ""}
    users = dict(session.execute(sa.select(User.username, User.id)
                                 .where(User.username.in_(names))).all()) if names else {}
    # The day in UTC, as a replay of the stored journal reads it.
    changes = ledger_tally.apply(state, entry.seq, entry.at.astimezone(UTC).date(),
                                 entry.actor_id, entry.action, data, users)
    if entry.action == "receipt" and entry.seq in state.deliveries:
        delivered = state.deliveries[entry.seq]
        session.add(Delivery(project_id=project.id, seq=entry.seq, user_id=delivered.user,
                             input_id=_input_ids(session, project, [delivered.input])[delivered.input],
                             quantity=delivered.quantity, day=delivered.day))
    elif entry.action == "correct" and data.get("action") == "receipt":
        row = session.scalar(sa.select(Delivery).where(Delivery.project_id == project.id,
                                                       Delivery.seq == data["corrects"]))
        if row is not None:
            row.quantity = state.deliveries[row.seq].quantity
    _add_ledger_tallies(session, project.id, changes)
