"""Pure rules for projects: slugs and policy values."""

import re
from dataclasses import dataclass
from decimal import Decimal

from commons.money import amount_problem

SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_SLUG_LENGTH = 64

# Slugs that would collide with pages under /projects or confuse readers.
RESERVED_SLUGS = frozenset({
    "new", "api", "static", "settings", "admin", "login", "logout", "register",
    "needs", "inbox", "users", "projects", "search", "explore", "help", "about",
    "git", "raw", "assets", "feed", "index", "edit", "delete",
})

ADMISSIONS = ("open", "consent")
PUSH_MODES = ("review", "direct")
# Who may propose through refs/for/: anyone logged in, or only members.
OUTSIDE_MODES = ("accept", "refuse")


@dataclass(frozen=True)
class Threshold:
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Policy:
    admission: str
    push: str
    review_window: int
    approval_threshold: Threshold
    outside: str = "accept"
    # Proposals mail affected people without an account (governance.notices).
    notify_outside_authors: bool = False


def slug_problem(slug: str) -> str | None:
    """Why *slug* cannot name a project, or None if it can."""
    if not slug:
        return "Choose a slug: the short name in the project's address."
    if len(slug) > MAX_SLUG_LENGTH:
        return f"Keep the slug to {MAX_SLUG_LENGTH} characters."
    if not SLUG_PATTERN.fullmatch(slug):
        return (
            "A slug is lowercase letters, digits and single hyphens between them, "
            "e.g. “solar-dryer”."
        )
    if slug in RESERVED_SLUGS:
        return f"“{slug}” is reserved for a page of the site; pick another slug."
    return None


def policy_problems(policy: Policy, *, min_review_window: int) -> dict[str, str]:
    """Field name -> why that part of *policy* is not acceptable."""
    problems = {}
    if policy.admission not in ADMISSIONS:
        problems["admission"] = "Admission is “open” (join at once) or “consent” (members decide)."
    if policy.push not in PUSH_MODES:
        problems["push"] = "Push is “review” (merge proposals) or “direct” (members push)."
    if policy.outside not in OUTSIDE_MODES:
        problems["outside"] = ("Outside is “accept” (anyone logged in may propose through "
                               "refs/for/) or “refuse” (only members may).")
    if policy.review_window < min_review_window:
        problems["review_window"] = (
            f"The review window must be at least {min_review_window} seconds "
            f"({min_review_window / 3600:g} hours), so members have time to object."
        )
    elif policy.review_window > 90 * 86400:
        problems["review_window"] = "Keep the review window to 90 days at most."
    threshold = policy.approval_threshold
    if not threshold.amount.is_finite() or threshold.amount < 0:
        problems["approval_threshold"] = "The approval threshold is an amount of zero or more."
    elif problem := amount_problem(threshold.amount, threshold.currency):
        problems["approval_threshold"] = problem
    return problems
