"""The git runner: what a caller gets back, and what it hears when git fails
or takes too long."""

import logging
import os
import subprocess

import pytest

from commons.git import runner


@pytest.fixture
def repo(tmp_path):
    path = tmp_path / "r.git"
    subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True)
    return path


def test_an_answer_comes_back_whole_and_as_text(repo):
    blob = runner.output(repo, "hash-object", "-w", "--stdin", input="Solar dryer\n").strip()
    assert runner.run(repo, "cat-file", "blob", blob).stdout == b"Solar dryer\n"
    assert runner.succeeds(repo, "cat-file", "-e", blob)
    assert not runner.succeeds(repo, "cat-file", "-e", "0" * 40)


def test_a_failure_carries_the_command_status_and_gits_complaint(repo):
    with pytest.raises(runner.GitError) as failure:
        runner.run(repo, "rev-parse", "--verify", "refs/heads/nope")
    error = failure.value
    assert error.command == ["git", "-C", str(repo), "rev-parse", "--verify", "refs/heads/nope"]
    assert error.returncode == 128
    assert "fatal" in error.stderr and str(error) == error.stderr


def test_statuses_the_caller_expects_are_answers(repo):
    result = runner.run(repo, "rev-parse", "--verify", "--quiet", "refs/heads/nope", ok=(0, 1))
    assert result.returncode == 1
    assert runner.run(repo, "cat-file", "-e", "0" * 40, ok=None).returncode != 0


def test_git_past_its_time_limit_is_stopped_and_logged(repo, caplog):
    with caplog.at_level(logging.WARNING, logger="commons.git.runner"):
        with pytest.raises(runner.GitError) as failure:
            runner.run(repo, "-c", "alias.nap=!sleep 3", "nap", timeout=0.3)
    assert failure.value.returncode is None
    assert "within 0.3 seconds" in str(failure.value)
    assert "timed out" in caplog.text


def test_git_reads_no_stdin_unless_given_some(repo):
    # The server's own stdin is a pipe nobody writes to: cat-file --batch
    # reading it would wait until its time ran out.
    read_end, write_end = os.pipe()
    saved = os.dup(0)
    os.dup2(read_end, 0)
    try:
        assert runner.run(repo, "cat-file", "--batch", timeout=5).stdout == b""
    finally:
        os.dup2(saved, 0)
        for descriptor in (saved, read_end, write_end):
            os.close(descriptor)


def test_a_stream_is_read_as_it_comes(repo):
    blob = runner.output(repo, "hash-object", "-w", "--stdin", input=b"x" * 100_000).strip()
    with runner.start(repo, "cat-file", "blob", blob) as process:
        assert process.stdout.read(10) == b"x" * 10
        process.kill()


def test_chunks_come_as_git_writes_them_and_a_silent_git_is_given_up(repo, caplog):
    blob = runner.output(repo, "hash-object", "-w", "--stdin", input="x" * 200_000).strip()
    with runner.start(repo, "cat-file", "blob", blob) as process:  # closes its pipes, waits
        assert b"".join(runner.chunks(process, stall=30)) == b"x" * 200_000
    # cat-file --batch waits for names on its stdin, which nobody sends.
    with runner.start(repo, "cat-file", "--batch", stdin=True) as waiting:
        with caplog.at_level(logging.WARNING, logger="commons.git.runner"), \
                pytest.raises(runner.GitError) as failure:
            list(runner.chunks(waiting, stall=0.2))
        waiting.kill()
    assert failure.value.returncode is None
    assert "wrote nothing for 0.2 seconds" in str(failure.value)
    assert "git wrote nothing" in caplog.text


def test_chunks_read_a_pipe_past_descriptor_1024(repo, tmp_path):
    """A web worker holds many sockets and pipes: select() would refuse."""
    blob = runner.output(repo, "hash-object", "-w", "--stdin", input="seeds\n").strip()
    held = [open(tmp_path / "held", "w") for _ in range(1030)]  # noqa: SIM115
    try:
        with runner.start(repo, "cat-file", "blob", blob) as process:
            assert process.stdout.fileno() > 1024
            assert b"".join(runner.chunks(process, stall=30)) == b"seeds\n"
    finally:
        for file in held:
            file.close()
