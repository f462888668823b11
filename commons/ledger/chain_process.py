"""The chain half of a split ``ledger verify``, in a process of its own:
``python -m commons.ledger.chain_process`` reads one JSON request on
stdin (the database URL, the project, the head and last seq the verify
read, the batch), checks the hash chain of the whole journal with its own
connection, and writes ``[entries checked, first bad seq or null, what is
wrong]`` as JSON on stdout. A module run by name, not a multiprocessing
child, so nothing depends on how the calling program was started."""

import json
import sys

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from commons.ledger import rules, verifying


def check(request: dict) -> tuple[int, int | None, str]:
    """The chain from the genesis up to the request's last seq, no fold."""
    engine = sa.create_engine(request["url"], poolclass=NullPool)
    head = request["head"]
    try:
        with Session(engine) as session:
            return verifying.check_chain(
                session, request["project_id"], request["slug"], (0, rules.GENESIS),
                (head[0], head[1]) if head else None, request["last"], None, request["batch"])
    finally:
        engine.dispose()


if __name__ == "__main__":
    json.dump(check(json.load(sys.stdin)), sys.stdout)
