"""Code search against a repository pushed to with the real git client."""

import re

import pytest

from commons.search import code


@pytest.fixture
def pushed(forge, tmp_path):
    """Project "dryer" whose main branch holds src/fan.c and a file with a
    space in its name; a branch holds a string main does not."""
    alice = forge.person("alice")
    slug = forge.project(alice, push="direct")
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug, alice), str(work))
    forge.commit(work, "src/fan.c", "int fan_speed = 42; /* Lüfter */\nint FAN_SPEED_MAX;\n",
                 "Fan", author=alice)
    forge.commit(work, "docs/read me.md", "50% of the heat_exchanger\\ is [here](*)\n",
                 "Notes", author=alice)
    forge.git("push", "-q", "origin", "main", cwd=work)
    forge.git("checkout", "-q", "-b", "idea", cwd=work)
    forge.commit(work, "idea.txt", "only_on_a_branch\n", "Idea", author=alice)
    forge.git("push", "-q", "origin", "idea", cwd=work)
    return slug


def search(client, q, **args):
    response = client.get("/search", query_string={"q": q, **args})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_string_in_a_pushed_file_is_found_and_marked(client, pushed):
    html = search(client, "fan_speed")
    assert 'href="/projects/dryer/blob/main/src/fan.c"' in html
    assert re.findall(r"<mark>(.*?)</mark>", html) == ["fan_speed", "FAN_SPEED"]
    assert "line 1" in html and "line 2" in html


def test_strings_are_fixed_never_patterns_or_options(client, pushed):
    html = search(client, "50% of the heat_exchanger\\ is [here](*)")
    assert "docs/read me.md" in html
    for q in ["fan_.*", "[a-z]+", "--help", "-e", "\\", "-", "%"]:
        html = search(client, q)
        assert "src/fan.c" not in html, q


def test_only_the_default_branch_is_searched(client, pushed):
    assert "No line of code contains it" in search(client, "only_on_a_branch")


def test_within_a_project(client, pushed):
    html = search(client, "fan_speed", project="dryer")
    assert "src/fan.c" in html and "in Dryer" in html


def test_running_out_of_time_says_so(make_app, pushed):
    client = make_app(SEARCH_CODE_TIMEOUT=0.000001).test_client()
    html = search(client, "fan_speed")
    assert "time for code search ran out in dryer" in html
    assert "src/fan.c" not in html


def test_with_no_time_left_no_git_is_started(tmp_path):
    repository = code.Repository("gone", tmp_path, "main")
    tmp_path.joinpath("HEAD").write_text("ref: refs/heads/main\n")
    found = code.search([repository], "needle", budget=0.0, max_hits=10)
    assert found.timed_out == "gone" and found.hits == []


def test_git_past_its_time_is_killed_and_named(app, pushed, repos_dir):
    repository = code.Repository("dryer", repos_dir / "dryer.git", "main")
    with pytest.raises(code.runner.GitError) as killed:
        code.grep(repository, "fan_speed", timeout=1e-9, max_hits=10)
    assert killed.value.returncode is None
    assert code.grep(repository, "fan_speed", timeout=10, max_hits=10)[0].path == "src/fan.c"


@pytest.fixture
def crowded(forge, tmp_path):
    """A project whose main branch has 40 files that each say "needle"
    three times, and one minified file of a single 3 MB line."""
    alice = forge.person("alice")
    slug = forge.project(alice, push="direct")
    work = tmp_path / "crowded"
    forge.git("clone", "-q", forge.url(slug, alice), str(work))
    for n in range(40):
        (work / f"f{n:02}.txt").write_text("needle\n" * 3)
    (work / "app.min.js").write_text("var needle=1;" + "x" * 3_000_000 + "\n")
    forge.git("add", ".", cwd=work)
    forge.commit(work, "README", "crowded\n", "Many needles", author=alice)
    forge.git("push", "-q", "origin", "main", cwd=work)
    return slug


def test_git_is_stopped_once_enough_is_found_and_long_lines_are_cut(app, crowded, repos_dir):
    repository = code.Repository(crowded, repos_dir / f"{crowded}.git", "main")
    hits = code.grep(repository, "needle", timeout=10, max_hits=7)
    assert len(hits) == 7
    everything = code.grep(repository, "needle", timeout=10, max_hits=1000)
    # Three a file (--max-count), the minified line cut to what is shown.
    assert len(everything) == 40 * 3 + 1
    minified = next(hit for hit in everything if hit.path == "app.min.js")
    assert minified.text.startswith("var needle=1;xxx") and len(minified.text) == code.LINE_CHARS


def test_code_searches_past_the_limit_wait_while_the_rest_is_searched(make_app, pushed):
    client = make_app(SEARCH_CODE_RATE_LIMIT="2 per minute").test_client()
    for _ in range(2):
        assert "src/fan.c" in search(client, "fan_speed")
    html = search(client, "fan_speed")
    assert "src/fan.c" not in html
    assert "Code was not searched this time" in html and "Wait a minute" in html
    # Other kinds are still searched, and the API says why code was not.
    assert "Dryer" in search(client, "dryer")
    answer = client.get("/api/v1/search", query_string={"q": "fan_speed", "code": "true"})
    assert answer.status_code == 200
    assert answer.get_json()["code"] == {"searched": 0, "timed_out": None, "full": False,
                                         "limited": True, "hits": []}


def test_the_api_searches_code_only_when_asked(client, pushed):
    answer = client.get("/api/v1/search", query_string={"q": "fan_speed"}).get_json()
    assert answer["code"] is None
    answer = client.get("/api/v1/search",
                        query_string={"q": "fan_speed", "code": "true"}).get_json()
    assert answer["code"]["limited"] is False
    assert [hit["path"] for hit in answer["code"]["hits"]] == ["src/fan.c", "src/fan.c"]
