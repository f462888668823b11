"""The signed links of a notice mail: one to take a stance without an
account, one to ask for no more mail from the project. Each is signed with
the site's secret key under its own salt, so neither can stand in for the
other, and names what it is for (the proposal, or the project, and the
address), so a link cannot be moved to another proposal or project."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from commons.governance.models import Proposal
from commons.governance.settings import Settings
from commons.problems import Problem
from commons.projects.models import Project

STANCE_SALT = "commons.governance.notice-stance"
OPT_OUT_SALT = "commons.governance.notice-opt-out"


class BadLink(Problem):
    """A notice link that was altered, signed for something else, or has expired."""

    status = 400


@dataclass(frozen=True)
class Links:
    stance: str
    opt_out: str


@dataclass(frozen=True)
class StanceLink:
    proposal_id: int
    address: str
    expires: datetime


def for_notice(settings: Settings, project: Project, proposal: Proposal,
               address: str) -> Links:
    """The absolute links a notice mail to *address* carries."""
    expires = proposal.closes_at + timedelta(seconds=settings.notice_link_margin)
    stance = URLSafeSerializer(settings.secret_key, salt=STANCE_SALT).dumps(
        [proposal.id, address, int(expires.timestamp())])
    opt_out = URLSafeSerializer(settings.secret_key, salt=OPT_OUT_SALT).dumps(
        [project.id, address])
    base = settings.proposal_url(project, proposal)
    return Links(f"{base}/notice/{stance}",
                 f"{settings.base_url}/projects/{project.slug}/notice-opt-out/{opt_out}")


def read_stance(secret_key: str, token: str, proposal: Proposal, margin: int,
                now: datetime) -> StanceLink:
    """The stance link *token*, if it is genuine, for *proposal*, and not
    expired: it lasts until the proposal's close (as it was when mailed, or
    as it is now if later) plus *margin* seconds. Else BadLink."""
    try:
        proposal_id, address, expires = URLSafeSerializer(secret_key, salt=STANCE_SALT).loads(
            token)
        link = StanceLink(int(proposal_id), str(address),
                          datetime.fromtimestamp(int(expires), UTC))
    except (BadSignature, TypeError, ValueError):
        raise BadLink("This link is not one we sent, or it was altered on the way: "
                      "nothing was recorded. Use the link from the mail as it is.") from None
    if link.proposal_id != proposal.id:
        raise BadLink("This link was sent for another proposal: nothing was recorded. "
                      "Use the link from the mail about this one.")
    latest = max(link.expires, proposal.closes_at + timedelta(seconds=margin))
    if now > latest:
        raise BadLink("This link has expired: the proposal closed long ago, and nothing "
                      "was recorded.")
    return link


def read_opt_out(secret_key: str, token: str, project: Project) -> str:
    """The address an opt-out link *token* for *project* stands for. It
    never expires: asking for no more mail should always work."""
    try:
        project_id, address = URLSafeSerializer(secret_key, salt=OPT_OUT_SALT).loads(token)
    except (BadSignature, TypeError, ValueError):
        raise BadLink("This link is not one we sent, or it was altered on the way: "
                      "nothing was changed. Use the link from the mail as it is.") from None
    if int(project_id) != project.id:
        raise BadLink("This link was sent for another project: nothing was changed. "
                      "Use the link from that project's mail.")
    return str(address)
