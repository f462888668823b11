"""Caps on what one request can make the server do: the size of a push, how
far a gzipped request body may inflate, how long a patch may be."""

import base64
import os
import zlib

import pytest

from commons.git.pktline import FLUSH, pkt_line
from tests.git.test_transport import _request


@pytest.mark.server_config(GIT_MAX_PUSH_BYTES=200_000)
def test_a_push_over_the_size_cap_is_refused_with_a_reason(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice)
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug, alice), str(work))
    forge.git("checkout", "-q", "-b", "noise", cwd=work)
    forge.commit(work, "noise.bin", os.urandom(1024 * 1024), "Noise")
    pushed = forge.git("push", "origin", "noise", cwd=work, check=False)
    assert pushed.returncode != 0
    assert "exceeds maximum allowed size" in pushed.stderr, pushed.stderr
    assert forge.server_ref(slug, "refs/heads/noise") is None
    forge.fsck(slug)
    # A push under the cap still lands.
    forge.git("checkout", "-q", "main", cwd=work)
    forge.git("checkout", "-q", "-b", "small", cwd=work)
    small = forge.commit(work, "notes.md", "small\n", "Small notes")
    forge.git("push", "origin", "small", cwd=work)
    assert forge.server_ref(slug, "refs/heads/small") == small


def _gzip_of_repeated(head: bytes, line: bytes, total: int) -> bytes:
    """A gzip body that inflates to about *total* bytes: *head*, then *line*
    over and over (built in pieces, never whole)."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = [squeeze.compress(head)]
    block = line * (1024 * 1024 // len(line))
    for _ in range(total // len(block)):
        out.append(squeeze.compress(block))
    out.append(squeeze.flush())
    return b"".join(out)


@pytest.mark.server_config(GIT_MAX_UPLOAD_REQUEST_BYTES=1_000_000)
def test_a_gzip_bomb_to_upload_pack_is_refused(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice)
    main = forge.server_ref(slug, "refs/heads/main")
    # A fetch whose list of haves never ends: git reads it all before it
    # answers, so only the server's cap stops it. 60 MB from ~60 KB.
    head = pkt_line(b"command=fetch\n") + b"0001" + pkt_line(f"want {main}\n".encode())
    bomb = _gzip_of_repeated(head, pkt_line(f"have {'1' * 40}\n".encode()), 60 * 1024 * 1024)
    assert len(bomb) < 200_000
    answer = _request(forge, "POST", f"/projects/{slug}.git/git-upload-pack", body=bomb, headers={
        "Content-Type": "application/x-git-upload-pack-request",
        "Content-Encoding": "gzip", "Git-Protocol": "version=2"})
    message = answer.read().decode()
    assert answer.status == 413, (answer.status, message[:500])
    assert answer.getheader("Content-Type").startswith("text/plain")
    assert "1000000 bytes" in message and "COMMONS_GIT_MAX_UPLOAD_REQUEST_BYTES" in message
    # A fetch of ordinary size goes through as before.
    forge.git("clone", "-q", forge.url(slug), str(tmp_path / "clone"))


@pytest.mark.server_config(GIT_MAX_INFLATED_BYTES=1_000_000)
def test_a_gzip_bomb_to_receive_pack_is_refused(forge):
    alice = forge.person("alice")
    slug = forge.project(alice)
    # The same one-byte blob over and over: a pack git would read to its end.
    count = 4_000_000
    blob = b"\x31" + zlib.compress(b"a")
    command = pkt_line(f"{'0' * 40} {'1' * 40} refs/heads/bomb\0report-status quiet\n".encode())
    head = command + FLUSH + b"PACK" + (2).to_bytes(4, "big") + count.to_bytes(4, "big")
    bomb = _gzip_of_repeated(head, blob, count * len(blob))
    assert len(bomb) < 500_000
    credentials = base64.b64encode(f"alice:{alice.token}".encode()).decode()
    answer = _request(forge, "POST", f"/projects/{slug}.git/git-receive-pack", body=bomb, headers={
        "Authorization": f"Basic {credentials}", "Content-Encoding": "gzip",
        "Content-Type": "application/x-git-receive-pack-request"})
    message = answer.read().decode("utf-8", "replace")
    assert answer.status == 413, (answer.status, message[:500])
    assert "1000000 bytes" in message and "COMMONS_GIT_MAX_INFLATED_BYTES" in message
    assert forge.server_ref(slug, "refs/heads/bomb") is None
    forge.fsck(slug)
