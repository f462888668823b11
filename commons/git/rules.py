"""Pure rules of git hosting: who may push what, and which client headers
may reach git."""

import re
from collections.abc import Mapping
from typing import NamedTuple

from commons.git.pktline import RefUpdate

# GIT_PROTOCOL as git sends it: "version=2", possibly more key=value items
# separated by colons. Anything else never reaches git's environment.
_GIT_PROTOCOL = re.compile(r"[a-z0-9-]+(?:=[A-Za-z0-9._-]+)?(?::[a-z0-9-]+(?:=[A-Za-z0-9._-]+)?)*")


def git_protocol(header: str | None) -> str | None:
    """The client's Git-Protocol header if it is well-formed, else None."""
    if header and len(header) <= 256 and _GIT_PROTOCOL.fullmatch(header):
        return header
    return None


class Protection(NamedTuple):
    """A branch an undecided merge proposal pins: what was proposed stays
    what was proposed, so only the proposal's author moves it."""

    number: int
    author: str | None  # the author's username; None once their account is gone
    url: str


def protection_refusal(protection: Protection, pusher: str, *, deleting: bool) -> str | None:
    """Why *pusher* may not move (or delete) a branch that *protection*
    guards, or None if they may. The author revises their proposal by
    pushing, and withdraws it by deleting the branch. A proposal whose
    author's account is gone has nobody else to revise it, so any member
    may move its branch; every revision restarts the window and names who
    pushed it, and the merge is then credited to the platform."""
    if protection.author is None or protection.author == pusher:
        return None
    verb = "delete" if deleting else "move"
    return (f"proposal #{protection.number} by {protection.author} pins this branch; only "
            f"{protection.author} may {verb} it while the proposal is undecided "
            f"({protection.url})")


def push_refusals(updates: list[RefUpdate], *, default_branch: str, push_mode: str,
                  proposals_url: str, default_branch_exists: bool = True,
                  protected: Mapping[str, Protection] | None = None,
                  pusher: str = "") -> dict[str, str]:
    """Ref -> why this push may not update it, for the rules that the ref
    updates alone decide (a force-push needs the objects; the pre-receive
    hook checks it). The first push of an empty repository may create the
    default branch: there is nothing yet to review it against. *protected*
    maps the branches undecided merge proposals pin to their proposal:
    only its author (*pusher* is the username) moves or deletes them. The
    default branch keeps its own rules whatever a proposal names."""
    default_ref = f"refs/heads/{default_branch}"
    refusals = {}
    protected = protected or {}
    for update in updates:
        name = update.ref.removeprefix("refs/heads/").removeprefix("refs/tags/")
        if not update.ref.startswith(("refs/heads/", "refs/tags/")) or ".." in update.ref:
            refusals[update.ref] = "only branches (refs/heads/...) and tags (refs/tags/...) can be pushed"
        elif name == "HEAD" or name.startswith("HEAD/"):
            refusals[update.ref] = "HEAD names the current branch; pick another name"
        elif update.ref.startswith("refs/tags/") and name == default_branch:
            refusals[update.ref] = (f"a tag named {default_branch} would be mistaken for the "
                                    "default branch; pick another tag name")
        elif update.ref == default_ref and update.is_delete:
            refusals[update.ref] = f"the default branch {default_branch} is never deleted"
        elif update.ref == default_ref and update.is_create and not default_branch_exists:
            continue
        elif update.ref == default_ref and push_mode == "review":
            refusals[update.ref] = (
                f"{default_branch} changes only by passed merge proposals; push a branch "
                f"and propose its merge at {proposals_url}"
            )
        elif update.ref in protected and update.ref != default_ref and (why := protection_refusal(
                protected[update.ref], pusher, deleting=update.is_delete)):
            refusals[update.ref] = why
    return refusals


def refusal_messages(refusals: dict[str, str], *, default_branch: str,
                     proposals_url: str,
                     protected: Mapping[str, Protection] | None = None) -> list[str]:
    """What to tell the person whose push was refused, line by line."""
    lines = [f"commons refused this push: {ref}: {reason}." for ref, reason in refusals.items()]
    if any(ref == f"refs/heads/{default_branch}" for ref in refusals):
        lines += [
            "To propose your work, push it to a branch of its own, e.g.",
            "    git push origin HEAD:refs/heads/my-change",
            f"then open a merge proposal at {proposals_url}",
        ]
    for ref, protection in (protected or {}).items():
        if ref in refusals and ref != f"refs/heads/{default_branch}":
            lines += [
                f"Proposal #{protection.number} asks to merge {ref.removeprefix('refs/heads/')} "
                "as it was proposed; consent is given to that content. Instead:",
                "  - push your commits to a branch of your own and propose its merge, e.g.",
                "        git push origin HEAD:refs/heads/my-change",
                f"  - or comment on the proposal, or object to it, at {protection.url}",
            ]
    return lines


# Proposals from outside: `git push <url> HEAD:refs/for/<branch>[/<topic>]`.
FOR_PREFIX = "refs/for/"
MAX_FOR_REF_LENGTH = 200
_BAD_REF_CHARS = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")


def is_proposal_push(ref: str) -> bool:
    """Whether a pushed ref asks to open or revise a proposal, not to move a ref."""
    return ref.startswith(FOR_PREFIX)


def valid_ref_part(name: str) -> bool:
    """Whether *name* is a well-formed ref name below ``refs/`` (git's
    check-ref-format rules), so it is safe as a path under the repository."""
    return bool(name) and not (
        _BAD_REF_CHARS.search(name) or ".." in name or "@{" in name or "//" in name
        or name.startswith("/") or name.endswith(("/", ".", ".lock")) or name == "@"
        or any(part.startswith(".") or part.endswith(".lock") for part in name.split("/")))


def proposal_targets(ref: str) -> list[tuple[str, str]]:
    """The (target branch, topic) readings of ``refs/for/<rest>``, longest
    branch first: a branch name may hold slashes (``release/1.0``), so the
    first reading whose branch exists is the one meant. Empty when the ref
    is malformed."""
    rest = ref.removeprefix(FOR_PREFIX)
    if not is_proposal_push(ref) or not valid_ref_part(rest):
        return []
    parts = rest.split("/")
    return [("/".join(parts[:end]), "/".join(parts[end:])) for end in range(len(parts), 0, -1)]


def outside_push_refusal(updates: list[RefUpdate], *, default_branch: str) -> str | None:
    """Why a push to ``refs/for/`` cannot be taken as it is, or None. One
    proposal per push, and never mixed with branch updates: each answer
    must say what happened to the one change it was about."""
    proposals = [update for update in updates if is_proposal_push(update.ref)]
    example = f"git push origin HEAD:{FOR_PREFIX}{default_branch}"
    if len(proposals) != len(updates):
        return (f"push to {FOR_PREFIX}... on its own, not together with branches or tags "
                f"(e.g. {example})")
    if len(proposals) > 1:
        return f"push one proposal at a time (e.g. {example})"
    update = proposals[0]
    if update.is_delete:
        return "a proposal is withdrawn on its page, not by deleting a ref"
    if len(update.ref) > MAX_FOR_REF_LENGTH or not proposal_targets(update.ref):
        return f"{update.ref} is not a valid name; push to {FOR_PREFIX}<branch>[/<topic>]"
    return None


def proposal_label(target: str, topic: str, username: str) -> str:
    """How an outside proposal names what it merges. The space keeps it
    from ever naming a real branch (git refuses spaces in ref names)."""
    return f"{FOR_PREFIX}{target}{'/' + topic if topic else ''} by {username}"
