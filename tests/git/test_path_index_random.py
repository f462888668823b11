"""The path index against git on random histories: octopus merges, merges
keeping ours or theirs, orphan roots merged in, the branch rewritten part
way, submodules, files becoming folders, commit dates out of order, and the
index brought up to date at random points on the way."""

import os
import random
import subprocess
from pathlib import Path

import pytest

from commons.extensions import db
from commons.git import path_index
from tests.git.test_catfile import ENV
from tests.git.test_path_index import _git_says
from tests.git.test_path_index import dryer as dryer  # noqa: F401  (a fixture)

NAMES = ["a", "a b", "ab", "d/x", "d/y/z", "d/y", "dx/q", "e/f/g", "sub"]


def run(bare: Path, *args: str, input: bytes | None = None, env: dict | None = None) -> str:
    return subprocess.run(["git", "-C", str(bare), *args], input=input, capture_output=True,
                          check=True, env={**ENV, **(env or {})}).stdout.decode().strip()


def tree_of(bare: Path, files: dict, tmp: Path) -> str:
    index = str(tmp / "idx")
    if os.path.exists(index):
        os.unlink(index)
    lines = []
    for path, (mode, sha) in sorted(files.items()):
        lines.append(f"{mode} {sha}\t{path}")
    env = {"GIT_INDEX_FILE": index}
    if lines:
        run(bare, "update-index", "--add", "--index-info", input=("\n".join(lines) + "\n").encode(), env=env)
    return run(bare, "write-tree", env=env)


def valid(files: dict) -> bool:
    """No path both a file and a folder."""
    paths = set(files)
    for p in paths:
        parts = p.split("/")
        for i in range(1, len(parts)):
            if "/".join(parts[:i]) in paths:
                return False
    return True


def mutate(rnd: random.Random, files: dict, bare: Path) -> dict:
    """Up to three files added, changed or removed (a submodule among them)."""
    files = dict(files)
    for _ in range(rnd.randint(0, 3)):
        name = rnd.choice(NAMES)
        if name in files and rnd.random() < 0.4:
            del files[name]
            continue
        if name == "sub":
            files[name] = ("160000", f"{rnd.getrandbits(160):040x}")
        else:
            blob = run(bare, "hash-object", "-w", "--stdin", input=str(rnd.random()).encode())
            files[name] = ("100644", blob)
        # drop conflicting file/folder entries
        for other in list(files):
            if other != name and (other.startswith(name + "/") or name.startswith(other + "/")):
                del files[other]
    return files


@pytest.mark.parametrize("seed", range(3))
def test_random_histories_answer_as_git_log_does(app, dryer, tmp_path, seed):
    rnd = random.Random(seed)
    project_id, bare, _ = dryer
    bare.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True, env=ENV)
    commits = {}  # sha -> files

    def make(parents, files, msg):
        tree = tree_of(bare, files, tmp_path)
        args = ["commit-tree", tree, "-m", msg]
        for p in parents:
            args += ["-p", p]
        sha = run(bare, *args, env={"GIT_AUTHOR_DATE": f"{1700000000 + len(commits)} +0000",
                                    "GIT_COMMITTER_DATE": f"{1700000000 + rnd.randint(0, 99)} +0000"})
        commits[sha] = files
        return sha

    tip = make([], mutate(rnd, {}, bare), "root")
    with app.app_context():
        for _ in range(60):
            r = rnd.random()
            base = commits[tip]
            if r < 0.15:   # merge of 1..3 others, sometimes an orphan root
                others = []
                for _ in range(rnd.randint(1, 3)):
                    if rnd.random() < 0.3:
                        others.append(make([], mutate(rnd, {}, bare), "orphan"))
                    else:
                        others.append(rnd.choice(list(commits)))
                choice = rnd.random()
                if choice < 0.3:
                    files = base  # ours
                elif choice < 0.6:
                    files = commits[others[0]]  # theirs
                else:
                    files = mutate(rnd, {**commits[others[0]], **base}, bare)
                    if not valid(files):
                        files = base
                tip = make([tip, *others], files, "merge")
            elif r < 0.2:  # rewrite: main reset to some older commit and continues
                tip = make([rnd.choice(list(commits))], mutate(rnd, base, bare), "rewritten")
            else:
                tip = make([tip], mutate(rnd, base, bare), "c")
            run(bare, "update-ref", "refs/heads/main", tip)
            if rnd.random() < 0.2:
                path_index.update(db.session, project_id, bare, "main")
                db.session.commit()
        path_index.update(db.session, project_id, bare, "main")
        db.session.commit()
        line = run(bare, "rev-list", "--first-parent", "main").split()
        paths = set()
        for files in commits.values():
            for p in files:
                parts = p.split("/")
                paths.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
        for p in sorted(paths):
            for start in line:
                for limit in (1, 3, 51):
                    assert path_index.indexed(db.session, project_id, start, p, limit) == \
                        _git_says(bare, start, p, limit), (p, start, limit)
