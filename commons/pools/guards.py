"""Who may do what to a pool: its steward (the person, or any member of
the stewarding project) records what is available, opens rounds and
closes it."""

from commons.accounts.models import User
from commons.pools.models import Pool
from commons.problems import Conflict, Forbidden


def stewards(pool: Pool, user: User | None) -> bool:
    """Whether *user* acts for the pool's steward."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if pool.steward_project is not None:
        return pool.steward_project.is_member(user)
    return pool.steward_user_id == user.id


def require_steward(pool: Pool, actor: User, what: str) -> None:
    """Forbidden unless *actor* acts for the steward; *what* says what
    stewards do ("open a round")."""
    if not stewards(pool, actor):
        who = (f"members of {pool.steward_project.name}, which stewards the pool "
               f"“{pool.title}”," if pool.steward_project is not None
               else f"the steward of the pool “{pool.title}”")
        raise Forbidden(f"Only {who} may {what}.")


def require_open_pool(pool: Pool) -> None:
    if pool.closed_at is not None:
        raise Conflict(f"The pool “{pool.title}” is closed; nothing more is requested or "
                       "changed in it.")
