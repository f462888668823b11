"""The kinds of proposal and what each one means, one module per kind:
how its details are checked when it is opened, and what passing it
changes. Opening and deciding look a kind up here instead of branching on
its name, so a new kind is one new module and one line below."""

from commons.governance.kinds import (
    allocation,
    claim,
    decision,
    distribution,
    input,
    license,
    membership,
    merge,
    policy,
)
from commons.governance.kinds.base import Details, Kind, Opened

__all__ = ["KINDS", "Details", "Kind", "Opened", "lookup"]

KINDS: dict[str, Kind] = {kind.name: kind for kind in (
    decision.KIND, membership.KIND, merge.KIND, input.KIND, license.KIND, policy.KIND,
    claim.KIND, allocation.KIND, distribution.KIND)}


def lookup(name: str) -> Kind:
    """The kind called *name*; KeyError if there is none (the pure rules
    list the same names in ``rules.KINDS``: check there first to answer a
    person)."""
    return KINDS[name]
