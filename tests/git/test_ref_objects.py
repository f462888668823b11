"""The branches and tags lists made from the ref files and the objects
they name, without ``git for-each-ref``: the same lists git makes, and
git's own where an object or a ref file is not a plain one."""

import logging
import os
import random
import subprocess
from pathlib import Path

import pytest

from commons.git import catfile, reading, ref_lists, ref_objects

ENV = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "PATH": "/usr/bin:/bin"}
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def git(path: Path, *args: str, input: bytes | None = None) -> str:
    return subprocess.run(["git", *args], cwd=path, env=ENV, input=input, check=True,
                          capture_output=True).stdout.decode().strip()


def commit(path: Path, message: bytes, stamp: int = 1_900_000_000,
           committer: bytes | None = None) -> str:
    line = committer if committer is not None else \
        b"committer Ada <ada@example.org> %d +0100" % stamp
    raw = (b"tree %s\nauthor Ada <ada@example.org> %d +0100\n%s\n\n"
           % (EMPTY_TREE.encode(), stamp, line)) + message
    return git(path, "hash-object", "-t", "commit", "-w", "--literally", "--stdin", input=raw)


def tag(path: Path, target: str, message: bytes, kind: bytes = b"commit",
        extra: bytes = b"") -> str:
    raw = (b"object %s\ntype %s\ntag t\ntagger Ada <ada@example.org> 1900000000 +0100\n%s\n"
           % (target.encode(), kind, extra)) + message
    return git(path, "hash-object", "-t", "tag", "-w", "--literally", "--stdin", input=raw)


@pytest.fixture
def bare(tmp_path) -> Path:
    path = tmp_path / "odd.git"
    subprocess.run(["git", "init", "-q", "--bare", str(path)], env=ENV, check=True)
    git(path, "hash-object", "-t", "tree", "-w", "--stdin", input=b"")
    return path


def by_git(path: Path, kind: str) -> list[reading.Ref]:
    return reading._listed(path, f"refs/{kind}/")


def from_files(path: Path, kind: str) -> list[reading.Ref] | None:
    """The list made from the files and objects alone: with nothing kept
    of what git printed before (``by_git`` keeps it)."""
    ref_objects._kept.clear()
    names = ref_lists.snapshot(path, kind).names()
    return None if names is None else reading._from_objects(path, names)


PLAIN = [b"", b"One line", b"One line\n", b"\n\nAfter empty lines\n", b"Two\nlines\n\nBody\n",
         b"Para\n\n\n\nmore", "Line\u2028separator\fform feed".encode(),
         b"Latin-1 \xe9t\xe9\n", b"Tab\there\n\nand >  2", b"\n", b"Ends\n\n"]


def test_plain_commits_and_tags_read_as_git_reads_them(bare):
    for number, message in enumerate(PLAIN):
        sha = commit(bare, message, stamp=1_900_000_000 + number)
        git(bare, "update-ref", f"refs/heads/b{number}", sha)
        git(bare, "update-ref", f"refs/tags/light{number}", sha)
        git(bare, "update-ref", f"refs/tags/note{number}", tag(bare, sha, message))
    # A tag's date is its commit's: git does not read a committer line in a tag.
    git(bare, "update-ref", "refs/tags/with-committer",
        tag(bare, commit(bare, b"Tagged", 1_900_000_100), b"Odd tag",
            extra=b"committer A <a@b> 7 +0000\n"))
    git(bare, "pack-refs", "--all")
    git(bare, "update-ref", "refs/heads/loose/one", commit(bare, b"Loose\n", 5))
    for kind in ("heads", "tags"):
        made = from_files(bare, kind)
        assert made is not None and made == by_git(bare, kind)
    assert {ref.summary for ref in from_files(bare, "heads")} >= {
        "", "One line", "After empty lines", "Two lines", "Para",
        "Line\u2028separator\fform feed", "Latin-1 \ufffdt\ufffd", "Loose"}


@pytest.mark.parametrize("odd", [
    pytest.param(lambda path: commit(path, b"Windows\r\nline ends\r\n\r\nbody"), id="crlf"),
    pytest.param(lambda path: commit(path, b"Signed\n-----BEGIN PGP SIGNATURE-----\nx\n"),
                 id="signature"),
    pytest.param(lambda path: commit(path, b"-----BEGIN SSH SIGNATURE-----\n"), id="signature-1st"),
    pytest.param(lambda path: commit(path, b"Nul \0 inside"), id="nul"),
    pytest.param(lambda path: commit(path, b"x", committer=b"committer A <a@b>  12 +0000"),
                 id="two-spaces"),
    pytest.param(lambda path: commit(path, b"x", committer=b"committer A <a@b>12 +0000"),
                 id="no-space"),
    pytest.param(lambda path: commit(path, b"x", committer=b"committer A <a@b> 12"), id="no-zone"),
    pytest.param(lambda path: commit(path, b"x", committer=b"committer A b> c <a@b> 12 +0000"),
                 id="angle-in-name"),
    pytest.param(lambda path: commit(path, b"x", committer=b"author A <a@b> 12 +0000"),
                 id="no-committer"),
    pytest.param(lambda path: tag(path, EMPTY_TREE, b"A tree", kind=b"tree"), id="tag-of-tree"),
    pytest.param(lambda path: tag(path, tag(path, commit(path, b"c"), b"inner"), b"outer",
                                  kind=b"tag"), id="tag-of-tag"),
    pytest.param(lambda path: EMPTY_TREE, id="tree"),
    # git reads an object up to its first NUL, header included.
    pytest.param(lambda path: commit(path, b"Subject", committer=b"committer A <a@b> 12 +0000\n"
                                     b"x-extra a\0b"), id="nul-in-header"),
    pytest.param(lambda path: git(path, "hash-object", "-t", "tag", "-w", "--literally", "--stdin",
                                  input=b"object %s\ntype commit\ntagger A <a@b> 1 +0000\n\nx"
                                  % commit(path, b"c").encode()), id="tag-without-name"),
])
def test_an_object_git_may_read_otherwise_is_left_to_git(app, bare, odd, monkeypatch):
    git(bare, "update-ref", "refs/heads/plain", commit(bare, b"Plain\n"))
    git(bare, "update-ref", "refs/tags/plain", commit(bare, b"Plain\n"))
    for kind in ("heads", "tags"):
        monkeypatch.setattr(ref_objects, "_kept", type(ref_objects._kept)())
        # Written as a file: update-ref keeps branches to commits.
        (bare / "refs" / kind / "odd").write_text(odd(bare) + "\n")
        assert from_files(bare, kind) is None
        with app.app_context():
            try:
                expected = by_git(bare, kind)
            except reading.NotInRepository:  # git refuses this one outright
                with pytest.raises(reading.NotInRepository):
                    reading.refs(bare, kind)
                continue
            assert reading.refs(bare, kind) == expected
        # What git printed of a commit or a tag of one is kept, and
        # stands for the object from then on; of anything else, it is not.
        names = ref_lists.snapshot(bare, kind).names()
        assert reading._from_objects(bare, names) in (by_git(bare, kind), None)


@pytest.mark.parametrize("odd", [
    pytest.param(lambda path, sha: (path / "refs/heads/next.lock").write_text(sha + "\n"),
                 id="lock-file"),
    pytest.param(lambda path, sha: (path / "refs/heads/.hidden").write_text(sha + "\n"),
                 id="dot-file"),
    pytest.param(lambda path, sha: (path / "refs/heads/broken").write_text("not an id\n"),
                 id="broken"),
    pytest.param(lambda path, sha: (path / "refs/heads/spaced").write_text(sha + " x\n"),
                 id="trailing"),
    pytest.param(lambda path, sha: (path / "refs/heads/link").symlink_to("main"), id="symlink"),
    pytest.param(lambda path, sha: (path / "refs/heads/bad..name").write_text(sha + "\n"),
                 id="bad-name"),
    pytest.param(lambda path, sha: (path / "packed-refs").write_text(
        f"# pack-refs with: peeled fully-peeled sorted \n{sha} refs/heads/a b\n"),
        id="packed-bad-name"),
    pytest.param(lambda path, sha: (path / "packed-refs").write_text(f"{sha}\trefs/heads/x\n"),
                 id="packed-tab"),
    pytest.param(lambda path, sha: (path / "packed-refs").write_text(
        f"{sha} refs/heads/x\n# a comment\n"), id="packed-comment"),
    pytest.param(lambda path, sha: (path / "packed-refs").write_text(
        f"{sha} refs/heads/x\n{sha} refs/heads/x\n"), id="packed-twice"),
    # git searches a file said to be sorted, and would not find b.
    pytest.param(lambda path, sha: (path / "packed-refs").write_text(
        f"# pack-refs with: peeled fully-peeled sorted \n{sha} refs/heads/b\n"
        f"{sha} refs/heads/a\n"), id="packed-unsorted"),
    pytest.param(lambda path, sha: (path / "packed-refs").write_text(
        f"{sha} refs/heads/x\n^{sha}\n^{sha}\n"), id="packed-peeled-twice"),
    # Two names that are not UTF-8, which read with replacement are one.
    pytest.param(lambda path, sha: [Path(os.fsdecode(os.path.join(
        os.fsencode(path / "refs/heads"), name))).write_text(sha + "\n")
        for name in (b"\xff", b"\xfe")], id="not-utf-8"),
])
def test_a_ref_file_git_may_read_otherwise_is_left_to_git(app, bare, odd):
    sha = commit(bare, b"Main\n")
    git(bare, "update-ref", "refs/heads/main", sha)
    assert from_files(bare, "heads") is not None
    odd(bare, sha)
    assert ref_lists.snapshot(bare, "heads").names() is None
    with app.app_context():
        try:
            expected = by_git(bare, "heads")
        except reading.NotInRepository:  # git refuses this one outright
            with pytest.raises(reading.NotInRepository):
                reading.refs(bare, "heads")
        else:
            assert reading.refs(bare, "heads") == expected


def test_packed_refs_as_git_writes_them_are_read(bare):
    shas = [commit(bare, b"C%d" % number, stamp=1_900_000_000 + number) for number in range(4)]
    git(bare, "update-ref", "refs/heads/main", shas[0])
    git(bare, "update-ref", "refs/tags/v1", tag(bare, shas[1], b"Release 1\n"))
    git(bare, "update-ref", "refs/tags/v2", shas[2])
    git(bare, "pack-refs", "--all")
    packed = (bare / "packed-refs").read_text()
    assert packed.startswith("# pack-refs with:") and "\n^" in packed  # v1 peeled
    git(bare, "update-ref", "refs/heads/main", shas[3])  # loose now, over the packed one
    assert ref_lists.snapshot(bare, "heads").names() == {"refs/heads/main": shas[3]}
    assert set(ref_lists.snapshot(bare, "tags").names()) == {"refs/tags/v1", "refs/tags/v2"}
    assert from_files(bare, "tags") == by_git(bare, "tags")
    assert [ref.sha for ref in from_files(bare, "tags")] == [shas[2], shas[1]]


FRAGMENTS = [b"a", b"b c", b" ", b"\n", b"\n\n", b"\r", b"\r\n", b"\t", b"\xff", b"\xc3\xa9",
             "\u2028".encode(), b"\f", b"-----BEGIN PGP SIGNATURE-----", b"> 1", b"\x1f"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_messages_read_as_git_reads_them(bare, seed):
    """Each ref alone, from its object, against git's line for it."""
    rng = random.Random(seed)
    for number in range(60):
        message = b"".join(rng.choice(FRAGMENTS) for _ in range(rng.randrange(9)))
        sha = commit(bare, message, stamp=rng.randrange(2_000_000_000))
        git(bare, "update-ref", f"refs/heads/c{number}", sha)
        git(bare, "update-ref", f"refs/tags/t{number}",
            tag(bare, sha, b"".join(rng.choice(FRAGMENTS) for _ in range(rng.randrange(9)))))
    if seed % 2:
        git(bare, "pack-refs", "--all")
    read_plainly = 0
    for kind in ("heads", "tags"):
        expected = {ref.full_name: ref for ref in by_git(bare, kind)}
        for full, sha in ref_lists.snapshot(bare, kind).names().items():
            ref_objects._kept.clear()  # nothing git printed
            made = reading._from_objects(bare, {full: sha})
            if made is not None:
                assert made == [expected[full]]
                read_plainly += 1
    assert read_plainly >= 40  # most messages are plain; the rest are git's


def test_a_push_is_listed_again_without_git(app, bare, caplog, monkeypatch):
    """The first list of many refs is git's (one process is quicker than
    reading that many objects); what git printed then serves the lists
    after each push, which read only the objects new to them."""
    monkeypatch.setattr(ref_objects, "_kept", type(ref_objects._kept)())
    shas = [commit(bare, b"C%d" % number, stamp=1_900_000_000 + number)
            for number in range(ref_objects.FEW + 3)]
    for number, sha in enumerate(shas[:-2]):
        git(bare, "update-ref", f"refs/heads/b{number}", sha)
    caplog.set_level(logging.DEBUG, logger="commons.git.runner")

    def listings() -> int:
        return sum("for-each-ref" in record.getMessage() for record in caplog.records
                   if record.name == "commons.git.runner")

    with app.app_context():
        assert len(reading.refs(bare, "heads")) == ref_objects.FEW + 1
        assert listings() == 1
        git(bare, "update-ref", "refs/heads/b0", shas[-2])  # a commit git never printed
        git(bare, "update-ref", "refs/heads/next", shas[-1])
        assert [(ref.name, ref.sha) for ref in reading.refs(bare, "heads")[:2]] == \
            [("next", shas[-1]), ("b0", shas[-2])]
        assert reading.refs(bare, "heads") == by_git(bare, "heads")
    assert listings() == 2  # by_git's only


def test_the_objects_kept_are_bounded(app, bare, monkeypatch):
    monkeypatch.setattr(ref_objects, "_kept", type(ref_objects._kept)())
    monkeypatch.setattr(ref_objects, "_KEPT", 3)
    shas = [commit(bare, b"C%d" % number) for number in range(5)]
    assert set(ref_objects.facts(bare, shas)) == set(shas)
    assert list(ref_objects._kept) == shas[2:]
    assert ref_objects.facts(bare, shas[:1])[shas[0]].subject == "C0"
    assert list(ref_objects._kept) == shas[3:] + shas[:1]


def test_a_large_object_is_not_read(app, bare, monkeypatch):
    """A lightweight tag may name a blob of gigabytes: its type and size
    are asked, its bytes never."""
    blob = git(bare, "hash-object", "-w", "--stdin", input=b"0" * (ref_objects._LARGEST + 1))
    git(bare, "update-ref", "refs/tags/zeros", blob)
    git(bare, "update-ref", "refs/tags/plain", commit(bare, b"Plain\n"))
    asked: list[str] = []
    real = catfile.contents_of
    monkeypatch.setattr(catfile, "contents_of", lambda path, names: asked.extend(names) or
                        real(path, names))
    assert from_files(bare, "tags") is None
    assert blob not in asked
    huge = commit(bare, b"x" * (ref_objects._LARGEST + 1))
    git(bare, "update-ref", "-d", "refs/tags/zeros")
    git(bare, "update-ref", "refs/tags/huge", huge)
    assert from_files(bare, "tags") is None and huge not in asked
    with app.app_context():
        assert reading.refs(bare, "tags") == by_git(bare, "tags")


def test_a_tag_that_says_it_names_a_commit_but_names_a_tag_is_git_s(bare):
    """What is kept of a tag must not stand in for a commit's facts: git
    refuses a tag whose type line says commit where it names a tag."""
    inner = tag(bare, commit(bare, b"Inner commit\n", stamp=1_900_000_000), b"Inner\n")
    git(bare, "update-ref", "refs/tags/inner", inner)
    assert from_files(bare, "tags") is not None  # the inner tag's facts kept
    git(bare, "update-ref", "refs/tags/outer", tag(bare, inner, b"Outer\n"))
    names = ref_lists.snapshot(bare, "tags").names()
    assert reading._from_objects(bare, names) is None
    with pytest.raises(reading.NotInRepository, match="is a tag, not a commit"):
        by_git(bare, "tags")


def test_a_short_id_in_a_sha256_repository_is_git_s(tmp_path):
    """40 hex digits are a whole id in a SHA-1 repository; in a SHA-256 one
    git takes the ref for broken, and cat-file would take it for short."""
    path = tmp_path / "wide.git"
    subprocess.run(["git", "init", "-q", "--bare", "--object-format=sha256", str(path)],
                   env=ENV, check=True)
    tree = git(path, "hash-object", "-t", "tree", "-w", "--stdin", input=b"")
    raw = (b"tree %s\nauthor A <a@b> 1900000000 +0000\ncommitter A <a@b> 1900000000 +0000\n"
           b"\nWide\n" % tree.encode())
    sha = git(path, "hash-object", "-t", "commit", "-w", "--stdin", input=raw)
    assert len(sha) == 64
    git(path, "update-ref", "refs/heads/main", sha)
    assert [ref.summary for ref in from_files(path, "heads")] == ["Wide"]
    (path / "refs/heads/short").write_text(sha[:40] + "\n")
    assert from_files(path, "heads") is None


def test_what_git_printed_is_kept_for_tags_too(bare, monkeypatch):
    monkeypatch.setattr(ref_objects, "_kept", type(ref_objects._kept)())
    target = commit(bare, b"Tagged\n", stamp=1_900_000_100)
    note = tag(bare, target, b"Release\n")
    git(bare, "update-ref", "refs/tags/v1", note)
    by_git(bare, "tags")
    assert ref_objects._kept[note] == ref_objects.Facts(target, 1_900_000_100, "Release")
