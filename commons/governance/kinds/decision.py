"""A free-text decision: nothing to check beyond title and body, nothing to
carry out; passing it is the record."""

from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.governance.kinds.base import Details, Kind, Opened
from commons.governance.settings import Settings
from commons.projects.models import Project


def read_details(session: Session, project: Project, author: User, details: Details,
                 settings: Settings) -> Opened:
    return Opened({})


KIND = Kind("decision", read_details)
