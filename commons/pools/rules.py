"""The pure rules of a planning round: the excess demand ratio, the
proportional cut (exact, in the unit's smallest step), the indicative
shares each close publishes, the rule that a revision never rises, and
how an allocation is split across the inputs a request names.
Plain values only; no Flask, no database."""

from collections.abc import Mapping, Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

MIN_ITERATIONS, MAX_ITERATIONS, DEFAULT_ITERATIONS = 1, 10, 3
DEFAULT_ITERATION_SECONDS = 3 * 86400
PROPORTIONAL, PROPOSAL = "proportional", "proposal"
CONTESTED_RULES = (PROPORTIONAL, PROPOSAL)
# The ratio is published to four places: 1.5 shows as 1.5000, 2/3 as 0.6667.
RATIO_PLACES = 4


def excess_demand(requested: Decimal, available: Decimal) -> Decimal | None:
    """requested / available, to four places (half-even); None when nothing
    is available (any demand is then unbounded excess)."""
    if available <= 0:
        return None
    return (requested / available).quantize(Decimal(1).scaleb(-RATIO_PLACES),
                                            rounding=ROUND_HALF_EVEN)


def demand_fits(requested: Decimal, available: Decimal) -> bool:
    """Whether every request can be met in full: the round ends early."""
    return requested <= available


def proportional_cut(requests: Mapping[int, Decimal], available: Decimal,
                     decimals: int) -> dict[int, Decimal]:
    """Each project's part of *available* in proportion to its request,
    in steps of the unit's smallest amount (10^-*decimals*).

    When demand fits, each gets what it asked. Otherwise each gets its
    exact share rounded down to a step; the steps left over (fewer than
    there are projects) go one each to the largest remainders, ties to the
    lowest project id. The parts sum exactly to *available* (rounded down
    to a step), none is above its request, none is negative. Integer
    arithmetic on steps, so nothing is lost to rounding."""
    step = Decimal(1).scaleb(-decimals)
    asked = {project: _steps(quantity, step) for project, quantity in requests.items()
             if quantity > 0}
    total = sum(asked.values())
    supply = _steps(max(available, Decimal(0)), step)
    if total <= supply:
        return {project: _amount(steps, step) for project, steps in asked.items()}
    parts: dict[int, int] = {}
    remainders: list[tuple[int, int]] = []
    for project, steps in asked.items():
        parts[project], remainder = divmod(steps * supply, total)
        remainders.append((remainder, project))
    left = supply - sum(parts.values())
    for _, project in sorted(remainders, key=lambda pair: (-pair[0], pair[1]))[:left]:
        parts[project] += 1
    return {project: _amount(steps, step) for project, steps in parts.items()}


def indicative_shares(rule: str, requests: Mapping[int, Decimal], available: Decimal,
                      decimals: int) -> dict[int, Decimal]:
    """What each project would receive if the round ended now. Both rules
    publish the proportional cut: under "proposal" it is the allocation the
    proposal starts from, which the requesting projects may then change."""
    if rule not in CONTESTED_RULES:
        raise ValueError(f"unknown contested rule {rule!r}")
    return proportional_cut(requests, available, decimals)


def revision_refusal(previous: Decimal | None, quantity: Decimal, iteration: int,
                     unit: str) -> str | None:
    """Why *quantity* may not be asked in *iteration*, given what the
    project asked in the iteration before (None if it asked nothing or
    withdrew), or None when it may. Requests are filed in the first
    iteration; later ones only lower, hold or withdraw them."""
    if iteration <= 1:
        return None
    if previous is None:
        return ("Requests are filed in the first iteration; later iterations only "
                "revise them, and this project did not ask in the one before.")
    if quantity > previous:
        return (f"A request may not rise above what the project asked in the previous "
                f"iteration ({format(previous.normalize(), 'f')} {unit}); ask that or less.")
    return None


def split_across_inputs(amount: Decimal, still_needed: Sequence[tuple[int, Decimal]]
                        ) -> tuple[list[tuple[int, Decimal]], Decimal]:
    """*amount* split across a request's inputs in the order it named them,
    each up to what it still needs: [(input number, part)] with no zero
    parts, and what is left when the inputs need less."""
    parts: list[tuple[int, Decimal]] = []
    left = amount
    for number, needed in still_needed:
        if left <= 0:
            break
        part = min(left, max(needed, Decimal(0)))
        if part > 0:
            parts.append((number, part))
            left -= part
    return parts, left


def availability_note(before: Decimal, after: Decimal, unit: str) -> str:
    """What an iteration's close says when the steward changed what is
    available since the iteration before ('' if unchanged)."""
    if after == before:
        return ""
    moved = "lowered" if after < before else "raised"
    return (f"Availability {moved} from {_shown(before)} to {_shown(after)} {unit} by the "
            f"steward; this iteration uses the new figure.")


def _steps(quantity: Decimal, step: Decimal) -> int:
    return int(quantity.quantize(step, rounding=ROUND_FLOOR) / step)


def _amount(steps: int, step: Decimal) -> Decimal:
    return Decimal(steps) * step


def _shown(n: Decimal) -> str:
    return format(n.normalize(), "f") if n else "0"
