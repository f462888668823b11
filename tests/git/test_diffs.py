"""Diffs as the pages read them: git's real output parsed into files, hunks
and numbered lines; renames, binaries, mode changes and odd file names;
caps that stop git early; the compare page."""

import os
import subprocess
from pathlib import Path

import pytest

from commons.git import diffing, merging
from commons.git.diff_rules import Caps, Line, line_anchor, parse_numstat, unquote
from tests.git.conftest import founded_by_ada

ENV = {"GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.org",
       "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.org",
       "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "PATH": "/usr/bin:/bin"}
WIDE = Caps(max_lines=100_000, max_bytes=64 * 1024 * 1024, max_file_lines=200_000)


def git(*args, cwd):
    result = subprocess.run(["git", *args], cwd=cwd, env=ENV, capture_output=True)
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    return result.stdout.decode("utf-8", "replace")


def commit_all(work: Path, message: str) -> str:
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", message, cwd=work)
    return git("rev-parse", "HEAD", cwd=work).strip()


@pytest.fixture
def work(tmp_path):
    path = tmp_path / "work"
    path.mkdir()
    git("init", "-q", "-b", "main", cwd=path)
    return path


def test_renames_binaries_modes_and_non_utf8_names_are_read_as_such(work):
    body = "".join(f"def f{i}():\n    return {i}\n" for i in range(20))
    (work / "old_name.py").write_text(body)
    (work / "logo.png").write_bytes(b"\x89PNG\x00\x01" * 50)
    (work / "run.sh").write_text("echo hi\n")
    (work / "edit.txt").write_text("one\ntwo\nthree\nfour\n")
    base = commit_all(work, "Start")
    git("mv", "old_name.py", "new_name.py", cwd=work)
    (work / "new_name.py").write_text(body.replace("return 3\n", "return 33\n"))
    (work / "logo.png").write_bytes(b"\x89PNG\x00\x02" * 50)
    os.chmod(work / "run.sh", 0o755)
    (work / "edit.txt").write_text("one\n2\nthree\nfour\nfive\n")
    (work / os.fsdecode(b"caf\xe9 menu.txt")).write_text("latin-1 name\n")
    head = commit_all(work, "Change")

    change = diffing.read_change(work, base, head, WIDE)
    files = {f.path: f for f in change.diff.files}
    renamed = files["new_name.py"]
    assert (renamed.status, renamed.old_path) == ("renamed", "old_name.py")
    assert renamed.similarity and renamed.similarity > 80
    assert (renamed.added, renamed.removed) == (1, 1)
    assert files["logo.png"].binary and files["logo.png"].added is None
    assert (files["run.sh"].old_mode, files["run.sh"].new_mode) == ("100644", "100755")
    assert not files["run.sh"].hunks
    odd = files["caf\ufffd menu.txt"]       # undecodable byte shown, never an error
    assert odd.status == "added" and odd.rendered and odd.hunks[0].lines[0].text == "latin-1 name"
    # Old and new numbers per line, kinds, no raw header lines kept.
    lines = [(line.kind, line.old, line.new, line.text) for line in files["edit.txt"].hunks[0].lines]
    assert lines == [("context", 1, 1, "one"), ("removed", 2, None, "two"), ("added", None, 2, "2"),
                     ("context", 3, 3, "three"), ("context", 4, 4, "four"),
                     ("added", None, 5, "five")]
    texts = [line.text for f in change.diff.files for h in f.hunks for line in h.lines]
    assert not any(t.startswith(("index ", "--- a/", "+++ b/")) for t in texts)
    assert (change.diff.added, change.diff.removed) == (1 + 2 + 1, 1 + 1)
    # Python is highlighted, one HTML line per diff line.
    hunk = renamed.hunks[0]
    assert len(hunk.html) == len(hunk.lines) and '<span class="k">return</span>' in "".join(hunk.html)


def test_a_rename_between_names_with_spaces_is_one_file(work):
    (work / "my old notes.txt").write_text("".join(f"note {i}\n" for i in range(30)))
    base = commit_all(work, "Notes")
    git("mv", "my old notes.txt", "our new notes.txt", cwd=work)
    (work / "our new notes.txt").write_text("".join(f"note {i}\n" for i in range(31)))
    head = commit_all(work, "Rename")
    files = diffing.read_change(work, base, head, WIDE).diff.files
    assert [(f.path, f.old_path, f.status, f.added) for f in files] == [
        ("our new notes.txt", "my old notes.txt", "renamed", 1)]
    assert files[0].rendered and files[0].hunks[0].lines[-1] == Line("added", None, 31, "note 30")


def test_line_anchors_are_stable_ids():
    first = line_anchor("src/a b.py", "new", 12)
    assert first == line_anchor("src/a b.py", "new", 12) != line_anchor("src/a b.py", "old", 12)
    assert first.replace("-", "").isalnum() and first.endswith("-new-12")


def test_quoted_paths_and_rename_numstat_are_parsed():
    assert unquote(b'"caf\\303\\251 \\"x\\"\\t.txt"') == "café \"x\"\t.txt".encode()
    assert unquote(b"plain.txt") == b"plain.txt"
    files = parse_numstat(b"1\t2\tsame.txt\x003\t0\t\x00old.txt\x00new.txt\x00-\t-\tlogo.png\x00")
    assert [(f.path, f.old_path, f.status, f.added, f.binary) for f in files] == [
        ("same.txt", "same.txt", "modified", 1, False), ("new.txt", "old.txt", "renamed", 3, False),
        ("logo.png", "logo.png", "modified", None, True)]


def test_a_100000_line_file_is_folded_and_git_is_stopped_at_the_cap(work):
    (work / "seed.txt").write_text("seed\n")
    base = commit_all(work, "Start")
    (work / "huge.txt").write_text("".join(f"row {i}\n" for i in range(100_000)))
    (work / "small.txt").write_text("small\n")
    head = commit_all(work, "Huge")

    # Over the per-file cap: folded, left out of the patch, the rest shown.
    change = diffing.read_change(work, base, head, Caps(10_000, 4 << 20, 2_000))
    files = {f.path: f for f in change.diff.files}
    assert files["huge.txt"].collapsed and not files["huge.txt"].hunks
    assert files["huge.txt"].added == 100_000 and files["small.txt"].hunks
    assert not change.diff.truncated and change.diff.lines_read == 1

    # Under the per-file cap but over the total: reading stops at the cap,
    # long before git's whole answer (about 1 MB) is read.
    change = diffing.read_change(work, base, head, Caps(1_000, 4 << 20, 200_000))
    assert change.diff.truncated and change.diff.lines_read == 1_000
    assert change.diff.bytes_read < 40_000
    assert sum(len(h.lines) for f in change.diff.files for h in f.hunks) == 1_000
    # The byte cap stops it too.
    change = diffing.read_change(work, base, head, Caps(1_000_000, 10_000, 200_000))
    assert change.diff.truncated and change.diff.bytes_read <= 10_000 + 100


def test_merge_tree_output_is_read_exactly():
    assert merging.parse_merge_tree(0, b"4b825dc642cb6eb9a060e54bf8d69288fbee4904\n").clean
    conflicted = merging.parse_merge_tree(
        1, b"4b825dc642cb6eb9a060e54bf8d69288fbee4904\nb.txt\na.txt\n\"caf\\303\\251\"\n\n"
           b"Auto-merging a.txt\nCONFLICT (content): Merge conflict in a.txt\n")
    assert not conflicted.clean and conflicted.conflicts == ["a.txt", "b.txt", "café"]


def test_mergeability_clean_and_conflicting_with_real_git(work):
    (work / "a.txt").write_text("one\n")
    (work / "b.txt").write_text("two\n")
    base = commit_all(work, "Start")
    git("checkout", "-q", "-b", "topic", cwd=work)
    (work / "a.txt").write_text("one, topic\n")
    topic = commit_all(work, "Topic")
    git("checkout", "-q", "main", cwd=work)
    (work / "b.txt").write_text("two, main\n")
    main = commit_all(work, "Main, elsewhere")
    assert merging.mergeability(work, main, topic) == merging.Mergeability(True)
    (work / "a.txt").write_text("one, main\n")
    main = commit_all(work, "Main, same line")
    result = merging.mergeability(work, main, topic)
    assert not result.clean and result.conflicts == ["a.txt"]
    assert merging.mergeability(work, base, topic).clean


# Pages -------------------------------------------------------------------


@pytest.fixture
def pushed(app, tmp_path, repos_dir):
    """Project "dryer" whose repository holds main and a branch "topic"."""
    founded_by_ada(app)
    work = tmp_path / "clone"
    git("clone", "-q", str(repos_dir / "dryer.git"), str(work), cwd=tmp_path)
    (work / "frame.py").write_text("def frame():\n    return 'steel'\n")
    commit_all(work, "Frame")
    git("push", "-q", "origin", "main", cwd=work)
    git("checkout", "-q", "-b", "topic", cwd=work)
    return work


def push(work, repos_dir, *refs):
    git("push", "-q", "-f", str(repos_dir / "dryer.git"), *refs, cwd=work)


def test_compare_shows_commits_files_and_the_diff(client, pushed, repos_dir):
    (pushed / "frame.py").write_text("def frame():\n    return '<bamboo>'\n")
    first = commit_all(pushed, "Bamboo")
    (pushed / "notes.md").write_text("# Notes\n")
    second = commit_all(pushed, "Notes")
    push(pushed, repos_dir, "topic")
    response = client.get("/projects/dryer/compare/main...topic")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 commits" in html and html.index(second) < html.index(first)   # newest first
    assert "2 files changed" in html and "&lt;bamboo&gt;" in html and "<bamboo>" not in html
    assert f'id="{line_anchor("frame.py", "new", 2)}"' in html
    assert f'id="{line_anchor("frame.py", "old", 2)}"' in html
    assert f'href="/projects/dryer/blob/{second}/notes.md"' in html
    assert 'tabindex="0" role="region" aria-label="Changes to frame.py"' in html
    patch = client.get("/projects/dryer/compare/main...topic.patch")
    assert patch.status_code == 200 and patch.headers["Content-Type"].startswith("text/plain")
    body = patch.get_data(as_text=True)
    assert "Subject: [PATCH 1/2] Bamboo" in body and "Subject: [PATCH 2/2] Notes" in body


@pytest.mark.parametrize("spec", ["main...nope", "nope...main", "main", "main..topic",
                                  "...topic", "main...nope.patch"])
def test_compare_of_unknown_refs_is_a_404_that_says_why(client, pushed, repos_dir, spec):
    push(pushed, repos_dir, "topic")
    response = client.get(f"/projects/dryer/compare/{spec}")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Check the name on the Branches page" in html or "/compare/&lt;base&gt;" in html


def test_a_compare_patch_over_the_cap_is_cut_and_says_so(app, client, pushed, repos_dir):
    (pushed / "big.txt").write_text("x" * 50_000 + "\n")
    commit_all(pushed, "Big")
    push(pushed, repos_dir, "topic")
    app.config["MAX_PATCH_BYTES"] = 10_000
    body = client.get("/projects/dryer/compare/main...topic.patch").get_data()
    assert len(body) < 10_500 and b"cut here: this patch is over 10000 bytes" in body


def test_5000_files_answer_within_the_caps(app, client, pushed, repos_dir):
    for number in range(5000):
        (pushed / f"f{number:04}.txt").write_text(f"file {number}\n")
    sha = commit_all(pushed, "Five thousand files")
    push(pushed, repos_dir, "topic")
    app.config["DIFF_MAX_LINES"] = 2_000
    html = client.get("/projects/dryer/compare/main...topic").get_data(as_text=True)
    assert "5000 files changed" in html and "larger than a page shows" in html
    assert html.count('<tr class="added">') == 2_000
    assert "Not shown: past what a page shows" in html
    commit_page = client.get(f"/projects/dryer/commit/{sha}")
    assert commit_page.status_code == 200 and "5000 files changed" in commit_page.get_data(True)


def test_a_non_utf8_file_name_never_breaks_the_pages(client, pushed, repos_dir):
    (pushed / os.fsdecode(b"men\xfc.txt")).write_text("soup\n")
    sha = commit_all(pushed, "Odd name")
    push(pushed, repos_dir, "topic")
    for url in ("/projects/dryer/compare/main...topic", f"/projects/dryer/commit/{sha}"):
        response = client.get(url)
        assert response.status_code == 200 and "men\ufffd.txt" in response.get_data(True)


def test_the_first_commit_is_shown_against_nothing(client, pushed, repos_dir):
    sha = git("rev-list", "--max-parents=0", "HEAD", cwd=pushed).strip()
    html = client.get(f"/projects/dryer/commit/{sha}").get_data(as_text=True)
    assert "file" in html and f'id="{line_anchor("LICENSE", "new", 1)}"' in html


def test_highlighted_hunks_are_kept_within_a_bound_and_per_lexer(monkeypatch):
    """Pygments is most of a large page's cost, so highlighted hunks are kept
    across requests, bounded by the lines held; the lexer is part of the key."""
    monkeypatch.setattr(diffing, "HIGHLIGHT_CACHE_LINES", 5)
    monkeypatch.setattr(diffing, "_cache", type(diffing._cache)())
    monkeypatch.setattr(diffing, "_cache_lines", 0)
    python, shell = diffing._lexer("a.py"), diffing._lexer("a.sh")
    assert python is not None and shell is not None
    first = diffing._highlighted(python, ["def f():", "    return 1"])
    assert diffing._highlighted(python, ["def f():", "    return 1"]) is first
    assert diffing._highlighted(shell, ["def f():", "    return 1"]) is not first
    for number in range(10):
        diffing._highlighted(python, [f"x = {number}", "y = 2"])
        assert diffing._cache_lines <= 5
    assert len(diffing._cache) == 2
    # Past the bound the oldest went: asked again, it is highlighted afresh, the same.
    again = diffing._highlighted(python, ["def f():", "    return 1"])
    assert again is not first and again == first


def test_numstat_answers_are_kept_within_a_bound_and_parsed_afresh(work, monkeypatch):
    """The summary and the Changes view ask git for the same numstat; it is
    kept by (repository, base, head), bounded by bytes, and each caller gets
    its own files to mark (collapsed, hunks)."""
    monkeypatch.setattr(diffing, "_numstats", type(diffing._numstats)())
    monkeypatch.setattr(diffing, "_numstat_bytes", 0)
    (work / "a.txt").write_text("one\n")
    base = commit_all(work, "One")
    (work / "a.txt").write_text("one\ntwo\n")
    (work / "b.txt").write_text("new\n")
    head = commit_all(work, "Two")
    first, complete = diffing.numstat(work, base, head)
    first[0].collapsed = True
    second, _ = diffing.numstat(work, base, head)
    assert complete and [(f.path, f.added) for f in second] == [("a.txt", 1), ("b.txt", 1)]
    assert not second[0].collapsed and list(diffing._numstats) == [(str(work), base, head)]
    monkeypatch.setattr(diffing, "NUMSTAT_CACHE_BYTES", 10)   # smaller than one answer
    diffing.numstat(work, head, base)
    assert (str(work), head, base) not in diffing._numstats


def _spawned_gits(monkeypatch) -> list[list[str]]:
    """The git commands diffing starts from now on (the real ones run)."""
    started: list[list[str]] = []
    real = diffing.runner.start

    def counted(path, *args, **options):
        started.append(list(args))
        return real(path, *args, **options)

    monkeypatch.setattr(diffing.runner, "start", counted)
    return started


def _shown(change) -> list:
    return [(f.path, f.old_path, f.status, f.similarity, f.binary, f.added, f.removed,
             f.collapsed, f.rendered, [(h.header, h.lines) for h in f.hunks])
            for f in change.diff.files]


@pytest.mark.parametrize("fold", [False, True])
def test_one_git_reads_the_summary_and_the_patch(work, monkeypatch, fold):
    """Between two commits the worker's long-lived diff-tree answers (no
    git started); a folded file costs a git that leaves it out. An answer
    longer than the caps allow closes that process and costs one git of
    its own (--numstat -z -p), or two with a folded file. Every way reads
    the same files, hunks and lines, and the long-lived process stays in
    step from one change to the next."""
    monkeypatch.setattr(diffing, "_numstats", type(diffing._numstats)())
    body = "".join(f"line {i}\n" for i in range(40))
    (work / "my old notes.txt").write_text(body)
    (work / "logo.png").write_bytes(b"\x89PNG\x00\x01" * 50)
    (work / "big.txt").write_text("x\n" * 50)
    base = commit_all(work, "Start")
    git("mv", "my old notes.txt", "our new notes.txt", cwd=work)
    (work / "our new notes.txt").write_text(body.replace("line 3\n", "line three\n"))
    (work / "logo.png").write_bytes(b"\x89PNG\x00\x02" * 50)
    (work / os.fsdecode(b"caf\xe9\tmenu.txt")).write_text("a tab and latin-1\n")
    (work / "big.txt").write_text("y\n" * 50)
    head = commit_all(work, "Change")
    caps = Caps(max_lines=1000, max_bytes=1024 * 1024, max_file_lines=60 if fold else 1000)
    started = _spawned_gits(monkeypatch)

    through_diff_tree = diffing.read_change(work, base, head, caps)
    assert len(started) == (1 if fold else 0)
    assert all(":(exclude,literal)big.txt" in args for args in started)
    backwards = diffing.read_change(work, head, base, caps)   # the same process, in step
    undone = {f.path: f for f in backwards.diff.files}["my old notes.txt"]
    assert (undone.status, undone.old_path) == ("renamed", "our new notes.txt")

    started.clear()
    monkeypatch.setattr(diffing, "_numstats", type(diffing._numstats)())
    monkeypatch.setattr(diffing, "_SUMMARY_BOUND", -caps.max_bytes)   # every answer too long
    apart = diffing.read_change(work, base, head, caps)
    assert "--numstat" in started[0] and "-p" in started[0]
    assert len(started) == (2 if fold else 1)
    started.clear()
    kept = diffing.read_change(work, base, head, caps)   # the summary is kept now
    assert len(started) == 1 and "--numstat" not in started[0]

    assert _shown(through_diff_tree) == _shown(apart) == _shown(kept)
    monkeypatch.undo()
    assert _shown(diffing.read_change(work, base, head, caps)) == _shown(through_diff_tree)
    files = {f.path: f for f in through_diff_tree.diff.files}
    assert files["our new notes.txt"].status == "renamed"
    assert files["our new notes.txt"].old_path == "my old notes.txt"
    assert files["logo.png"].binary and files["caf\ufffd\tmenu.txt"].added == 1
    assert files["big.txt"].collapsed == fold and bool(files["big.txt"].hunks) != fold


def test_a_summary_over_its_cap_is_read_apart(work, monkeypatch):
    monkeypatch.setattr(diffing, "_numstats", type(diffing._numstats)())
    (work / "a.txt").write_text("one\n")
    base = commit_all(work, "One")
    for n in range(30):
        (work / f"file{n}.txt").write_text(f"{n}\n")
    head = commit_all(work, "Thirty")
    monkeypatch.setattr(diffing, "NUMSTAT_BYTES", 100)
    change = diffing.read_change(work, base, head, WIDE)
    # Said incomplete, as when git's summary was read by a git of its own.
    assert not change.files_complete and change.diff.truncated
    assert len(diffing.numstat(work, base, head)[0]) < 30
