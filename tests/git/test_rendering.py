"""The rendering cache: files, READMEs and diffs rendered once and served
from the cache after, keyed by what cannot change; large files plain first;
a broken cache never fails a page. Real git, real pygments, a real cache
(a folder, or Redis when COMMONS_TEST_REDIS_URL is set)."""

import re
import subprocess

import pytest

from commons import render_cache
from commons.git import diffing, rendering
from commons.urls import base_url
from tests.git.conftest import founded_by_ada

ENV = {"GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.org",
       "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.org",
       "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "PATH": "/usr/bin:/bin"}
SMALL = "def frame():\n    return '<script>alert(1)</script>'\n"
# Over BLOB_HIGHLIGHT_BYTES (32 KB), under the 256 KB highlighting limit.
LARGE_LINES = 3_000
LARGE = "".join(f"int f{n}(int x) {{ return x < {n} && x > 0; }} /* <b>&amp; */\n"
                for n in range(LARGE_LINES))
README = "# Dryer\n\nIt *dries* things. <script>alert(1)</script>\n"


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def repo(app, tmp_path, repos_dir):
    """Project "dryer" whose main holds a small Python file, a large C file
    and a README, in two commits (the second changes the Python file)."""
    founded_by_ada(app)
    work = tmp_path / "work"
    git("clone", "-q", str(repos_dir / "dryer.git"), str(work), cwd=tmp_path)
    (work / "frame.py").write_text("def frame():\n    return 1\n")
    (work / "large.c").write_text(LARGE)
    (work / "README.md").write_text(README)
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "Files", cwd=work)
    (work / "frame.py").write_text(SMALL)
    git("commit", "-q", "-am", "Escape nothing", cwd=work)
    git("push", "-q", "origin", "HEAD:main", cwd=work)
    return work


def blob_id(work, name: str) -> str:
    return git("rev-parse", f"HEAD:{name}", cwd=work)


def page(client, url: str) -> str:
    # Closed as a WSGI server closes it: what the page rendered is written
    # to the cache then, after the response (the test client leaves that
    # to its caller).
    with client.get(url) as response:
        assert response.status_code == 200, url
        return response.get_data(as_text=True)


def test_a_second_view_of_a_file_is_served_from_the_cache(app, client, repo):
    first = page(client, "/projects/dryer/blob/main/frame.py")
    assert '<span class="k">def</span>' in first            # pygments ran
    with app.test_request_context():
        key = rendering.blob_key(blob_id(repo, "frame.py"),
                                 rendering.lexer_for("frame.py", SMALL))
        assert render_cache.get(key) is not None
        # What the cache holds is what the page shows: change it, and the
        # next view shows the change (no highlighting happened).
        render_cache.put(key, '<p id="kept">from the cache</p>')
    assert '<p id="kept">from the cache</p>' in page(client, "/projects/dryer/blob/main/frame.py")


def test_what_a_page_rendered_is_kept_once_its_response_is_sent(app, client, repo):
    """The reader of a first view does not wait for the cache's write: it
    happens when the server closes the response, after sending it."""
    with app.test_request_context():
        key = rendering.blob_key(blob_id(repo, "frame.py"),
                                 rendering.lexer_for("frame.py", SMALL))
    response = client.get("/projects/dryer/blob/main/frame.py")
    assert '<span class="k">def</span>' in response.get_data(as_text=True)
    with app.test_request_context():
        assert render_cache.get(key) is None      # sent, not closed yet: nothing written
    response.close()
    with app.test_request_context():
        assert render_cache.get(key) is not None  # closed: kept for the next view


def test_bumping_the_renderer_version_renders_again(app, client, repo, monkeypatch):
    page(client, "/projects/dryer/blob/main/frame.py")
    with app.test_request_context():
        lexer = rendering.lexer_for("frame.py", SMALL)
        old = rendering.blob_key(blob_id(repo, "frame.py"), lexer)
        render_cache.put(old, '<p id="kept">old renderer</p>')
        monkeypatch.setattr(rendering, "RENDERER_VERSION", rendering.RENDERER_VERSION + 1)
        new = rendering.blob_key(blob_id(repo, "frame.py"), lexer)
        assert new != old and render_cache.get(new) is None
    html = page(client, "/projects/dryer/blob/main/frame.py")
    assert "old renderer" not in html and '<span class="k">def</span>' in html
    with app.test_request_context():
        assert render_cache.get(new) is not None


def test_content_is_escaped_highlighted_or_plain(client, repo):
    highlighted = page(client, "/projects/dryer/blob/main/frame.py")
    assert "<script>alert" not in highlighted and "&lt;script&gt;" in highlighted
    plain = page(client, "/projects/dryer/blob/main/large.c")
    assert "<b>" not in plain and "&lt;b&gt;&amp;amp;" in plain
    home = page(client, "/projects/dryer")
    assert "<script>alert" not in home and "<em>dries</em>" in home


def _anchor(line: int) -> str:
    """Line *line*'s number: a link to itself, its id the anchor (#L-n)."""
    return f'<a id="L-{line}" href="#L-{line}">{line}</a>'


def test_a_large_file_is_plain_first_with_anchors_and_a_highlight_link(app, client, repo):
    plain = page(client, "/projects/dryer/blob/main/large.c")
    assert '<span class="kt">int</span>' not in plain                  # not highlighted
    for line in (1, LARGE_LINES // 2, LARGE_LINES):
        assert _anchor(line) in plain                                  # every line anchored
    assert f'id="L-{LARGE_LINES + 1}"' not in plain
    link = re.search(r'<a href="([^"]+)" rel="nofollow">Highlight</a>', plain)
    assert link and link.group(1) == "/projects/dryer/blob/main/large.c?highlight=1"

    highlighted = page(client, link.group(1).replace("&amp;", "&"))
    assert '<span class="kt">int</span>' in highlighted
    assert _anchor(LARGE_LINES) in highlighted and f'id="L-{LARGE_LINES + 1}"' not in highlighted
    assert "Highlight</a>" not in highlighted
    # Highlighted once, it is served highlighted to everyone after.
    again = page(client, "/projects/dryer/blob/main/large.c")
    assert '<span class="kt">int</span>' in again and "Highlight</a>" not in again


def _code(html: str) -> str:
    return html.split("<code>", 1)[1].split("</code>", 1)[0]


@pytest.mark.parametrize("text", [LARGE, "a\n\nb", "", "<&>\n", "\n\nint x;\n\n\n",
                                  "one\r\ntwo\rthree\n", "no newline at the end"])
def test_plain_and_highlighted_text_have_the_same_numbered_lines(text):
    """Plain and highlighted, a file shows the same lines, numbered and
    anchored alike, empty ones at either end included (pygments drops
    those unless told); the code is one block whose lines are the file's."""
    import html as entities

    lexer = rendering.lexer_for("x.c", text)
    plain, highlighted = rendering.plain(text), rendering.highlighted(text, lexer)
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    count = lines.count("\n") + (not lines.endswith("\n"))
    for html in (plain, highlighted):
        assert f"<pre>{rendering.numbers(count)}</pre>" in html
        assert f'id="L-{count + 1}"' not in html
        shown = entities.unescape(re.sub(r"<[^>]+>", "", _code(html)))
        # pygments ends the last line with a newline if the file did not
        assert shown == lines or (html is highlighted and shown == lines + "\n")
    assert '<span class="' in highlighted or not text.strip()


def test_line_numbers_are_one_column_for_any_length():
    """The column is cut from the longest one a process made; past what it
    keeps it is made for the file alone: the same either way."""
    for count in (1, 9, 10, 99, 100, 12_345, rendering._NUMBERS_KEPT + 5, 7):
        column = rendering.numbers(count)
        assert column == "\n".join(_anchor(n) for n in range(1, count + 1))


def test_readmes_are_cached_on_the_home_and_tree_pages(app, client, repo):
    assert "<em>dries</em>" in page(client, "/projects/dryer")
    with app.test_request_context():
        key = rendering.markdown_key(blob_id(repo, "README.md"), 2, base_url(app.config))
        assert "<em>dries</em>" in render_cache.get(key)
        render_cache.put(key, '<p id="kept">cached readme</p>')
    assert '<p id="kept">cached readme</p>' in page(client, "/projects/dryer")
    assert '<p id="kept">cached readme</p>' in page(client, "/projects/dryer/tree/main")


def test_diffs_are_cached_by_their_two_commits(app, client, repo):
    head, parent = git("rev-parse", "HEAD", cwd=repo), git("rev-parse", "HEAD^", cwd=repo)
    assert "&lt;script&gt;" in page(client, f"/projects/dryer/commit/{head}")
    with app.test_request_context():
        key = rendering.change_key(parent, head, diffing.caps_from(app.config))
        change = render_cache.get(key)
        assert isinstance(change, diffing.Change) and change.diff.files[0].path == "frame.py"
        change.diff.files[0].hunks[0].html = ['<b id="kept">cached</b>'] * len(
            change.diff.files[0].hunks[0].lines)
        render_cache.put(key, change)
    assert '<b id="kept">cached</b>' in page(client, f"/projects/dryer/commit/{head}")
    # The compare page of the same two commits reads the same entry.
    assert '<b id="kept">cached</b>' in page(client, f"/projects/dryer/compare/{parent}...{head}")


# "return '<script>...'" as pygments colours Python, escaped inside its spans.
HIGHLIGHTED_RETURN = '<span class="k">return</span> <span class="s1">\'&lt;script&gt;'


def _diff_code(html: str) -> str:
    """The code of each line of a diff's table."""
    return "\n".join(re.findall(r'<td class="code">.*?<code>(.*?)</code>', html, re.S))


def test_a_change_is_shown_plain_first_and_highlighted_from_the_next_view(app, client, repo):
    """A change's first view waits for no highlighting: its lines are shown
    escaped, without colours, as cgit shows them; pygments runs once the
    response is sent, and every later view (on any page showing the same
    two commits) is highlighted, escaped all the same."""
    head, parent = git("rev-parse", "HEAD", cwd=repo), git("rev-parse", "HEAD^", cwd=repo)
    with client.get(f"/projects/dryer/commit/{head}") as response:
        first = _diff_code(response.get_data(as_text=True))
        assert "return &#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39;" in first
        assert "<script>" not in first and '<span class="' not in first
        with app.test_request_context():
            assert render_cache.get(rendering.change_key(
                parent, head, diffing.caps_from(app.config))) is None   # not highlighted yet
    for url in (f"/projects/dryer/commit/{head}", f"/projects/dryer/compare/{parent}...{head}"):
        later = _diff_code(page(client, url))
        assert HIGHLIGHTED_RETURN in later and "<script>" not in later


def test_outside_a_request_a_change_is_highlighted_and_kept_at_once(app, repo):
    head, parent = git("rev-parse", "HEAD", cwd=repo), git("rev-parse", "HEAD^", cwd=repo)
    caps = diffing.caps_from(app.config)
    with app.app_context():
        change = rendering.change(repo / ".git", parent, head, caps)
        assert HIGHLIGHTED_RETURN in "".join(change.diff.files[0].hunks[0].html)
        assert render_cache.get(rendering.change_key(parent, head, caps)) is not None


def test_without_a_cache_every_view_of_a_change_is_highlighted(make_app, repo):
    """With nothing kept there is no later view to leave highlighting to."""
    client = make_app(CACHE_URL="null").test_client()
    head = git("rev-parse", "HEAD", cwd=repo)
    for _ in range(2):
        assert HIGHLIGHTED_RETURN in _diff_code(page(client, f"/projects/dryer/commit/{head}"))


@pytest.mark.parametrize("setting", [{"CACHE_MAX_ITEM_BYTES": 100},
                                     {"CACHE_URL": "redis://127.0.0.1:9/0"}])
def test_a_change_that_cannot_be_kept_is_highlighted_from_the_next_view(make_app, repo,
                                                                         setting):
    """Too large to keep, or a cache that does not answer: the highlighted
    change is not kept, so the next view highlights it itself instead of
    showing it uncoloured again (and highlighting it after, for nothing)."""
    client = make_app(**setting).test_client()
    head = git("rev-parse", "HEAD", cwd=repo)
    views = [_diff_code(page(client, f"/projects/dryer/commit/{head}")) for _ in range(3)]
    if "CACHE_URL" in setting:  # the cache did not answer: no later view to leave it to
        assert all(HIGHLIGHTED_RETURN in view for view in views)
    else:
        assert HIGHLIGHTED_RETURN not in views[0] and "&lt;script&gt;" in views[0]
        assert all(HIGHLIGHTED_RETURN in view for view in views[1:])


def _views_work(app) -> None:
    client = app.test_client()
    assert '<span class="k">def</span>' in page(client, "/projects/dryer/blob/main/frame.py")
    assert '<span class="k">def</span>' in page(client, "/projects/dryer/blob/main/frame.py")
    assert "<em>dries</em>" in page(client, "/projects/dryer")
    assert '<span class="kt">int</span>' in page(
        client, "/projects/dryer/blob/main/large.c?highlight=1")
    head = git("rev-parse", "HEAD", cwd=app.config["REPOS_DIR"] + "/dryer.git")
    assert "&lt;script&gt;" in page(client, f"/projects/dryer/commit/{head}")


@pytest.mark.parametrize("setting", ["a file", "redis://127.0.0.1:9/0", "null"])
def test_a_broken_or_absent_cache_still_serves_every_page(make_app, repo, tmp_path, setting,
                                                          caplog):
    if setting == "a file":   # a folder that cannot be one
        (tmp_path / "not-a-folder").write_text("")
        setting = str(tmp_path / "not-a-folder")
    app = make_app(CACHE_URL=setting)
    _views_work(app)
    with app.test_request_context():
        assert render_cache.get(rendering.blob_key(
            blob_id(repo, "frame.py"), rendering.lexer_for("frame.py", SMALL))) is None
    if setting != "null":
        assert "rendering cache" in caplog.text


def test_entries_over_the_size_bound_are_not_kept(make_app, repo):
    app = make_app(CACHE_MAX_ITEM_BYTES=100)
    _views_work(app)
    with app.test_request_context():
        assert render_cache.get(rendering.blob_key(
            blob_id(repo, "frame.py"), rendering.lexer_for("frame.py", SMALL))) is None


def test_redis_shares_rendering_between_instances(make_app, repo, redis_url):
    first, second = (make_app(CACHE_URL=redis_url, CACHE_KEY_PREFIX=f"test-render:{repo}:")
                     for _ in range(2))
    with first.test_request_context():
        key = rendering.blob_key(blob_id(repo, "frame.py"), rendering.lexer_for("frame.py", SMALL))
        render_cache.put(key, '<p id="kept">from the other instance</p>')
    assert "from the other instance" in page(second.test_client(),
                                             "/projects/dryer/blob/main/frame.py")
    with first.test_request_context():
        render_cache.extension().clear()


def test_unset_is_a_folder_and_the_environment_s_null_is_no_cache(monkeypatch, tmp_path):
    """COMMONS_CACHE_URL=null reaches the config as None (Flask reads the
    environment as JSON): that is "no cache", and unset is the folder."""
    from flask import Config

    from commons import ROOT

    def read() -> dict:
        config = Config(str(tmp_path))
        config.from_pyfile(str(ROOT / "config.py"))
        config.from_prefixed_env("COMMONS")
        return render_cache.config_for(config["CACHE_URL"], str(tmp_path), 10, 10, "p:")

    monkeypatch.delenv("COMMONS_CACHE_URL", raising=False)
    assert read()["CACHE_TYPE"] == "FileSystemCache"
    assert read()["CACHE_DIR"] == str(tmp_path / "render-cache")
    monkeypatch.setenv("COMMONS_CACHE_URL", "null")
    assert read()["CACHE_TYPE"] == "NullCache"
    monkeypatch.setenv("COMMONS_CACHE_URL", "redis://127.0.0.1:6379/2")
    assert read()["CACHE_TYPE"] == "RedisCache"


def test_highlighting_large_files_is_limited_per_client(make_app, repo):
    """?highlight=1 on a large file costs up to half a second of a worker:
    counted per client (BLOB_HIGHLIGHT_RATE_LIMIT); past it the page is the
    plain text, a 429 that says how long to wait. Plain views and
    highlightings the cache already holds are not counted."""
    client = make_app(CACHE_URL="null", BLOB_HIGHLIGHT_RATE_LIMIT="2 per minute").test_client()
    url = "/projects/dryer/blob/main/large.c"
    for _ in range(3):
        assert "Highlight</a>" in page(client, url)                     # plain: not counted
    for _ in range(2):
        assert '<span class="kt">int</span>' in page(client, url + "?highlight=1")
    refused = client.get(url + "?highlight=1")
    html = " ".join(refused.get_data(as_text=True).split())
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
    assert "more often than the site allows (2 per minute from one address)" in html
    assert f"Wait {refused.headers['Retry-After']} second" in html
    assert '<span class="kt">int</span>' not in html                    # the plain text
    assert f'id="L-{LARGE_LINES}"' in html and "Highlight</a>" in html

    cached = make_app(BLOB_HIGHLIGHT_RATE_LIMIT="1 per minute").test_client()
    for _ in range(4):   # highlighted once, then from the cache: never refused
        assert '<span class="kt">int</span>' in page(cached, url + "?highlight=1")


def test_a_readme_git_cannot_read_costs_the_readme_not_the_page(app, client, repo, repos_dir,
                                                                caplog):
    from commons.git import catfile

    assert "<em>dries</em>" in page(client, "/projects/dryer")
    broken = repos_dir / "dryer.git"
    (broken / "HEAD").unlink()   # git no longer takes the folder for a repository
    catfile.readers.forget(broken)   # as a worker started since would find it
    html = page(client, "/projects/dryer")
    assert "<h1>Dryer</h1>" in html and "<em>dries</em>" not in html
    assert "README README.md of" in caplog.text and "not read" in caplog.text
