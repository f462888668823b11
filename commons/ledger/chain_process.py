"""The second half of a split ``ledger verify``, in a process of its own:
``python -m commons.ledger.chain_process`` reads one JSON request on
stdin (the database URL, the project, the head and last seq the verify
read, the batch), checks the hash chain of the whole journal with its own
connection, folds the work logs as it goes (work entries and their
corrections, which no input's balance depends on) and compares them with
the stored ones. It writes ``[entries checked, first bad seq or null,
what is wrong, [seq, problem] of the first work log that differs or
null]`` as JSON on stdout. A module run by name, not a multiprocessing
child, so nothing depends on how the calling program was started."""

import gc
import json
import sys

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from commons.ledger import rules, verifying


def check(request: dict) -> tuple[int, int | None, str, tuple[int, str] | None]:
    """The chain from the genesis up to the request's last seq, and the
    work logs folded from it and compared."""
    work = rules.Balances()
    apply, folds_into_work = rules.apply, verifying.folds_into_work

    def fold(seq: int, action: str, said: dict) -> str | None:
        if not folds_into_work(action, said.get("data")):
            return None  # the verifying process folds it
        try:
            apply(work, seq, action, said["data"])
        except (KeyError, TypeError, ValueError, ArithmeticError) as error:
            return f"its data cannot be applied ({error!r})"
        return None

    engine = sa.create_engine(request["url"], poolclass=NullPool)
    head = request["head"]
    try:
        with Session(engine) as session:
            count, bad, problem = verifying.check_chain(
                session, request["project_id"], request["slug"], (0, rules.GENESIS),
                (head[0], head[1]) if head else None, request["last"], fold, request["batch"],
                # Not called for the nine entries in ten that fold into inputs.
                fold_actions=verifying.WORK_FOLD_ACTIONS)
            mismatch = None if bad is not None else \
                verifying.compare_work(session, request["project_id"], work)
            return count, bad, problem, mismatch
    finally:
        engine.dispose()


if __name__ == "__main__":
    # The collector off for the work logs' comparison as for the walk:
    # after the walk it would traverse every folded work log for no cycles.
    gc.disable()
    json.dump(check(json.load(sys.stdin)), sys.stdout)
