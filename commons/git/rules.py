"""Pure rules of git hosting: who may push what, and which client headers
may reach git."""

import re

from commons.git.pktline import RefUpdate

# GIT_PROTOCOL as git sends it: "version=2", possibly more key=value items
# separated by colons. Anything else never reaches git's environment.
_GIT_PROTOCOL = re.compile(r"[a-z0-9-]+(?:=[A-Za-z0-9._-]+)?(?::[a-z0-9-]+(?:=[A-Za-z0-9._-]+)?)*")


def git_protocol(header: str | None) -> str | None:
    """The client's Git-Protocol header if it is well-formed, else None."""
    if header and len(header) <= 256 and _GIT_PROTOCOL.fullmatch(header):
        return header
    return None


def push_refusals(updates: list[RefUpdate], *, default_branch: str, push_mode: str,
                  proposals_url: str, default_branch_exists: bool = True) -> dict[str, str]:
    """Ref -> why this push may not update it, for the rules that the ref
    updates alone decide (a force-push needs the objects; the pre-receive
    hook checks it). The first push of an empty repository may create the
    default branch: there is nothing yet to review it against."""
    default_ref = f"refs/heads/{default_branch}"
    refusals = {}
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
    return refusals


def refusal_messages(refusals: dict[str, str], *, default_branch: str,
                     proposals_url: str) -> list[str]:
    """What to tell the person whose push was refused, line by line."""
    lines = [f"commons refused this push: {ref}: {reason}." for ref, reason in refusals.items()]
    if any(ref == f"refs/heads/{default_branch}" for ref in refusals):
        lines += [
            "To propose your work, push it to a branch of its own, e.g.",
            "    git push origin HEAD:refs/heads/my-change",
            f"then open a merge proposal at {proposals_url}",
        ]
    return lines
