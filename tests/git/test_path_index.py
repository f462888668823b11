"""The path index: a file's (or folder's) first-parent history answered from
the database gives exactly the commits `git log --first-parent -- <path>`
gives, as the line grows, is rewritten, or changes branch; and the history
pages use it once the reconciler has built it."""

import logging
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from commons import clock
from commons.accounts import services as accounts
from commons.extensions import db
from commons.git import path_index, path_rules, reading, runner
from commons.git.models import PathIndexChange, PathIndexCommit, PathIndexLine
from commons.jobs import enqueue
from commons.projects import services as projects
from commons.projects.models import Project
from tests.conftest import TEST_PASSWORD
from tests.git.test_catfile import ENV, commit, git

ODD = "odd dir/new\nline ü.txt"


# --- Reading git's output ----------------------------------------------------

def _log_bytes(*commits: tuple[str, str, list[tuple[str, str]]]) -> bytes:
    """Output as `git log -z --name-status --format=/%H %P` gives it."""
    out = b""
    for sha, parent, changes in commits:
        out += b"/" + f"{sha} {parent}".strip().encode() + b"\0"
        if changes:
            out += b"\n" + b"".join(f"{status}\0{path}\0".encode() for status, path in changes)
    return out


def test_git_logs_output_is_read_whatever_pieces_it_comes_in():
    # Names that look like statuses, headers or git's newline are names.
    tricky = ["M", "/" + "f" * 40 + " " + "e" * 40, "\nstarts with a newline", "x/y.c"]
    data = _log_bytes(("a" * 40, "b" * 40, [("M", name) for name in tricky]),
                      ("b" * 40, "c" * 40, []),
                      ("c" * 40, "", [("A", "z"), ("D", "M")]))
    expected = [path_rules.ChangedCommit("a" * 40, "b" * 40, tuple(tricky)),
                path_rules.ChangedCommit("b" * 40, "c" * 40, ()),
                path_rules.ChangedCommit("c" * 40, None, ("z", "M"))]
    for size in (1, 2, 7, 41, len(data)):
        reader = path_rules.LogReader()
        found = [c for at in range(0, len(data), size) for c in reader.feed(data[at:at + size])]
        assert found + list(reader.end()) == expected


def test_output_cut_short_or_out_of_order_is_refused():
    whole = _log_bytes(("a" * 40, "", [("A", "x")]))
    for cut in (whole[:-1], whole[:-3]):  # within the name; after the status
        reader = path_rules.LogReader()
        list(reader.feed(cut))
        with pytest.raises(path_rules.Unreadable):
            list(reader.end())
    for wrong in (b"M\0a/path\0", b"not a header\0", b"/\0"):
        with pytest.raises(path_rules.Unreadable):
            list(path_rules.LogReader().feed(wrong))


def test_a_changed_file_puts_the_commit_in_each_folders_history():
    assert path_rules.with_folders(["a/b/c.txt", "a/d", "top"]) == \
        {"a/b/c.txt", "a/b", "a", "a/d", "top"}
    assert path_rules.with_folders([]) == set()


def test_names_not_utf8_or_too_long_are_left_to_git():
    assert path_rules.indexable("src/ü.c")
    assert not path_rules.indexable("caf\ufffd")
    assert path_rules.indexable("d/" + "x" * 1000)
    assert not path_rules.indexable("d/" + "ü" * 600)  # 1,202 bytes


# --- The index against git ---------------------------------------------------

@pytest.fixture
def dryer(app, runner, tmp_path):
    """(project id, bare repository, working clone): a project whose
    repository is replaced by *work*'s history each time `publish` is called."""
    assert runner.invoke(args=["users", "create", "alice", "alice@example.org", "--password",
                               TEST_PASSWORD]).exit_code == 0
    with app.app_context():
        user = accounts.find_user(db.session, "alice")
        project = projects.create_project(db.session, user, projects.NewProject(
            name="Dryer", slug="dryer", license="MIT"), projects.Settings.from_config(app.config),
            now=clock.now())
        db.session.commit()
        project_id = project.id
    work = tmp_path / "work"
    git("init", "-q", "-b", "main", str(work))
    return project_id, Path(app.config["REPOS_DIR"]) / "dryer.git", work


def _publish(work: Path, bare: Path) -> None:
    """The bare repository becomes a copy of *work*'s (as a restore would)."""
    shutil.rmtree(bare, ignore_errors=True)
    git("clone", "-q", "--bare", "--no-local", str(work), str(bare))


def _history(work: Path) -> None:
    """Folders, a rename, a deletion, a merge bringing a side branch's
    change, a merge keeping only ours, an odd name, a commit changing nothing."""
    commit(work, {"src/a.c": b"a0\n", "src/lib/b.c": b"b0\n", "README": b"r\n"}, "Start")
    commit(work, {"src/a.c": b"a1\n"}, "A once")
    git("checkout", "-q", "-b", "side", cwd=work)
    commit(work, {"src/lib/b.c": b"b-side\n"}, "B on the side")
    commit(work, {"docs/side.md": b"s\n"}, "Docs on the side")
    git("checkout", "-q", "main", cwd=work)
    commit(work, {"README": b"r2\n"}, "Readme")
    git("merge", "-q", "--no-ff", "-m", "Merge side", "side", cwd=work)
    git("mv", "src/a.c", "src/lib/a.c", cwd=work)
    git("commit", "-q", "-m", "Move a", cwd=work)
    git("checkout", "-q", "-b", "ours", cwd=work)
    commit(work, {"README": b"never\n"}, "Readme never merged")
    git("checkout", "-q", "main", cwd=work)
    git("merge", "-q", "-s", "ours", "-m", "Merge ours", "ours", cwd=work)
    git("commit", "-q", "--allow-empty", "-m", "Nothing", cwd=work)
    commit(work, {ODD: b"odd\n"}, "Odd name")
    git("rm", "-q", "src/lib/b.c", cwd=work)
    git("commit", "-q", "-m", "Remove b", cwd=work)


def _paths_ever(bare: Path) -> set[str]:
    out = subprocess.run(["git", "-C", str(bare), "log", "--all", "--no-renames", "--name-only",
                          "-z", "--format="], env=ENV, capture_output=True, check=True).stdout
    files = {p.decode().lstrip("\n") for p in out.split(b"\0") if p.strip(b"\n")}
    return path_rules.with_folders(files)


def _git_says(bare: Path, start: str, path: str, limit: int) -> list[str]:
    out = subprocess.run(["git", "-C", str(bare), "log", "--first-parent", f"-n{limit}",
                          "--format=%H", start, "--", path],
                         env=ENV, capture_output=True, check=True).stdout.decode()
    return out.split()


def _agrees_with_git(project_id: int, bare: Path, branch: str = "main") -> int:
    line = git("-C", str(bare), "rev-list", "--first-parent", branch).split()
    checked = 0
    for path in sorted(_paths_ever(bare)):
        for start in line:
            for limit in (2, 51):
                assert path_index.indexed(db.session, project_id, start, path, limit) == \
                    _git_says(bare, start, path, limit), (path, start, limit)
                checked += 1
    return checked


def test_the_index_answers_as_git_log_does(app, dryer):
    project_id, bare, work = dryer
    _history(work)
    _publish(work, bare)
    with app.app_context():
        assert path_index.update(db.session, project_id, bare, "main") == 9
        db.session.commit()
        assert _agrees_with_git(project_id, bare) == 10 * 9 * 2  # paths, starts, page sizes
        # The side branches' own commits are not on the line: git walks them.
        side = git("-C", str(bare), "rev-parse", "side")
        assert path_index.indexed(db.session, project_id, side, "src/lib/b.c", 5) is None
        # A folder's history, and the merge that brought the side's change.
        summaries = [e.summary for e in path_index.log_page(
            db.session, project_id, bare, git("-C", str(bare), "rev-parse", "main"), "src", 51)]
        assert summaries == ["Remove b", "Move a", "Merge side", "A once", "Start"]
        assert [e.summary for e in path_index.log_page(
            db.session, project_id, bare, side, "src/lib/b.c", 51)] == ["B on the side", "Start"]
        # Nothing new: nothing done.
        assert path_index.update(db.session, project_id, bare, "main") == 0


def test_new_commits_are_appended_and_a_rewrite_is_indexed_anew(app, dryer):
    project_id, bare, work = dryer
    _history(work)
    _publish(work, bare)
    with app.app_context():
        path_index.update(db.session, project_id, bare, "main")
        db.session.commit()
        first_line = db.session.scalar(sa.select(PathIndexLine.id))
        commit(work, {"src/lib/a.c": b"a2\n"}, "A again")
        git("checkout", "-q", "side", cwd=work)
        commit(work, {"src/lib/c.c": b"c3\n"}, "C on the side")
        git("checkout", "-q", "main", cwd=work)
        git("merge", "-q", "--no-ff", "-m", "Merge side again", "side", cwd=work)
        _publish(work, bare)
        assert path_index.update(db.session, project_id, bare, "main") == 2
        db.session.commit()
        assert db.session.scalar(sa.select(PathIndexLine.id)) == first_line  # appended
        _agrees_with_git(project_id, bare)
        # History rewritten (a force-push of an amended tip): indexed anew.
        git("reset", "-q", "--hard", "HEAD~2", cwd=work)
        commit(work, {"docs/new.md": b"n\n"}, "Instead")
        _publish(work, bare)
        assert path_index.update(db.session, project_id, bare, "main") == 10
        db.session.commit()
        assert db.session.scalar(sa.select(PathIndexLine.tip)) == \
            git("-C", str(bare), "rev-parse", "main")
        _agrees_with_git(project_id, bare)
        # Another default branch: its line instead; no branch: no index.
        assert path_index.update(db.session, project_id, bare, "side") == 5
        db.session.commit()
        _agrees_with_git(project_id, bare, "side")
        assert path_index.update(db.session, project_id, bare, "gone") == 0
        db.session.commit()
        for model in (PathIndexLine, PathIndexCommit, PathIndexChange):
            assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0


def test_a_build_cut_short_leaves_a_line_that_answers_right_and_goes_on_later(
        app, dryer, monkeypatch):
    project_id, bare, work = dryer
    _history(work)
    _publish(work, bare)
    monkeypatch.setattr(path_index, "_BATCH", 1)  # each commit in a transaction of its own
    with app.app_context():
        path_index.update(db.session, project_id, bare, "main")
        old_line = git("-C", str(bare), "rev-list", "--first-parent", "main").split()
        # The history is rewritten, so indexed anew, and a commit's tree
        # is missing: git fails on reaching it, after the older ones.
        git("reset", "-q", "--hard", "HEAD~1", cwd=work)
        commit(work, {"src/x.c": b"x\n"}, "X")
        _publish(work, bare)
        tree = git("-C", str(bare), "rev-parse", "main~4^{tree}")
        pack = _drop_object(bare, tree)
        with pytest.raises(runner.GitError):
            path_index.update(db.session, project_id, bare, "main")
        line = git("-C", str(bare), "rev-list", "--first-parent", "main").split()
        tip, length = db.session.execute(sa.select(PathIndexLine.tip, PathIndexLine.length)).one()
        # A line up to a commit before the one git could not read (a
        # commit is kept only once git has listed the next one).
        assert 0 < length <= len(line) - 5 and tip == line[len(line) - length]
        held = len(line) - length
        for start in line[held:]:
            assert path_index.indexed(db.session, project_id, start, "src", 51) == \
                _git_says(bare, start, "src", 51)
        for start in line[:held]:
            assert path_index.indexed(db.session, project_id, start, "src", 51) is None
        assert old_line[0] not in line
        assert path_index.indexed(db.session, project_id, old_line[0], "src", 51) is None
        # Once git can read it all, the next update goes on from there.
        git("-C", str(bare), "unpack-objects", "-q", input=pack)
        assert path_index.update(db.session, project_id, bare, "main") == held
        assert _agrees_with_git(project_id, bare) > 0


def _drop_object(bare: Path, sha: str) -> bytes:
    """Repack the repository without object *sha*; a pack of it alone."""
    alone = subprocess.run(["git", "-C", str(bare), "pack-objects", "--stdout"],
                           input=sha.encode() + b"\n", env=ENV, capture_output=True,
                           check=True).stdout
    listed = subprocess.run(["git", "-C", str(bare), "rev-list", "--objects", "--all"],
                            env=ENV, capture_output=True, check=True).stdout.decode()
    keep = "".join(line.split()[0] + "\n" for line in listed.splitlines()
                   if not line.startswith(sha))
    old = list((bare / "objects" / "pack").glob("pack-*"))
    subprocess.run(["git", "-C", str(bare), "pack-objects", "-q",
                    str(bare / "objects" / "pack" / "pack")], input=keep.encode(), env=ENV,
                   capture_output=True, check=True)
    for file in old:
        file.unlink()
    return alone


def test_names_git_would_read_as_patterns_headers_or_statuses_are_names(app, dryer):
    project_id, bare, work = dryer
    root = commit(work, {"README": b"r\n"}, "Start")
    git("checkout", "-q", "-b", "side", cwd=work)
    side = commit(work, {"side.txt": b"s\n"}, "Side only")
    git("checkout", "-q", "main", cwd=work)
    commit(work, {"a*": b"1\n", "ab": b"1\n", "M": b"m\n", "\x01\x01": b"x\n",
                  f"\x01{side} {root}": b"y\n", "src/x.c": b"x\n"}, "Odd names")
    commit(work, {"ab": b"2\n", "x[1]": b"1\n"}, "Only ab, and a bracket")
    tip = commit(work, {"x1": b"1\n", "M": b"m2\n"}, "x1")
    _publish(work, bare)
    with app.app_context():
        path_index.update(db.session, project_id, bare, "main")
        for name in ("a*", "ab", "x[1]", "x1", "M", "src/x.c", ":(top)README", ":/README"):
            walked = [entry.sha for entry in reading._git_log(bare, tip, name, 51)]
            assert path_index.indexed(db.session, project_id, tip, name, 51) == walked, name
        assert len(path_index.indexed(db.session, project_id, tip, "a*", 51) or []) == 1
        assert path_index.indexed(db.session, project_id, tip, ":/README", 51) == []
        # The side commit named in a file name is nowhere in the index.
        assert path_index.indexed(db.session, project_id, side, "side.txt", 51) is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PathIndexCommit)
                                 .where(PathIndexCommit.sha == side)) == 0


def test_names_not_utf8_and_very_long_paths_are_walked_by_git(app, dryer):
    project_id, bare, work = dryer
    deep = "/".join("d" * 200 for _ in range(6)) + "/f.txt"  # 1,212 bytes
    commit(work, {"README": b"r\n"}, "Start")
    commit(work, {"dir/caf\udce9": b"1\n", deep: b"x\n"}, "E9 and deep")
    tip = commit(work, {"dir/caf\udce8": b"1\n"}, "E8")
    _publish(work, bare)
    with app.app_context():
        assert path_index.update(db.session, project_id, bare, "main") == 3
        for name in ("dir/caf\ufffd", deep):
            assert path_index.indexed(db.session, project_id, tip, name, 51) is None
            assert path_index.log_page(db.session, project_id, bare, tip, name, 51) == \
                reading._git_log(bare, tip, name, 51)
        # Their folders are indexed as any other.
        assert _summaries(project_id, bare, tip, "dir") == ["E8", "E9 and deep"]
        assert _summaries(project_id, bare, tip, "/".join(deep.split("/")[:3])) == \
            ["E9 and deep"]
        assert _summaries(project_id, bare, tip, "README") == ["Start"]


def _summaries(project_id: int, bare: Path, start: str, subpath: str) -> list[str]:
    shas = path_index.indexed(db.session, project_id, start, subpath, 51)
    assert shas is not None, subpath
    assert shas == _git_says(bare, start, subpath, 51)
    return [entry.summary for entry in reading.entries(bare, shas)]


def test_submodules_count_whatever_the_repositorys_config_says(app, dryer, tmp_path):
    project_id, bare, work = dryer
    other = tmp_path / "other"
    git("init", "-q", "-b", "main", str(other))
    first = commit(other, {"o": b"1\n"}, "Other 1")
    second = commit(other, {"o": b"2\n"}, "Other 2")
    commit(work, {"README": b"r\n"}, "Start")
    for number, sha in enumerate((first, second)):
        git("update-index", "--add", "--cacheinfo", f"160000,{sha},lib", cwd=work)
        git("commit", "-q", "-m", f"Submodule at {number + 1}", cwd=work)
    _publish(work, bare)
    git("-C", str(bare), "config", "diff.ignoreSubmodules", "all")
    with app.app_context():
        path_index.update(db.session, project_id, bare, "main")
        tip = git("-C", str(bare), "rev-parse", "main")
        assert _summaries(project_id, bare, tip, "lib") == ["Submodule at 2", "Submodule at 1"]


def test_a_job_writing_a_line_another_replaced_stops(app, dryer, monkeypatch):
    project_id, bare, work = dryer
    for number in range(6):
        commit(work, {"README": f"{number}\n".encode(), f"f{number}": b"x\n"}, f"Main {number}")
    main_tip = git("rev-parse", "HEAD", cwd=work)
    git("checkout", "-q", "--orphan", "alt", cwd=work)
    alt_tip = commit(work, {"README": b"alt0\n"}, "Alt 0")
    git("checkout", "-q", "main", cwd=work)
    _publish(work, bare)
    monkeypatch.setattr(path_index, "_BATCH", 1)
    with app.app_context():
        first = Session(db.engine)
        other_ran = []

        @event.listens_for(first, "after_commit")
        def other_job(session):
            # After the first job's first batch, another (the default branch
            # changed, or main was force-pushed) indexes its line anew.
            if not other_ran:
                other_ran.append(path_index.update(db.session, project_id, bare, "alt"))

        with pytest.raises(path_index.Moved):
            path_index.update(first, project_id, bare, "main")
        first.close()
        assert other_ran == [1]
        assert db.session.execute(sa.select(PathIndexLine.branch, PathIndexLine.tip,
                                            PathIndexLine.length)).all() == [("alt", alt_tip, 1)]
        assert path_index.indexed(db.session, project_id, main_tip, "README", 51) is None
        assert _summaries(project_id, bare, alt_tip, "README") == ["Alt 0"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PathIndexCommit)) == 1


def test_a_branch_moved_back_is_indexed_anew_and_reindex_forgets_it(app, dryer, runner):
    project_id, bare, work = dryer
    _history(work)
    _publish(work, bare)
    with app.app_context():
        path_index.update(db.session, project_id, bare, "main")
        git("-C", str(bare), "update-ref", "refs/heads/main", "main~3")
        assert path_index.update(db.session, project_id, bare, "main") == 6
        assert _agrees_with_git(project_id, bare) == 8 * 6 * 2  # the odd name came later
    assert runner.invoke(args=["contributions", "reindex", "dryer"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PathIndexLine)) == 0


# --- Through the reconciler and the pages ------------------------------------

def _gits_run(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records
            if record.name == "commons.git.runner" and " log " in record.getMessage()]


def test_a_restored_repository_is_indexed_when_a_worker_starts_and_pages_use_it(
        app, dryer, client, caplog):
    project_id, bare, work = dryer
    _history(work)
    _publish(work, bare)
    with app.app_context():
        enqueue("git.reconcile_all")  # what a worker runs as it starts
        tip = git("-C", str(bare), "rev-parse", "main")
        assert db.session.scalar(sa.select(PathIndexLine.tip)
                                 .where(PathIndexLine.project_id == project_id)) == tip
        assert path_index.indexed(db.session, project_id, tip, "src/lib/a.c", 51) is not None
    caplog.set_level(logging.DEBUG, logger="commons.git.runner")
    page = client.get("/projects/dryer/commits/main/src/lib").get_data(as_text=True)
    for summary in ("Remove b", "Move a", "Merge side", "Start"):
        assert summary in page
    assert "A once" not in page  # src/a.c then: not in src/lib
    # A later page from a commit id, as the "older" link asks for it.
    older = git("-C", str(bare), "rev-parse", "main~4")  # "Merge side"
    page = client.get(f"/projects/dryer/commits/main/src/lib?after={older}").get_data(as_text=True)
    assert "Start" in page and "Move a" not in page
    assert _gits_run(caplog) == []  # both pages from the index: no git log
    # Another branch's history is not indexed: git walks it.
    page = client.get("/projects/dryer/commits/side/src/lib").get_data(as_text=True)
    assert "B on the side" in page
    assert len(_gits_run(caplog)) == 1


def test_a_push_extends_the_index(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice, push="direct")
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug, alice), str(work))
    for number in range(3):
        forge.commit(work, f"docs/note{number}.md", f"note {number}\n", f"Note {number}",
                     author=alice)
    forge.git("push", "-q", "origin", "HEAD:refs/heads/main", cwd=work)
    forge.pushes(1)
    repo = Path(forge.app.config["REPOS_DIR"]) / f"{slug}.git"
    tip = forge.git("-C", str(repo), "rev-parse", "main").stdout.strip()
    with forge.app.app_context():
        project_id = db.session.scalar(sa.select(Project.id).where(Project.slug == slug))
        # The index is brought up to date right after the push is recorded.
        deadline = time.monotonic() + 20
        while db.session.scalar(sa.select(PathIndexLine.tip).where(
                PathIndexLine.project_id == project_id)) != tip:
            assert time.monotonic() < deadline, "the push was never indexed"
            db.session.rollback()
            time.sleep(0.05)
        shas = path_index.indexed(db.session, project_id, tip, "docs/note1.md", 51)
        assert shas == _git_says(repo, tip, "docs/note1.md", 51) and len(shas) == 1
        assert path_index.indexed(db.session, project_id, tip, "docs", 51) == \
            _git_says(repo, tip, "docs", 51)
    # The next push adds its commit to the same line.
    forge.commit(work, "docs/note1.md", "changed\n", "Note 1 again", author=alice)
    forge.git("push", "-q", "origin", "HEAD:refs/heads/main", cwd=work)
    forge.pushes(2)
    tip = forge.git("-C", str(repo), "rev-parse", "main").stdout.strip()
    with forge.app.app_context():
        deadline = time.monotonic() + 20
        while (line := db.session.execute(sa.select(PathIndexLine.tip, PathIndexLine.length).where(
                PathIndexLine.project_id == project_id)).one())[0] != tip:
            assert time.monotonic() < deadline, "the second push was never indexed"
            db.session.rollback()
            time.sleep(0.05)
        assert line[1] == int(forge.git("-C", str(repo), "rev-list", "--count", "--first-parent",
                                        "main").stdout)
        assert [e.summary for e in path_index.log_page(
            db.session, project_id, repo, tip, "docs/note1.md", 51)] == ["Note 1 again", "Note 1"]
