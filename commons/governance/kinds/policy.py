"""Policy: admission, push, outside, review window, approval threshold or
notify_outside_authors change, a treasurer named or removed (issue 20:
treasurers record payouts of expense claims), or a new version of the
project's value rule (issue 20: weights per kind of work for recognition).
Only the fields the proposal names change; the whole policy that results
must still be valid."""

from datetime import datetime

from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.governance.effects import EffectError
from commons.governance.kinds.base import Details, Kind, Opened, hold_repository
from commons.governance.models import Proposal
from commons.governance.settings import Settings
from commons.ledger.work_rules import WORK_CATEGORIES
from commons.money import parse_amount
from commons.problems import Invalid
from commons.projects import rules as project_rules
from commons.projects.models import Membership, Project
from commons.projects.rules import Policy, Threshold
from commons.recognition import queries as recognition
from commons.recognition.models import RecognitionRule
from commons.recognition.rules import RuleError, parse_rule, rule_details


def read_details(session: Session, project: Project, author: User, details: Details,
                 settings: Settings) -> Opened:
    changes = {k: v for k, v in details.items() if v not in (None, "")}
    allowed = {"admission", "push", "outside", "review_window", "approval_threshold",
               "notify_outside_authors", *TREASURER_KEYS, RULE_KEY}
    if not changes or set(changes) - allowed:
        raise Invalid("A policy proposal changes admission, push, outside, review_window, "
                      "approval_threshold or notify_outside_authors, names a treasurer "
                      "(treasurer_grant) or removes one (treasurer_remove), or sets the "
                      "recognition_rule.", field="policy")
    roles = _treasurer_changes(project, changes)
    if RULE_KEY in changes:
        roles[RULE_KEY] = _recognition_rule(changes[RULE_KEY])
    if set(changes) <= {*TREASURER_KEYS, RULE_KEY}:
        return Opened(roles)
    notify = changes.get("notify_outside_authors", project.notify_outside_authors)
    if not isinstance(notify, bool):
        raise Invalid("notify_outside_authors is true or false.", field="notify_outside_authors")
    threshold = project.policy.approval_threshold
    if "approval_threshold" in changes:
        raw = changes["approval_threshold"] or {}
        amount = parse_amount(raw.get("amount")) if isinstance(raw, dict) else None
        if amount is None:
            raise Invalid('approval_threshold is {"amount": "250.00", "currency": "EUR"}.',
                          field="approval_threshold")
        threshold = Threshold(amount, str(raw.get("currency", "")).upper())
    try:
        window = int(changes.get("review_window", project.review_window))
    except (TypeError, ValueError):
        raise Invalid("review_window is a number of seconds.", field="review_window") from None
    policy = Policy(admission=changes.get("admission", project.admission),
                    push=changes.get("push", project.push_policy),
                    review_window=window, approval_threshold=threshold,
                    outside=changes.get("outside", project.outside),
                    notify_outside_authors=notify)
    problems = project_rules.policy_problems(policy, min_review_window=settings.min_review_window)
    if problems:
        field, message = next(iter(problems.items()))
        raise Invalid(message, field=field, problems=problems)
    result = {"admission": policy.admission, "push": policy.push, "outside": policy.outside,
              "review_window": policy.review_window,
              "notify_outside_authors": policy.notify_outside_authors,
              "approval_threshold": {"amount": str(threshold.amount),
                                     "currency": threshold.currency}}
    return Opened({**{k: v for k, v in result.items() if k in changes}, **roles})


TREASURER_KEYS = ("treasurer_grant", "treasurer_remove")
RULE_KEY = "recognition_rule"


def _recognition_rule(raw: object) -> Details:
    """The value rule proposed, checked and kept with every weight written
    out: what people consent to is the whole rule, not a difference."""
    try:
        return rule_details(parse_rule(raw))
    except RuleError as error:
        # The new-proposal form's field for it: weight_care, rule_onerous.
        field = (f"weight_{error.field}" if error.field in WORK_CATEGORIES
                 else "rule_onerous" if error.field == "onerous" else RULE_KEY)
        raise Invalid(str(error), field=field) from None


def _treasurer_changes(project: Project, changes: Details) -> Details:
    """The treasurer named or removed, checked: a member who is not one
    yet, or a treasurer."""
    found: Details = {}
    for key in TREASURER_KEYS:
        if key not in changes:
            continue
        name = str(changes[key]).strip().lstrip("@").lower()
        membership = next((m for m in project.memberships
                           if m.user.username == name and m.status == Membership.MEMBER), None)
        if membership is None:
            raise Invalid(f"{name} is not a member of {project.name}; a treasurer is a member.",
                          field=key)
        if key == "treasurer_grant" and membership.treasurer:
            raise Invalid(f"{name} is a treasurer already.", field=key)
        if key == "treasurer_remove" and not membership.treasurer:
            raise Invalid(f"{name} is not a treasurer.", field=key)
        found[key] = name
    if found.get("treasurer_grant") and found.get("treasurer_grant") == \
            found.get("treasurer_remove"):
        raise Invalid("Name one person to grant and another to remove.",
                      field="treasurer_remove")
    return found


def carry_out(session: Session, proposal: Proposal, project: Project, settings: Settings,
              now: datetime) -> str:
    details = proposal.details
    if "admission" in details:
        project.admission = details["admission"]
    if "push" in details:
        project.push_policy = details["push"]
    if "outside" in details:
        project.outside = details["outside"]
    if "notify_outside_authors" in details:
        project.notify_outside_authors = bool(details["notify_outside_authors"])
    if "review_window" in details:
        project.review_window = max(int(details["review_window"]), settings.min_review_window)
    if "approval_threshold" in details:
        threshold = details["approval_threshold"]
        amount = parse_amount(threshold["amount"])
        if amount is None:  # checked when it was opened; kept apart for the type checker
            raise EffectError(f"{threshold['amount']!r} is not an amount")
        project.approval_amount = amount
        project.approval_currency = threshold["currency"]
    for key in TREASURER_KEYS:
        if key in details:
            membership = next((m for m in project.memberships
                               if m.user.username == details[key]
                               and m.status == Membership.MEMBER), None)
            if membership is None:
                raise EffectError(f"{details[key]} is no longer a member of {project.name}.")
            membership.treasurer = key == "treasurer_grant"
    changed = [f"{k} = {v}" for k, v in details.items() if k != RULE_KEY]
    if RULE_KEY in details:
        version = _adopt_rule(session, proposal, project, now)
        changed.append(f"value rule version {version} adopted, for work from "
                       f"{now.date().isoformat()} on")
    return "The policy changed: " + ", ".join(changed) + "."


def _adopt_rule(session: Session, proposal: Proposal, project: Project, now: datetime) -> int:
    """The next version of the project's value rule, in force for work
    done from today (UTC) on. The project's lock (taken before the claim)
    keeps two passing proposals from taking the same version."""
    try:
        rule = parse_rule(proposal.details[RULE_KEY])
    except RuleError as error:  # checked when it was opened
        raise EffectError(str(error)) from None
    version = recognition.next_version(session, project)
    session.add(RecognitionRule(
        project_id=project.id, version=version,
        weights={name: format(weight, "f") for name, weight in rule.weights.items()},
        onerous_multiplies=rule.onerous_multiplies, adopted_at=now, proposal_id=proposal.id))
    session.flush()
    return version


# The project's lock before the claim: a new rule version is numbered under it.
KIND = Kind("policy", read_details, carry_out, before_claim=hold_repository)
