"""Who a proposal affects, worked out from who wrote what in git: the
parties of merge and licence proposals."""

from collections import defaultdict
from pathlib import Path

from sqlalchemy.orm import Session

from commons.accounts import services as accounts
from commons.accounts.models import User
from commons.contributions import identities
from commons.git import merging
from commons.governance.models import AffectedParty
from commons.projects.models import Project


def mapped(session: Session, project: Project, path: Path, authorship: merging.Authorship
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


def parties(session: Session, names: dict[str, str], weights: dict[str, int], reason: str,
            exclude: User | None = None) -> list[AffectedParty]:
    """One party per address, linked to the account that confirmed it (an
    unconfirmed claim gives no standing); *reason* may say how much of
    theirs it is as ``{n}``."""
    owners = accounts.owners_of(session, names) if names else {}
    found = []
    for email, name in names.items():
        user_id = owners.get(email)
        if exclude is not None and user_id == exclude.id:
            continue
        found.append(AffectedParty(user_id=user_id, name=name[:255], email=email[:255],
                                   weight=weights.get(email, 0),
                                   reason=reason.format(n=weights.get(email, 0))[:255]))
    return found
