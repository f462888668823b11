"""The ledger commands as people run them, timed in fresh processes:
`flask --app commons ledger verify --since-last big` with the checkpoint put
back 10,000 entries before the head, and the full `ledger verify big`,
wall and CPU (the command's and its children's), against the journal a
`bench/ledger.py --keep` (SQLite) or `--database-uri` (PostgreSQL) run left.

    .venv/bin/python bench/ledger_commands.py --database-uri URI [--mode since|full|one|work] \\
        [--rounds 4] [--tree before=/tmp/before-checkout]

`--mode work` runs `--since-last` through the app's own command in this
process, after the app is made (its start-up printed once): what is left
of the command when Python's start and the imports are taken away.

With --tree, each round runs every tree (this checkout is "after"),
alternating the order, so a before and after share the same minutes: on a
loaded machine compare those pairs and the CPU, not the walls.
"""

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]


def put_checkpoint_back(uri: str, entries: int) -> None:
    """The checkpoint *entries* before the head, as if that many were new."""
    engine = sa.create_engine(uri)
    with engine.begin() as connection:
        project = connection.scalar(sa.text("SELECT id FROM projects WHERE slug = 'big'"))
        seq, digest = connection.execute(sa.text(
            "SELECT seq, hash FROM ledger_entries WHERE project_id = :p AND seq = "
            "(SELECT seq - :n FROM ledger_heads WHERE project_id = :p)"),
            {"p": project, "n": entries}).one()
        connection.execute(sa.text("UPDATE ledger_checkpoints SET seq = :s, hash = :h "
                                   "WHERE project_id = :p"), {"s": seq, "h": digest, "p": project})
    engine.dispose()


def time_the_work(uri: str, rounds: int) -> None:
    """`ledger verify --since-last big` *rounds* times through the app's own
    command in this process (Flask's CLI runner), each after the checkpoint
    is put back: the command's work without Python's start or the imports."""
    os.environ.update(COMMONS_SQLALCHEMY_DATABASE_URI=uri, COMMONS_SECRET_KEY="bench")
    sys.path.insert(0, str(ROOT))
    start = time.perf_counter()
    from commons import create_app

    runner = create_app().test_cli_runner()
    print(f"work: the whole app made in {time.perf_counter() - start:.2f} s", flush=True)
    for _ in range(rounds):
        put_checkpoint_back(uri, 10000)
        load = os.getloadavg()[0]
        start = time.perf_counter()
        done = runner.invoke(args=["ledger", "verify", "--since-last", "big"])
        wall = time.perf_counter() - start
        assert done.exit_code == 0, done.output
        print(f"work after    wall {wall:6.3f} s  load {load:4.1f}  {done.output.strip()[:60]}",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-uri", required=True)
    parser.add_argument("--mode", choices=["since", "full", "one", "work"], default="since")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--tree", action="append", default=[], metavar="NAME=PATH")
    args = parser.parse_args()
    if args.mode == "work":
        time_the_work(args.database_uri, args.rounds)
        return
    trees = {"after": str(ROOT), **dict(t.split("=", 1) for t in args.tree)}
    # As installed: the commands' modules read from their bytecode, which a
    # PYTHONDONTWRITEBYTECODE in the caller's environment would have each
    # run compile again (35 modules, about 60 ms).
    env = {**{k: v for k, v in os.environ.items()
              if not k.startswith("COMMONS_") and k != "PYTHONDONTWRITEBYTECODE"},
           "COMMONS_SQLALCHEMY_DATABASE_URI": args.database_uri, "COMMONS_SECRET_KEY": "bench"}
    command = {"since": ["ledger", "verify", "--since-last", "big"],
               "full": ["ledger", "verify", "big"],
               "one": ["ledger", "verify", "--one-process", "big"]}[args.mode]
    for round_ in range(args.rounds):
        names = list(trees) if round_ % 2 == 0 else list(reversed(trees))
        for name in names:
            if args.mode == "since":
                put_checkpoint_back(args.database_uri, 10000)
            load = os.getloadavg()[0]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "flask", "--app", "commons", *command],
                                  cwd=trees[name], env={**env, "PYTHONPATH": trees[name]},
                                  capture_output=True, text=True)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            assert done.returncode == 0, done.stderr
            print(f"{args.mode} {name:8} wall {wall:6.2f} s  CPU {cpu:6.2f} s  load {load:4.1f}  "
                  f"{done.stdout.strip()[:60]}", flush=True)


if __name__ == "__main__":
    main()
