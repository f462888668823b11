"""Clone and push with the real git client against a real server."""

import base64
import gzip
import http.client
import os
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy as sa

from commons.extensions import db
from commons.git.models import Commit, Push, PushCommit
from commons.git.pktline import FLUSH, pkt_line


def test_anonymous_clone_of_a_new_project(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice)
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug), str(work))
    assert (work / "LICENSE").read_text().startswith("MIT License")
    assert forge.git("log", "--format=%an", cwd=work).stdout.split() == ["alice"]
    forge.fsck(slug)


def test_clone_speaks_protocol_v2_and_v0(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice)
    traced = forge.git("-c", "protocol.version=2", "clone", forge.url(slug), str(tmp_path / "v2"),
                       env={"GIT_TRACE_PACKET": "1"})
    assert "git< version 2" in traced.stderr
    traced = forge.git("-c", "protocol.version=0", "clone", forge.url(slug), str(tmp_path / "v0"),
                       env={"GIT_TRACE_PACKET": "1"})
    assert "git< version 2" not in traced.stderr and "# service=git-upload-pack" in traced.stderr
    assert (tmp_path / "v0" / "README.md").exists() and (tmp_path / "v2" / "README.md").exists()


def test_member_pushes_a_branch_with_a_token_and_it_is_recorded(app, forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice)
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug, alice), str(work))
    forge.git("checkout", "-q", "-b", "design", cwd=work)
    first = forge.commit(work, "frame.scad", "cube(10);\n", "Add the frame", author=alice)
    second = forge.commit(work, "notes.md", "one\ntwo\n", "Add notes", author=alice,
                          trailer="Co-authored-by: Bob Builder <Bob@Example.org>")
    pushed = forge.git("push", "origin", "design", cwd=work)
    assert "design -> design" in pushed.stderr
    assert forge.server_ref(slug, "refs/heads/design") == second
    forge.fsck(slug)
    forge.pushes(1)
    with app.app_context():
        push = db.session.scalar(sa.select(Push))
        assert push.user.username == "alice"
        [update] = push.ref_updates
        assert (update.ref, set(update.old_sha), update.new_sha) == ("refs/heads/design", {"0"}, second)
        new = [c.sha for c in push.commits]
        assert sorted(new) == sorted([first, second])
        notes = db.session.scalar(sa.select(Commit).where(Commit.sha == second))
        assert notes.co_authors == [{"name": "Bob Builder", "email": "bob@example.org"}]
        assert (notes.files_changed, notes.lines_added, notes.lines_removed) == (1, 2, 0)
        assert notes.author_email == "alice@example.org" and notes.summary == "Add notes"
        # The first commit, made when the project was created, was indexed then.
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Commit)) == 3


def test_push_with_the_account_password(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice)
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug, alice, secret=alice.password), str(work))
    forge.git("checkout", "-q", "-b", "by-password", cwd=work)
    head = forge.commit(work, "a.txt", "a\n", "A")
    forge.git("push", "-q", "origin", "by-password", cwd=work)
    assert forge.server_ref(slug, "refs/heads/by-password") == head


def test_anonymous_push_is_asked_for_credentials(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice)
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug), str(work))
    forge.git("checkout", "-q", "-b", "anon", cwd=work)
    forge.commit(work, "a.txt", "a\n", "A")
    refused = forge.git("push", "origin", "anon", cwd=work, check=False)
    assert refused.returncode != 0
    assert "terminal prompts disabled" in refused.stderr  # git wanted a username: a 401
    response = _request(forge, "GET", f"/projects/{slug}.git/info/refs?service=git-receive-pack")
    assert response.status == 401
    assert response.getheader("WWW-Authenticate").startswith("Basic")
    assert "personal access token" in response.read().decode()
    assert forge.server_ref(slug, "refs/heads/anon") is None


def test_wrong_or_revoked_token_is_401(app, forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice)
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug), str(work))
    forge.git("checkout", "-q", "-b", "x", cwd=work)
    forge.commit(work, "a.txt", "a\n", "A")
    refused = forge.git("push", forge.url(slug, alice, secret="cmn_not-a-token"), "x", cwd=work,
                        check=False)
    assert refused.returncode != 0 and "Authentication failed" in refused.stderr
    from commons.accounts.models import AccessToken
    with app.app_context():
        for token in db.session.scalars(sa.select(AccessToken)):
            token.revoked_at = token.created_at
        db.session.commit()
    refused = forge.git("push", forge.url(slug, alice), "x", cwd=work, check=False)
    assert refused.returncode != 0 and "Authentication failed" in refused.stderr


def test_non_member_is_told_how_to_join(forge, tmp_path):
    alice, bob = forge.person("alice"), forge.person("bob")
    slug = forge.project(alice)
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug), str(work))
    forge.git("checkout", "-q", "-b", "bobs", cwd=work)
    forge.commit(work, "a.txt", "a\n", "A")
    refused = forge.git("push", forge.url(slug, bob), "bobs", cwd=work, check=False)
    assert refused.returncode != 0
    assert "bob is not a member of Dryer, so cannot push to it." in refused.stderr
    assert f"Join it at {forge.base}/projects/{slug} and push again." in refused.stderr
    forge.join(bob, slug)
    forge.git("push", "-q", forge.url(slug, bob), "bobs", cwd=work)
    assert forge.server_ref(slug, "refs/heads/bobs")


def test_review_mode_keeps_the_default_branch_for_merge_proposals(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice)
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug, alice), str(work))
    before = forge.server_ref(slug, "refs/heads/main")
    forge.commit(work, "a.txt", "a\n", "Straight to main")
    refused = forge.git("push", "origin", "main", cwd=work, check=False)
    assert refused.returncode != 0
    assert "remote: commons refused this push: refs/heads/main: main changes only by passed " \
           "merge proposals" in refused.stderr
    assert "git push origin HEAD:refs/heads/my-change" in refused.stderr
    assert "[remote rejected] main -> main" in refused.stderr
    assert forge.server_ref(slug, "refs/heads/main") == before
    forge.fsck(slug)


def test_direct_mode_lets_members_push_main_but_never_force_or_delete(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice, push="direct")
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug, alice), str(work))
    head = forge.commit(work, "a.txt", "a\n", "Direct to main")
    forge.git("push", "-q", "origin", "main", cwd=work)
    assert forge.server_ref(slug, "refs/heads/main") == head

    forge.git("reset", "-q", "--hard", "HEAD~1", cwd=work)
    forge.commit(work, "b.txt", "b\n", "Rewritten history")
    forced = forge.git("push", "--force", "origin", "main", cwd=work, check=False)
    assert forced.returncode != 0
    assert "remote: commons refused this push: refs/heads/main: it is not a fast-forward" in forced.stderr
    assert "Fetch, merge or rebase your commits onto origin/main" in forced.stderr
    assert forge.server_ref(slug, "refs/heads/main") == head

    deleted = forge.git("push", "origin", ":main", cwd=work, check=False)
    assert deleted.returncode != 0
    assert "the default branch main is never deleted" in deleted.stderr
    assert forge.server_ref(slug, "refs/heads/main") == head
    forge.fsck(slug)


def test_members_may_force_push_and_delete_their_own_branches(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice)
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug, alice), str(work))
    forge.git("checkout", "-q", "-b", "topic", cwd=work)
    forge.commit(work, "a.txt", "a\n", "A")
    forge.git("push", "-q", "origin", "topic", cwd=work)
    forge.git("commit", "-q", "--amend", "-m", "A, reworded", cwd=work)
    forge.git("push", "-q", "--force", "origin", "topic", cwd=work)
    assert forge.server_ref(slug, "refs/heads/topic") == forge.git("rev-parse", "HEAD", cwd=work).stdout.strip()
    forge.git("push", "-q", "origin", ":topic", cwd=work)
    assert forge.server_ref(slug, "refs/heads/topic") is None


def test_a_push_over_five_megabytes_streams_in_chunks(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice)
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug, alice), str(work))
    forge.git("checkout", "-q", "-b", "big", cwd=work)
    head = forge.commit(work, "noise.bin", os.urandom(6 * 1024 * 1024), "Six megabytes of noise")
    traced = forge.git("push", "origin", "big", cwd=work, env={"GIT_TRACE_CURL": "1",
                                                                "GIT_TRACE_CURL_NO_DATA": "1"})
    assert "Transfer-Encoding: chunked" in traced.stderr
    assert forge.server_ref(slug, "refs/heads/big") == head
    forge.fsck(slug)
    clone = tmp_path / "again"
    forge.git("clone", "-q", "--branch", "big", forge.url(slug), str(clone))
    assert (clone / "noise.bin").read_bytes() == (work / "noise.bin").read_bytes()


def test_shallow_and_partial_clones(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice, push="direct")
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug, alice), str(work))
    for number in range(3):
        forge.commit(work, f"f{number}.txt", f"{number}\n", f"Commit {number}")
    forge.git("push", "-q", "origin", "main", cwd=work)
    shallow = tmp_path / "shallow"
    forge.git("clone", "-q", "--depth", "1", forge.url(slug), str(shallow))
    assert forge.git("rev-list", "--count", "HEAD", cwd=shallow).stdout.strip() == "1"
    partial = tmp_path / "partial"
    forge.git("clone", "-q", "--filter=blob:none", forge.url(slug), str(partial))
    assert forge.git("config", "remote.origin.partialclonefilter", cwd=partial).stdout.strip() == "blob:none"
    assert (partial / "f2.txt").read_text() == "2\n"


def test_two_concurrent_pushes_both_land_and_are_indexed_once(app, forge, tmp_path):
    alice, bob = forge.person("alice"), forge.person("bob")
    slug = forge.project(alice)
    forge.join(bob, slug)
    heads, results = {}, {}
    works = {}
    for person in (alice, bob):
        work = tmp_path / person.username
        forge.git("clone", "-q", forge.url(slug, person), str(work))
        forge.git("checkout", "-q", "-b", f"{person.username}-branch", cwd=work)
        # Both branches share one new commit, then each adds its own.
        forge.git("commit", "-q", "--allow-empty", "-m", "Shared", cwd=work,
                  env={"GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"})
        for n in range(20):
            forge.commit(work, f"{person.username}-{n}.txt", f"{n}\n", f"{person.username} {n}",
                         author=person)
        heads[person.username] = forge.git("rev-parse", "HEAD", cwd=work).stdout.strip()
        works[person.username] = work
    barrier = threading.Barrier(2)

    def push(person):
        barrier.wait()
        results[person.username] = forge.git("push", "origin", f"{person.username}-branch",
                                             cwd=works[person.username], check=False)

    threads = [threading.Thread(target=push, args=(p,)) for p in (alice, bob)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert all(r.returncode == 0 for r in results.values()), results
    for person in (alice, bob):
        assert forge.server_ref(slug, f"refs/heads/{person.username}-branch") == heads[person.username]
    forge.fsck(slug)
    forge.pushes(2)
    with app.app_context():
        shas = list(db.session.scalars(sa.select(Commit.sha)))
        assert len(shas) == len(set(shas)) == 1 + 1 + 40  # first commit, shared, 20 each
        pushes = db.session.scalars(sa.select(Push)).all()
        assert sorted(p.user.username for p in pushes) == ["alice", "bob"]
        # Each new commit belongs to exactly one push: the shared one to
        # whichever push was indexed first.
        pushed = list(db.session.scalars(sa.select(PushCommit.sha)))
        first = db.session.scalar(sa.select(Commit.sha).where(Commit.summary.like("Start %")))
        assert sorted(pushed) == sorted(set(shas) - {first})


def test_gzipped_requests_are_inflated(forge):
    alice = forge.person("alice")
    slug = forge.project(alice)
    request = pkt_line(b"command=ls-refs\n") + b"0001" + pkt_line(b"peel\n") + FLUSH
    response = _request(forge, "POST", f"/projects/{slug}.git/git-upload-pack",
                        body=gzip.compress(request), headers={
                            "Content-Type": "application/x-git-upload-pack-request",
                            "Content-Encoding": "gzip", "Git-Protocol": "version=2"})
    assert response.status == 200
    assert b" refs/heads/main" in response.read()


def test_malformed_and_truncated_pushes_change_nothing(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice)
    before = forge.server_ref(slug, "refs/heads/main")
    auth = {"Authorization": "Basic " + base64.b64encode(f"alice:{alice.token}".encode()).decode(),
            "Content-Type": "application/x-git-receive-pack-request"}
    garbage = _request(forge, "POST", f"/projects/{slug}.git/git-receive-pack",
                       body=b"zzzz this is not git", headers=auth)
    assert garbage.status == 400 and "could not read this push" in garbage.read().decode()
    # A valid ref update, then a pack cut off in the middle.
    zero, fake = "0" * 40, "1" * 40
    command = pkt_line(f"{zero} {fake} refs/heads/cut\0report-status side-band-64k\n".encode()) + FLUSH
    cut = _request(forge, "POST", f"/projects/{slug}.git/git-receive-pack",
                   body=command + b"PACK\x00\x00\x00\x02\x00\x00\x00\x05truncated", headers=auth)
    body = cut.read()
    assert cut.status == 200 and b"ok refs/heads/cut" not in body
    assert forge.server_ref(slug, "refs/heads/cut") is None
    assert forge.server_ref(slug, "refs/heads/main") == before
    forge.fsck(slug)


def test_unknown_project_and_dumb_http_get_plain_answers(forge):
    missing = _request(forge, "GET", "/projects/nope.git/info/refs?service=git-upload-pack")
    assert missing.status == 404 and missing.getheader("Content-Type").startswith("text/plain")
    alice = forge.person("alice")
    slug = forge.project(alice)
    dumb = _request(forge, "GET", f"/projects/{slug}.git/info/refs")
    assert dumb.status == 403 and "smart HTTP" in dumb.read().decode()
    browser = _request(forge, "GET", f"/projects/{slug}.git")
    assert browser.status == 302 and browser.getheader("Location").endswith(f"/projects/{slug}")


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes

    def getheader(self, name):
        return self.headers.get(name.lower())

    def read(self):
        return self.body


def _request(forge, method, path, body=None, headers=None) -> Answer:
    parts = urlsplit(forge.base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                      response.read())
    finally:
        connection.close()


def test_a_push_cut_off_mid_body_leaves_no_trace(forge, tmp_path):
    import socket
    import time
    from pathlib import Path

    alice = forge.person("alice")
    slug = forge.project(alice)
    repo = Path(forge.app.config["REPOS_DIR"]) / f"{slug}.git"
    before = forge.server_ref(slug, "refs/heads/main")
    # A real pack of a new commit, cut in half on the wire.
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug), str(work))
    forge.commit(work, "noise.bin", os.urandom(2 * 1024 * 1024), "Noise")
    head = forge.git("rev-parse", "HEAD", cwd=work).stdout.strip()
    pack = subprocess_pack(forge, work, head, before)
    command = pkt_line(f"{'0' * 40} {head} refs/heads/cut\0report-status side-band-64k\n".encode())
    body = command + FLUSH + pack[: len(pack) // 2]
    parts = urlsplit(forge.base)
    credentials = base64.b64encode(f"alice:{alice.token}".encode()).decode()
    with socket.create_connection((parts.hostname, parts.port)) as connection:
        connection.sendall((f"POST /projects/{slug}.git/git-receive-pack HTTP/1.1\r\n"
                            f"Host: {parts.netloc}\r\nAuthorization: Basic {credentials}\r\n"
                            "Content-Type: application/x-git-receive-pack-request\r\n"
                            "Transfer-Encoding: chunked\r\n\r\n").encode())
        connection.sendall(f"{len(body):x}\r\n".encode() + body + b"\r\n")
        time.sleep(0.5)  # the server is now waiting for the rest, which never comes
    deadline = time.monotonic() + 20
    while any((repo / "objects").glob("tmp_objdir-*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not list((repo / "objects").glob("tmp_objdir-*"))
    assert forge.server_ref(slug, "refs/heads/cut") is None
    assert forge.server_ref(slug, "refs/heads/main") == before
    forge.fsck(slug)


def subprocess_pack(forge, work, head, exclude):
    import subprocess
    revs = f"{head}\n^{exclude}\n"
    return subprocess.run(["git", "pack-objects", "--stdout", "--revs", "--thin"], cwd=work,
                          input=revs.encode(), capture_output=True, check=True).stdout


def test_a_push_of_a_broken_tree_is_refused_by_fsck(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice)
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug, alice), str(work))
    # A tree with a ".." entry: git refuses to check it out, fsck calls it an error.
    blob = forge.git("hash-object", "-w", "README.md", cwd=work).stdout.strip()
    import subprocess
    tree = subprocess.run(["git", "mktree"], cwd=work, capture_output=True, check=True,
                          input=f"100644 blob {blob}\t..\n".encode()).stdout.decode().strip()
    evil = forge.git("commit-tree", tree, "-m", "Evil", cwd=work).stdout.strip()
    refused = forge.git("push", "origin", f"{evil}:refs/heads/evil", cwd=work, check=False)
    assert refused.returncode != 0
    assert forge.server_ref(slug, "refs/heads/evil") is None
    forge.fsck(slug)


def test_tricky_ref_names_are_refused_with_reasons(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice)
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug, alice), str(work))
    forge.commit(work, "a.txt", "a\n", "A")
    tag = forge.git("push", "origin", "HEAD:refs/tags/main", cwd=work, check=False)
    assert tag.returncode != 0 and "would be mistaken for the default branch" in tag.stderr
    head = forge.git("push", "origin", "HEAD:refs/heads/HEAD", cwd=work, check=False)
    assert head.returncode != 0 and "HEAD names the current branch" in head.stderr
    # One refused update refuses the whole push: nothing lands.
    both = forge.git("push", "origin", "HEAD:refs/heads/ok", "HEAD:refs/heads/main", cwd=work,
                     check=False)
    assert both.returncode != 0 and "refused with the rest of this push" in both.stderr
    assert forge.server_ref(slug, "refs/heads/ok") is None
    assert forge.server_ref(slug, "refs/tags/main") is None


def test_the_first_push_to_an_empty_repository_creates_main(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice)  # review mode
    repo_path = str(tmp_path / "repos" / f"{slug}.git")
    forge.git("-C", repo_path, "update-ref", "-d", "refs/heads/main")
    work = tmp_path / "fresh"
    work.mkdir()
    forge.git("init", "-q", "-b", "main", cwd=work)
    head = forge.commit(work, "README.md", "# Fresh\n", "First commit")
    forge.git("push", "-q", forge.url(slug, alice), "main", cwd=work)
    assert forge.server_ref(slug, "refs/heads/main") == head
