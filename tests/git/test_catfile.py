"""Object reads through the worker's long-lived `git cat-file`: the same
answers as a git process per read, and still right after the process was
killed or stuck, after a push it did not see start, and from many threads."""

import os
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from commons.git import catfile, reading, runner

ENV = {"PATH": os.environ["PATH"], "HOME": "/nonexistent", "GIT_CONFIG_NOSYSTEM": "1",
       "GIT_AUTHOR_NAME": "Zoë Tester", "GIT_AUTHOR_EMAIL": "zoe@example.org",
       "GIT_COMMITTER_NAME": "Com Mitter", "GIT_COMMITTER_EMAIL": "c@example.org",
       "GIT_AUTHOR_DATE": "1700000000 +0200", "GIT_COMMITTER_DATE": "1700000100 +0000"}


def git(*args, cwd=None, input=None) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, env=ENV, capture_output=True, input=input,
                            check=True)
    return result.stdout.decode("utf-8", "replace").strip()


def commit(work: Path, files: dict[str, bytes], message: str) -> str:
    for name, data in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_bytes(data)
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", message, cwd=work)
    return git("rev-parse", "HEAD", cwd=work)


@pytest.fixture
def repo(tmp_path) -> tuple[Path, Path]:
    """(bare repository, its working clone) with folders, odd names, an
    executable, a symlink, a submodule, a merge, branches with slashes and
    an annotated tag."""
    work = tmp_path / "work"
    git("init", "-q", "-b", "main", str(work))
    commit(work, {"README.md": b"# Hello\n", "docs/guide one.md": b"one\n",
                  "src/m\u00e4in.c": b"int main(void) { return 0; }\n" * 50,
                  "bin/tool": b"#!/bin/sh\necho hi\n", "data.bin": b"\0\1\2" * 100},
           "First\n\nWith a body\nof two lines.")
    os.chmod(work / "bin/tool", 0o755)
    os.symlink("README.md", work / "link")
    git("add", "-A", cwd=work)
    git("update-index", "--add", "--cacheinfo",
        "160000,0123456789abcdef0123456789abcdef01234567,vendor/lib", cwd=work)
    git("commit", "-q", "-m", "Executable, link,\nsubmodule", cwd=work)
    git("checkout", "-q", "-b", "feature/x", cwd=work)
    commit(work, {"docs/feature.md": b"feature\n"}, "Feature")
    git("checkout", "-q", "main", cwd=work)
    commit(work, {"README.md": b"# Hello again\n"}, "Readme")
    git("merge", "-q", "--no-ff", "-m", "Merge feature/x", "feature/x", cwd=work)
    git("tag", "-a", "-m", "First release", "v1.0", "HEAD~1", cwd=work)
    bare = tmp_path / "bare.git"
    git("clone", "-q", "--bare", str(work), str(bare))
    return bare, work


def _old_tree(path: Path, tree_sha: str, subpath: str) -> list[reading.Entry]:
    """The tree as the per-call implementation read it (git ls-tree --long)."""
    output = runner.run(path, "ls-tree", "-z", "--long", tree_sha).stdout
    entries = []
    for record in filter(None, output.split(b"\0")):
        meta, _, name_bytes = record.partition(b"\t")
        mode, kind, sha, size = meta.decode().split()
        name = name_bytes.decode("utf-8", "replace")
        entries.append(reading.Entry(name, f"{subpath}/{name}" if subpath else name, kind, mode,
                                     sha, int(size) if size.isdigit() else None))
    return sorted(entries, key=lambda e: (e.kind != "tree", e.name.lower()))


def _old_commit(path: Path, sha: str) -> tuple:
    fmt = "\x1f".join(["%H", "%an", "%ae", "%at", "%s", "%P", "%cn", "%ct", "%B"])
    out = runner.output(path, "show", "-s", f"--format={fmt}", f"{sha}^{{commit}}")
    h, an, ae, at, s, p, cn, ct, b = out.split("\x1f", 8)
    return (h, an, ae, datetime.fromtimestamp(int(at), UTC), s, tuple(p.split()), cn,
            datetime.fromtimestamp(int(ct), UTC), b.strip())


def test_the_long_lived_reader_answers_as_a_git_per_read(repo):
    bare, _ = repo
    for spec in ("main", "feature/x", "v1.0", "main/docs", "feature/x/docs/feature.md"):
        ref, sha, subpath = reading.locate(bare, spec)
        name = ref if ref != "v1.0" else "v1.0^{}"
        assert sha == git("rev-parse", f"{name}^{{commit}}" if ref != "v1.0" else name, cwd=bare)
        assert spec == "/".join(filter(None, [ref, subpath]))
    kinds = set()
    for commit_sha in git("rev-list", "--all", cwd=bare).split():
        view = reading.read_commit(bare, commit_sha)
        e = view.entry
        assert (e.sha, e.author_name, e.author_email, e.authored_at, e.summary, e.parents,
                view.committer_name, view.committed_at, view.message) == _old_commit(bare, commit_sha)
        for subpath in ("", "docs", "src", "bin", "vendor"):
            try:
                tree_sha, kind, _ = reading.object_at(bare, commit_sha, subpath)
            except reading.NotInRepository:
                continue
            assert kind == "tree"
            entries = reading.tree(bare, tree_sha, subpath)
            assert entries == _old_tree(bare, tree_sha, subpath)
            kinds |= {entry.kind for entry in entries}
            for entry in entries:
                if entry.kind == "blob":
                    data = runner.run(bare, "cat-file", "blob", entry.sha).stdout
                    assert reading.blob_head(bare, entry.sha, 10_000) == data[:10_000]
                    assert reading.blob_head(bare, entry.sha, 7) == data[:7]
                    assert reading.object_at(bare, commit_sha, entry.path) == (
                        entry.sha, "blob", len(data))
    assert kinds == {"tree", "blob", "commit"}  # the submodule too
    with pytest.raises(reading.NotInRepository):
        reading.locate(bare, "nothing/here")
    with pytest.raises(reading.NotInRepository):
        reading.object_at(bare, git("rev-parse", "main", cwd=bare), "no/such/file")
    assert reading.has_commit(bare, git("rev-parse", "main", cwd=bare))
    assert not reading.has_commit(bare, git("rev-parse", "main^{tree}", cwd=bare))
    assert reading.parent(bare, git("rev-parse", "main", cwd=bare)) == git(
        "rev-parse", "main^1", cwd=bare)
    root = git("rev-list", "--max-parents=0", "main", cwd=bare)
    assert reading.parent(bare, root) is None


def test_names_cannot_carry_a_second_command(repo):
    bare, _ = repo
    for spec in ("main\ninfo HEAD", "main:README.md", "main^", "main~1", "main/../x"):
        with pytest.raises(reading.NotInRepository):
            reading.locate(bare, spec)
    with pytest.raises(reading.NotInRepository):
        reading.object_at(bare, "main", "README.md\ncontents HEAD")
    # The process is still in step: the next answer is the right one.
    assert reading.object_at(bare, "main", "README.md")[1] == "blob"


def _reader_pid(path: Path) -> int:
    reading.object_at(path, "main", "")
    pid = catfile.readers.get(path).pid
    assert pid is not None
    return pid


def test_a_killed_reader_is_started_again(repo):
    bare, _ = repo
    pid = _reader_pid(bare)
    os.kill(pid, signal.SIGKILL)
    assert reading.object_at(bare, "main", "README.md")[1] == "blob"
    assert _reader_pid(bare) != pid


def test_a_stuck_reader_is_killed_and_the_next_read_works(repo, monkeypatch):
    bare, _ = repo
    pid = _reader_pid(bare)
    monkeypatch.setattr(catfile, "TIMEOUT", 0.2)
    os.kill(pid, signal.SIGSTOP)
    try:
        with pytest.raises(runner.GitError) as stuck:
            reading.object_at(bare, "main", "README.md")
        assert stuck.value.returncode is None
    finally:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    assert reading.object_at(bare, "main", "README.md")[1] == "blob"
    assert _reader_pid(bare) != pid


@pytest.mark.parametrize("unpack_limit", [1, 1000])  # a new pack, or loose objects
def test_the_reader_sees_what_is_pushed_after_it_started(repo, unpack_limit):
    bare, work = repo
    git("config", "receive.unpackLimit", str(unpack_limit), cwd=bare)
    git("config", "transfer.unpackLimit", str(unpack_limit), cwd=bare)
    reading.object_at(bare, "main", "")
    # One process, started before the push (git looks for new packs and
    # loose objects when an object is missing; refs are read at each command).
    own = catfile.Reader(bare, (0,))
    assert own.info(["refs/heads/main"])[0] is not None
    pid = own.pid
    new = commit(work, {"docs/new.md": b"pushed later\n" * 10}, "Later")
    git("push", "-q", str(bare), "main", cwd=work)
    assert own.info(["refs/heads/main"])[0].sha == new
    found = own.contents(f"{new}:docs/new.md")
    assert found is not None and found[1] == b"pushed later\n" * 10
    assert own.pid == pid
    own.close()
    # And through the pages' reads.
    assert reading.locate(bare, "main/docs/new.md")[1] == new  # the moved ref
    assert reading.read_commit(bare, new).entry.summary == "Later"
    blob = reading.object_at(bare, new, "docs/new.md")[0]
    assert reading.blob_head(bare, blob, 100) == (b"pushed later\n" * 10)[:100]


def test_reads_from_many_threads_get_their_own_answers(repo):
    bare, work = repo
    blobs = {}
    for number in range(40):
        data = f"file {number}\n".encode() * (number * 50 + 1)
        (work / f"many/f{number}.txt").parent.mkdir(exist_ok=True)
        (work / f"many/f{number}.txt").write_bytes(data)
        blobs[f"many/f{number}.txt"] = data
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "Many", cwd=work)
    git("push", "-q", str(bare), "main", cwd=work)
    head = git("rev-parse", "main", cwd=bare)
    errors: list[str] = []

    def read(offset: int) -> None:
        for round in range(30):
            name = f"many/f{(offset + round) % 40}.txt"
            sha, _, size = reading.object_at(bare, head, name)
            got = reading.blob_head(bare, sha, size)
            if got != blobs[name]:
                errors.append(name)
            if round % 5 == 0:
                listed = reading.tree(bare, reading.object_at(bare, head, "many")[0], "many")
                if len(listed) != 40:
                    errors.append("tree")

    threads = [threading.Thread(target=read, args=(n * 7,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_readers_are_bounded_and_a_replaced_repository_gets_a_new_one(repo, tmp_path,
                                                                     monkeypatch):
    bare, _ = repo
    monkeypatch.setattr(catfile, "readers", catfile.Readers(limit=2, idle=300))
    copies = []
    for number in range(3):
        copy = tmp_path / f"copy{number}.git"
        git("clone", "-q", "--bare", str(bare), str(copy))
        copies.append(copy)
        reading.object_at(copy, "main", "")
        if number == 0:
            first_pid = catfile.readers.get(copy).pid
    assert len(catfile.readers) == 2
    with pytest.raises(ProcessLookupError):  # the least recently used was closed
        os.kill(first_pid, 0)
    pid = _reader_pid(copies[2])
    # Restored from a backup: the same path, another folder.
    subprocess.run(["rm", "-rf", str(copies[2])], check=True)
    git("clone", "-q", "--bare", str(bare), str(copies[2]))
    assert reading.object_at(copies[2], "main", "README.md")[1] == "blob"
    assert _reader_pid(copies[2]) not in (pid, first_pid)
    catfile.readers.close_all()
    assert len(catfile.readers) == 0


def test_a_reader_retired_while_a_thread_waited_for_it_is_not_started_again(repo,
                                                                            monkeypatch):
    """A thread that got a reader just before another thread evicted it
    (limit, idle, a push's new key) reads through the current one: the old
    one, started again, would be a git nobody ever closes."""
    bare, _ = repo
    monkeypatch.setattr(catfile, "readers", catfile.Readers(limit=8, idle=3600))
    old = catfile.readers.get(bare)
    answers = []
    reader = threading.Thread(
        target=lambda: answers.append(reading.object_at(bare, "main", "README.md")))
    with old.lock:
        reader.start()
        time.sleep(0.3)  # the thread has the old reader and waits for its lock
        with catfile.readers._lock:
            catfile.readers._retire(str(bare))
    reader.join(30)
    assert answers and answers[0][1] == "blob"
    assert old.pid is None  # never started again
    assert catfile.readers.get(bare) is not old
    catfile.readers.close_all()


def test_an_unused_reader_is_closed(repo, monkeypatch):
    bare, _ = repo
    monkeypatch.setattr(catfile, "readers", catfile.Readers(limit=8, idle=3600))
    pid = _reader_pid(bare)
    assert catfile.readers.close_idle() == 0  # in use an hour ago at most
    catfile.readers.idle = 0  # an hour later
    assert catfile.readers.close_idle() == 1
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert reading.object_at(bare, "main", "README.md")[1] == "blob"


def test_the_history_read_through_cat_file_is_git_logs(repo):
    bare, work = repo
    # Past 100 commits the walk asks cat-file again, from the last one read.
    stream = []
    for number in range(160):
        message = f"Count {number}\n\nBody {number}".encode()
        stream.append(b"commit refs/heads/main\nauthor Zo\xc3\xab Tester <zoe@example.org> "
                      b"1700000000 +0200\ncommitter Com Mitter <c@example.org> 1700000100 +0000\n"
                      b"data %d\n%s\n" % (len(message), message))
        if number == 0:
            stream.append(b"from %s\n" % git("rev-parse", "main", cwd=bare).encode())
        stream.append(b"M 100644 inline count.txt\ndata %d\n%d\n\n" % (len(str(number)) + 1,
                                                                       number))
    git("fast-import", "--quiet", cwd=bare, input=b"".join(stream))
    head = git("rev-parse", "main", cwd=bare)
    fmt = "\x1f".join(["%H", "%an", "%ae", "%at", "%s", "%P"])
    expected = [line.split("\x1f") for line in git(
        "log", "--first-parent", "-n250", f"--format={fmt}", head, cwd=bare).splitlines()]
    for start in (head, "main"):   # from an id (kept per worker) or a branch (read each time)
        got = reading.log(bare, start, "", 250)
        assert [(e.sha, e.author_name, e.author_email, str(int(e.authored_at.timestamp())),
                 e.summary, " ".join(e.parents)) for e in got] == [
            tuple(x + [""] * (6 - len(x))) for x in expected]  # the root's empty %P was stripped
    assert len(expected) == 164
    assert [e.sha for e in reading.log(bare, head, "", 50)] == [x[0] for x in expected[:50]]
    with pytest.raises(reading.NotInRepository):
        reading.log(bare, "0" * 40, "", 50)
