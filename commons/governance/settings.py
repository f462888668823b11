"""What governance reads from the app's configuration, read once per call
so services never touch ``current_app``."""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from commons import urls
from commons.git.repositories import Identity
from commons.governance.models import Proposal
from commons.projects.models import Project


@dataclass(frozen=True)
class Settings:
    repos_dir: Path
    min_review_window: int
    base_url: str  # for links written into commits ("Decided-by: <url>")
    # The committer of the commits decisions make (COMMONS_COMMITTER_*).
    committer: Identity = Identity("commons", "noreply@commons.invalid")
    # Notice mails to affected people without an account (governance.notices):
    # the key their links are signed with, how many one address gets a day,
    # and how long a stance link outlives the proposal's close.
    secret_key: str = ""
    outside_notice_limit: int = 5
    notice_link_margin: int = 7 * 86400

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Settings":
        """The address written into commits is the configured BASE_URL (the
        `make run` address when unset), never a request's Host header, which
        anyone can set and a merge commit keeps for ever."""
        return cls(Path(config["REPOS_DIR"]), int(config["MIN_REVIEW_WINDOW"]),
                   urls.base_url(config),
                   Identity(str(config.get("COMMITTER_NAME") or "commons"),
                            str(config.get("COMMITTER_EMAIL") or "noreply@commons.invalid")),
                   str(config.get("SECRET_KEY") or ""),
                   int(config.get("OUTSIDE_NOTICE_LIMIT", 5)),
                   int(config.get("NOTICE_LINK_MARGIN", 7 * 86400)))

    def proposal_url(self, project: Project, proposal: Proposal) -> str:
        return f"{self.base_url}/projects/{project.slug}/proposals/{proposal.number}"
