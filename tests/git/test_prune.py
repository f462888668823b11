"""Commits force-pushed away are forgotten once the grace period has passed:
`flask --app commons git prune` drops them, except what an open proposal
still pins."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.git.test_governance import api


def _force_pushed_away(forge, tmp_path, reflog=False):
    """A project whose branch topic once held a commit that a force-push
    then replaced; returns (person, slug, the commit gone, the clone). With
    *reflog*, the server's repository logs every ref update."""
    alice = forge.person("alice")
    slug = forge.project(alice)
    if reflog:
        repo = Path(forge.app.config["REPOS_DIR"]) / f"{slug}.git"
        forge.git("-C", str(repo), "config", "core.logAllRefUpdates", "always")
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug, alice), str(work))
    forge.git("checkout", "-q", "-b", "topic", cwd=work)
    gone = forge.commit(work, "secret.txt", "a password\n", "Oops", author=alice)
    forge.git("push", "-q", "origin", "topic", cwd=work)
    forge.git("reset", "-q", "--hard", "HEAD~1", cwd=work)
    forge.commit(work, "notes.txt", "nothing secret\n", "Notes", author=alice)
    forge.git("push", "-q", "--force", "origin", "topic", cwd=work)
    forge.pushes(2)
    return alice, slug, gone, work


def _fetch_by_id(forge, tmp_path, slug, sha, name):
    fresh = tmp_path / name
    forge.git("init", "-q", str(fresh))
    return forge.git("-c", "protocol.version=2", "fetch", forge.url(slug), sha, cwd=fresh,
                     check=False)


def _file_system_now(tmp_path):
    probe = tmp_path / "now"
    probe.touch()
    return datetime.fromtimestamp(probe.stat().st_mtime, UTC)


def _prune(forge, *args):
    result = forge.app.test_cli_runner().invoke(args=["git", "prune", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_force_pushed_commits_are_pruned_once_the_grace_has_passed(forge, tmp_path):
    _, slug, gone, _ = _force_pushed_away(forge, tmp_path)
    client = forge.app.test_client()
    # Served until pruned: by its page and by a fetch of its id.
    assert client.get(f"/projects/{slug}/commit/{gone}").status_code == 200
    assert _fetch_by_id(forge, tmp_path, slug, gone, "before").returncode == 0

    # git ages objects by their files' times, so "now" is the file system's
    # clock, which a faked wall clock (the clock-ahead pass) does not move.
    written = _file_system_now(tmp_path)
    output = _prune(forge, "--now", written.isoformat())  # the default grace has not passed
    assert slug in output
    assert client.get(f"/projects/{slug}/commit/{gone}").status_code == 200

    # Reflog entries are stamped by git's wall clock, objects by the file
    # system's: fifteen days past both (they agree unless the clock is faked).
    later = (max(written, datetime.now(UTC)) + timedelta(days=15)).isoformat()
    _prune(forge, "--now", later)
    assert client.get(f"/projects/{slug}/commit/{gone}").status_code == 404
    fetched = _fetch_by_id(forge, tmp_path, slug, gone, "after")
    assert fetched.returncode != 0, fetched.stderr
    forge.fsck(slug)
    # What is still on a branch stays, and clones as before.
    forge.git("clone", "-q", "-b", "topic", forge.url(slug), str(tmp_path / "clone"))
    assert (tmp_path / "clone" / "notes.txt").exists()


def test_a_zero_grace_prunes_at_once_whatever_the_reflog_says(forge, tmp_path):
    _, slug, gone, _ = _force_pushed_away(forge, tmp_path, reflog=True)
    repo = Path(forge.app.config["REPOS_DIR"]) / f"{slug}.git"
    assert gone in (repo / "logs" / "refs" / "heads" / "topic").read_text()
    _prune(forge, "--grace", "0")
    assert forge.app.test_client().get(f"/projects/{slug}/commit/{gone}").status_code == 404
    forge.fsck(slug)


def test_a_commit_pinned_by_an_open_proposal_is_kept(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice)
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug, alice), str(work))
    forge.git("checkout", "-q", "-b", "topic", cwd=work)
    pinned = forge.commit(work, "frame.txt", "bamboo\n", "Bamboo frame", author=alice)
    forge.git("push", "-q", "origin", "topic", cwd=work)
    forge.pushes(1)
    status, proposal = api(forge, "POST", f"/projects/{slug}/proposals", alice.token,
                           {"kind": "merge", "title": "Bamboo frame", "branch": "topic"})
    assert status == 201 and proposal["details"]["head"] == pinned
    # The branch moves behind the platform's back (as when recording a push
    # failed), so the proposal still pins a commit no branch holds.
    repo = Path(forge.app.config["REPOS_DIR"]) / f"{slug}.git"
    forge.git("-C", str(repo), "update-ref", "refs/heads/topic", "refs/heads/main")

    _prune(forge, "--grace", "0")
    client = forge.app.test_client()
    assert client.get(f"/projects/{slug}/commit/{pinned}").status_code == 200
    forge.fsck(slug)
    # The pin is the platform's own: never advertised to clients.
    refs = forge.git("ls-remote", forge.url(slug)).stdout
    assert "refs/commons" not in refs and pinned not in refs
    assert proposal["number"]
