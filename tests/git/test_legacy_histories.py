"""Real histories move in: the quirks old tools wrote (and git only warns
about) are pushed and cloned, while every check that protects the people who
clone still refuses the push. Real git client against the live server."""

import subprocess
import urllib.request
from pathlib import Path

import pytest

from commons.git import fsck

LICENSE_TEXT = b"Copyright (c) 2010 The Legacy Authors\n"


def _store(work: Path, kind: str, body: bytes) -> str:
    """Write an object exactly as given: `git mktree` and `git commit` would
    tidy away the very quirks under test."""
    return subprocess.run(["git", "hash-object", "-t", kind, "--literally", "-w", "--stdin"],
                          cwd=work, input=body, capture_output=True, check=True,
                          ).stdout.decode().strip()


def _tree(work: Path, entries: list[tuple[str, str, str]]) -> str:
    """A tree of (mode as written, name, sha) entries, in git's order (a
    folder sorts as if its name ended in '/')."""
    def key(entry: tuple[str, str, str]) -> bytes:
        mode, name, _ = entry
        return (name + ("/" if mode.lstrip("0").startswith("4") else "")).encode()
    body = b"".join(f"{mode} {name}".encode() + b"\0" + bytes.fromhex(sha)
                    for mode, name, sha in sorted(entries, key=key))
    return _store(work, "tree", body)


def _refs(forge, slug: str) -> str:
    path = Path(forge.app.config["REPOS_DIR"]) / f"{slug}.git"
    return forge.git("-C", str(path), "for-each-ref", "--format=%(refname) %(objectname)").stdout


def _server_has(forge, slug: str, sha: str) -> bool:
    path = Path(forge.app.config["REPOS_DIR"]) / f"{slug}.git"
    return forge.git("-C", str(path), "cat-file", "-e", sha, check=False).returncode == 0


def _fsck_accepting_legacy(forge, slug: str) -> None:
    """`git fsck --strict` on the server, with the quirks a push accepts
    accepted: anything else it finds fails the test."""
    path = Path(forge.app.config["REPOS_DIR"]) / f"{slug}.git"
    forge.git(*fsck.fsck_options(), "-C", str(path), "fsck", "--strict", "--no-progress")


def _page(forge, path: str) -> int:
    with urllib.request.urlopen(forge.base + path) as response:
        return response.status


def _clone(forge, tmp_path: Path, slug: str, person) -> Path:
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug, person), str(work))
    return work


@pytest.fixture
def alice(forge):
    return forge.person("alice")


def test_a_tree_with_zero_padded_modes_pushes_and_clones(forge, alice, tmp_path):
    slug = forge.project(alice)
    work = _clone(forge, tmp_path, slug, alice)
    blob = _store(work, "blob", b"print('hello from 2010')\n")
    # pallets/flask's 2010 trees: '040000' for a folder, '0100644' for a file.
    folder = _tree(work, [("0100644", "app.py", blob)])
    root = _tree(work, [("040000", "flask", folder), ("100644", "LICENSE", _store(
        work, "blob", LICENSE_TEXT))])
    assert forge.git("cat-file", "-p", root, cwd=work).stdout  # git reads it
    commit = forge.git("commit-tree", root, "-p", "HEAD", "-m", "Legacy layout",
                       cwd=work).stdout.strip()
    pushed = forge.git("push", "origin", f"{commit}:refs/heads/legacy", cwd=work, check=False)
    assert pushed.returncode == 0, pushed.stderr
    assert forge.server_ref(slug, "refs/heads/legacy") == commit
    # Plain `git fsck` only warns about it; with the accepted ids, --strict is clean.
    path = Path(forge.app.config["REPOS_DIR"]) / f"{slug}.git"
    plain = forge.git("-C", str(path), "fsck", "--no-progress")
    assert "zeroPaddedFilemode" in plain.stderr
    _fsck_accepting_legacy(forge, slug)
    fresh = tmp_path / "fresh"
    forge.git("clone", "-q", "--branch", "legacy", forge.url(slug), str(fresh))
    assert (fresh / "flask" / "app.py").read_bytes() == b"print('hello from 2010')\n"
    assert (fresh / "LICENSE").read_bytes() == LICENSE_TEXT
    assert _page(forge, f"/projects/{slug}/tree/legacy/flask") == 200
    assert _page(forge, f"/projects/{slug}/commit/{commit}") == 200


def _data(text: str) -> list[str]:
    return [f"data {len(text.encode())}", text]


def _fast_import_history() -> bytes:
    """Commits from 2005 to 2010 as old converters wrote them: a few with an
    offset git calls a bad timezone, and a tag with no tagger."""
    lines: list[str] = []
    stamps = [1113000000 + step * 31_000_000 for step in range(6)]  # April 2005 onwards
    offsets = ["-0700", "+0100", "+05180", "-0800", "+0000", "-07000"]
    for number, (stamp, offset) in enumerate(zip(stamps, offsets, strict=True), start=1):
        lines += ["commit refs/heads/main", f"mark :{number}",
                  f"author Old Timer <old@example.org> {stamp} {offset}",
                  f"committer Old Timer <old@example.org> {stamp} {offset}",
                  *_data(f"Revision {number}\n")]
        if number > 1:
            lines.append(f"from :{number - 1}")
        lines += ["M 100644 inline NOTES.txt", *_data(f"Release notes, revision {number}\n" * number),
                  f"M 100644 inline src/module{number}.c", *_data("int x = 1;\n")]
    lines += ["tag v0.1", "from :3", *_data("Version 0.1\n")]
    return ("\n".join(lines) + "\n").encode()


def test_an_old_history_made_with_fast_import_pushes(app, forge, alice, tmp_path):
    slug = forge.project(alice)
    work = tmp_path / "old"
    work.mkdir()
    forge.git("init", "-q", "-b", "main", cwd=work)
    imported = subprocess.run(["git", "fast-import", "--quiet", "--date-format=raw-permissive"],
                              cwd=work, input=_fast_import_history(), capture_output=True)
    assert imported.returncode == 0, imported.stderr
    tip = forge.git("rev-parse", "main", cwd=work).stdout.strip()
    # Two more as 2006 tools wrote them (git names only the first quirk of a
    # line, so one quirk each): no space before the date, a zero-padded date.
    tree = forge.git("rev-parse", f"{tip}^{{tree}}", cwd=work).stdout.strip()
    spaced = _store(work, "commit", (
        f"tree {tree}\nparent {tip}\n"
        "author Old Timer <old@example.org>1150000000 +0200\n"
        "committer Old Timer <old@example.org> 1150000000 +0200\n\nNo space before the date\n"
    ).encode())
    odd = _store(work, "commit", (
        f"tree {tree}\nparent {spaced}\n"
        "author Old Timer <old@example.org> 01150000000 +0200\n"
        "committer Old Timer <old@example.org> 01150000000 +0200\n\nA zero-padded date\n"
    ).encode())
    forge.git("update-ref", "refs/heads/main", odd, tip, cwd=work)
    quirks = forge.git("fsck", "--no-progress", cwd=work, check=False).stderr
    for message_id in ("badTimezone", "missingSpaceBeforeDate", "zeroPaddedDate",
                       "missingTaggerEntry"):
        assert message_id in quirks  # the history really holds each quirk
    # The history moves into a project whose repository is still empty.
    path = Path(app.config["REPOS_DIR"]) / f"{slug}.git"
    forge.git("-C", str(path), "update-ref", "-d", "refs/heads/main")
    pushed = forge.git("push", forge.url(slug, alice), "main", "v0.1", cwd=work, check=False)
    assert pushed.returncode == 0, pushed.stderr
    assert forge.server_ref(slug, "refs/heads/main") == odd
    assert forge.server_ref(slug, "refs/tags/v0.1") == forge.git(
        "rev-parse", "v0.1", cwd=work).stdout.strip()
    _fsck_accepting_legacy(forge, slug)
    forge.pushes(1)
    clone = tmp_path / "clone"
    forge.git("clone", "-q", forge.url(slug), str(clone))
    commits = forge.git("rev-list", "HEAD", cwd=clone).stdout.split()
    assert len(commits) == 8
    assert forge.git("log", "-1", "--format=%ad", "--date=unix", cwd=clone).stdout.strip() \
        == "1150000000"
    # The pages read the odd lines without failing.
    assert _page(forge, f"/projects/{slug}/commits/main") == 200
    for sha in commits:
        assert _page(forge, f"/projects/{slug}/commit/{sha}") == 200
    assert _page(forge, f"/projects/{slug}/tags") == 200


def _dotgit_folder(work: Path, name: str) -> str:
    hook = _store(work, "blob", b"#!/bin/sh\necho owned\n")
    hooks = _tree(work, [("100755", "post-checkout", hook)])
    return _tree(work, [("40000", name, _tree(work, [("40000", "hooks", hooks)])),
                        ("100644", "README.md", _store(work, "blob", b"# Hi\n"))])


def _hostile_gitmodules(work: Path) -> str:
    modules = _store(work, "blob", b'[submodule "x"]\n\tpath = x\n'
                                   b"\turl = --upload-pack=touch /tmp/owned\n")
    return _tree(work, [("100644", ".gitmodules", modules),
                        ("100644", "README.md", _store(work, "blob", b"# Hi\n"))])


@pytest.mark.parametrize(("case", "message_id"), [
    (".git", "hasDotgit"),
    (".GIT", "hasDotgit"),
    ("gitmodules", "gitmodulesUrl"),
    ("broken", "missingAuthor"),
    ("unsorted", "treeNotSorted"),
])
def test_what_protects_clients_still_refuses_the_push(forge, alice, tmp_path, case, message_id):
    slug = forge.project(alice)
    work = _clone(forge, tmp_path, slug, alice)
    head = forge.git("rev-parse", "HEAD", cwd=work).stdout.strip()
    blob = _store(work, "blob", b"# Hi\n")
    if case in (".git", ".GIT"):
        commit = forge.git("commit-tree", _dotgit_folder(work, case), "-p", head, "-m", "Evil",
                           cwd=work).stdout.strip()
    elif case == "gitmodules":
        commit = forge.git("commit-tree", _hostile_gitmodules(work), "-p", head, "-m", "Evil",
                           cwd=work).stdout.strip()
    elif case == "unsorted":
        # Written in the wrong order on purpose: two readers may see two trees.
        tree = _store(work, "tree", b"100644 b.txt\0" + bytes.fromhex(blob)
                      + b"100644 a.txt\0" + bytes.fromhex(blob))
        commit = forge.git("commit-tree", tree, "-p", head, "-m", "Unsorted",
                           cwd=work).stdout.strip()
    else:
        tree = _tree(work, [("100644", "README.md", blob)])
        commit = _store(work, "commit", f"tree {tree}\nparent {head}\ncommitter Nobody "
                                        "<no@example.org> 1300000000 +0000\n\nNo author\n".encode())
    before = _refs(forge, slug)
    refused = forge.git("push", "origin", f"{commit}:refs/heads/evil", cwd=work, check=False)
    assert refused.returncode != 0
    assert any(line.startswith("remote:") and message_id in line
               for line in refused.stderr.splitlines()), refused.stderr
    assert _refs(forge, slug) == before
    assert not _server_has(forge, slug, commit)
    _fsck_accepting_legacy(forge, slug)


def test_the_accepted_quirks_never_include_a_check_that_protects_clients():
    protecting = {"hasDotgit", "hasDot", "hasDotdot", "fullPathname", "emptyName", "nullSha1",
                  "gitmodulesUrl", "gitmodulesPath", "gitmodulesName", "gitmodulesSymlink",
                  "gitmodulesBlob", "gitmodulesUpdate", "gitmodulesLarge", "gitmodulesMissing",
                  "gitattributesBlob", "gitattributesLarge", "gitattributesLineLength",
                  "badTree", "badTreeSha1", "treeNotSorted", "duplicateEntries",
                  "badObjectSha1", "badParentSha1", "missingTree", "missingAuthor",
                  "missingCommitter", "unknownType", "badType"}
    assert not protecting & set(fsck.ACCEPTED)
    assert not set(fsck.REFUSED_WARNINGS) & set(fsck.ACCEPTED)
    assert {"zeroPaddedFilemode", "badTimezone", "missingSpaceBeforeDate",
            "missingTaggerEntry"} <= set(fsck.ACCEPTED)
