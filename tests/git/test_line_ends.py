"""git's line-based answers are split at "\\n" only: a subject, an author's
name or a changed line may hold U+2028, a form feed or a lone "\\r", which
str.splitlines() would take for line ends."""

import subprocess

import pytest

from commons.git import merging, reading

ENV = {"GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.org",
       "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.org",
       "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "PATH": "/usr/bin:/bin"}
ODD = "\u2028\x0c\r\x1c\x85"


def git(*args, cwd, env=None):
    return subprocess.run(["git", *args], cwd=cwd, env={**ENV, **(env or {})}, check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.fixture
def work(tmp_path):
    path = tmp_path / "work"
    git("init", "-q", "-b", "main", str(path), cwd=tmp_path)
    (path / "a.txt").write_text("one\ntwo\nthree\n")
    git("add", "a.txt", cwd=path)
    git("commit", "-q", "-m", "Start", cwd=path)
    return path


def test_a_subject_with_odd_line_breaks_lists_as_one_ref(work):
    (work / "b.txt").write_text("b\n")
    git("add", "b.txt", cwd=work)
    git("commit", "-q", "-m", f"Fix{ODD}thing", cwd=work)
    git("branch", "odd", cwd=work)
    git("tag", "-a", "v1", "-m", f"Release{ODD}one", cwd=work)
    heads = reading.refs(work / ".git", "heads")
    assert sorted(ref.name for ref in heads) == ["main", "odd"]
    assert {ref.summary for ref in heads} == {f"Fix{ODD}thing"}
    assert [ref.summary for ref in reading.refs(work / ".git", "tags")] == [f"Release{ODD}one"]


def test_an_author_name_with_odd_line_breaks_is_one_author(work):
    (work / "b.txt").write_text("b\n")
    git("add", "b.txt", cwd=work)
    git("commit", "-q", "-m", "By Bo", cwd=work,
        env={"GIT_AUTHOR_NAME": f"Bo{ODD}Lee", "GIT_AUTHOR_EMAIL": "bo@example.org"})
    authorship = merging.commit_authors(work / ".git", "main")
    assert authorship.names == {"ada@example.org": "Ada", "bo@example.org": f"Bo{ODD}Lee"}
    assert authorship.lines == {"ada@example.org": 1, "bo@example.org": 1}


def test_a_changed_line_cannot_pass_for_a_hunk_header(work):
    base = git("rev-parse", "HEAD", cwd=work)
    # The new line, split at U+2028, would start with a hunk header naming
    # lines 1 to 3, all Ada's: only line 2 is changed.
    (work / "a.txt").write_text("one\nTWO\u2028@@ -1,3 +1,3 @@\nthree\n")
    git("commit", "-q", "-am", "Change line 2", cwd=work,
        env={"GIT_AUTHOR_NAME": "Bo", "GIT_AUTHOR_EMAIL": "bo@example.org"})
    head = git("rev-parse", "HEAD", cwd=work)
    authorship = merging.authors_of_changed_lines(work / ".git", base, head)
    assert authorship.lines == {"ada@example.org": 1}
