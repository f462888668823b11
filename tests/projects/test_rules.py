from decimal import Decimal

import pytest

from commons.projects import rules
from commons.projects.rules import Policy, Threshold


@pytest.mark.parametrize("slug", ["dryer", "solar-dryer", "a1", "x" * 64])
def test_good_slugs(slug):
    assert rules.slug_problem(slug) is None


@pytest.mark.parametrize("slug", ["", "Solar", "solar_dryer", "-dryer", "dryer-", "so--lar",
                                  "x" * 65, "new", "api", "dryer.git", "../etc", "dr yer"])
def test_bad_slugs_say_why(slug):
    assert rules.slug_problem(slug)


def _policy(**changes):
    base = dict(admission="open", push="review", review_window=86400,
                approval_threshold=Threshold(Decimal("0"), "EUR"))
    return Policy(**{**base, **changes})


def test_policy_within_bounds_has_no_problems():
    assert rules.policy_problems(_policy(), min_review_window=86400) == {}


def test_policy_problems_name_each_field():
    problems = rules.policy_problems(
        _policy(admission="vote", push="force", review_window=60,
                approval_threshold=Threshold(Decimal("-1"), "EUR"), outside="members"),
        min_review_window=86400)
    assert set(problems) == {"admission", "push", "review_window", "approval_threshold",
                             "outside"}
    assert "“accept”" in problems["outside"] and "“refuse”" in problems["outside"]
    assert "at least 86400 seconds" in problems["review_window"]


def test_unknown_currency_is_a_problem():
    problems = rules.policy_problems(_policy(approval_threshold=Threshold(Decimal("5"), "ABC")),
                                     min_review_window=1)
    assert "ISO 4217" in problems["approval_threshold"]


def test_threshold_finer_than_the_currency_allows_is_a_problem():
    problems = rules.policy_problems(_policy(approval_threshold=Threshold(Decimal("5.5"), "JPY")),
                                     min_review_window=1)
    assert problems["approval_threshold"] == \
        "JPY has 0 decimal places; write the amount with at most that many."
