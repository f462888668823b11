"""Every browse page, open to anyone, against a real repository."""

import io
import re
import subprocess
import tarfile
import zipfile

import pytest

from commons import clock as app_clock
from commons.accounts.services import register_user
from commons.extensions import db
from commons.git.diff_rules import line_anchor
from commons.projects import services as projects
from tests.git.conftest import founded_by_ada

ENV = {"GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.org",
       "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.org",
       "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "PATH": "/usr/bin:/bin"}


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def repo(app, tmp_path, repos_dir):
    """Project "dryer" with a branch feature/frame holding code, a binary,
    a big file, a nested README, 120 commits and a tag."""
    founded_by_ada(app)
    work = tmp_path / "work"
    git("clone", "-q", str(repos_dir / "dryer.git"), str(work), cwd=tmp_path)
    git("checkout", "-q", "-b", "feature/frame", cwd=work)
    (work / "src" / "frame").mkdir(parents=True)
    (work / "src" / "frame" / "frame.py").write_text("def frame():\n    return '<script>'\n")
    (work / "src" / "README.md").write_text("# Sources\n\nThe *frame* lives here.\n")
    (work / "photo.bin").write_bytes(b"\x89PNG\x00\x01\x02" * 10)
    (work / "page.html").write_text("<script>alert('xss')</script>\n")
    (work / "big.txt").write_text("line\n" * 300_000)
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "Add the frame\n\nWith a longer body.", cwd=work)
    # 120 more commits in one go (git fast-import), to page through.
    stream = ""
    for number in range(120):
        message, content = f"Count {number}", f"{number}\n"
        stream += (f"commit refs/heads/feature/frame\n"
                   f"committer Ada <ada@example.org> {1_800_000_000 + number} +0000\n"
                   f"data {len(message)}\n{message}\n"
                   + ("from refs/heads/feature/frame^0\n" if number == 0 else "")
                   + f"M 100644 inline counter.txt\ndata {len(content)}\n{content}\n")
    subprocess.run(["git", "fast-import", "--quiet", "--force"], cwd=work, env=ENV, check=True,
                   input=stream, text=True)
    git("reset", "-q", "--hard", "feature/frame", cwd=work)
    git("tag", "v1.0", cwd=work)
    git("push", "-q", "origin", "feature/frame", "v1.0", cwd=work)
    return work


def text(response):
    return response.get_data(as_text=True)


def test_tree_shows_entries_and_renders_the_folder_readme(client, repo):
    page = client.get("/projects/dryer/tree/feature/frame/src")
    assert page.status_code == 200
    html = text(page)
    assert 'href="/projects/dryer/tree/feature/frame/src/frame">frame/</a>' in html
    assert "<h3>Sources</h3>" in html and "<em>frame</em>" in html
    top = text(client.get("/projects/dryer/tree/feature/frame"))
    assert 'href="/projects/dryer/blob/feature/frame/photo.bin">photo.bin</a>' in top
    default = client.get("/projects/dryer/tree")
    assert default.status_code == 200 and "LICENSE" in text(default)


def test_blob_is_highlighted_with_line_anchors_and_escaped(client, repo):
    html = text(client.get("/projects/dryer/blob/feature/frame/src/frame/frame.py"))
    assert 'class="highlight"' in html and 'href="#L-2"' in html and 'id="L-2"' in html
    assert "<script>" not in html.split("<main")[1]
    assert "&lt;script&gt;" in html


def test_binary_and_oversized_files_offer_the_raw_download(client, repo):
    assert "binary file" in text(client.get("/projects/dryer/blob/feature/frame/photo.bin"))
    big = text(client.get("/projects/dryer/blob/feature/frame/big.txt"))
    assert "too large to show here" in big


def test_raw_never_renders_html_in_our_origin(client, repo):
    page = client.get("/projects/dryer/raw/feature/frame/page.html")
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in page.headers["Content-Security-Policy"]
    assert text(page) == "<script>alert('xss')</script>\n"
    binary = client.get("/projects/dryer/raw/feature/frame/photo.bin")
    assert binary.headers["Content-Type"] == "application/octet-stream"
    assert binary.headers["Content-Disposition"].startswith("attachment;")
    assert binary.get_data() == b"\x89PNG\x00\x01\x02" * 10


def test_history_pages_follow_the_cursor_to_the_first_commit(client, repo):
    seen, url = [], "/projects/dryer/commits/feature/frame"
    while url:
        html = text(client.get(url))
        seen += re.findall(r'href="/projects/dryer/commit/([0-9a-f]{40})"', html)
        found = re.search(r'rel="next" href="([^"]+)"', html)
        url = found.group(1).replace("&amp;", "&") if found else None
    expected = git("rev-list", "--first-parent", "feature/frame", cwd=repo).split()
    assert seen == expected and len(seen) == 122


def test_history_of_one_path(client, repo):
    html = text(client.get("/projects/dryer/commits/feature/frame/src/frame/frame.py"))
    assert "Add the frame" in html and "Count 3" not in html


def test_commit_page_shows_message_parents_stats_and_diff(client, repo):
    sha = git("rev-parse", "feature/frame~120", cwd=repo).strip()
    with client.get(f"/projects/dryer/commit/{sha}") as response:
        first = text(response)
    html = text(client.get(f"/projects/dryer/commit/{sha}"))
    assert "Add the frame" in html and "With a longer body." in html
    assert "src/frame/frame.py" in html and "+2" in html
    # Each line numbered and anchored by (file, side, line), the file linked
    # at the commit, no raw "index 0000000.." lines.
    anchor = line_anchor("src/frame/frame.py", "new", 1)
    added = re.search(rf'<tr class="added">\s*<td class="num"></td>\s*<td class="num" id="{anchor}">'
                      r'.*?</tr>', html, re.S).group(0)
    assert ">frame<" in added and f'href="/projects/dryer/blob/{sha}/src/frame/frame.py"' in html
    # The first view was the same lines, uncoloured (highlighted after its response).
    plain = re.search(rf'<tr class="added">\s*<td class="num"></td>\s*<td class="num" id="{anchor}">'
                      r'.*?</tr>', first, re.S).group(0)
    assert "<code>def frame():</code>" in plain and ">frame<" not in plain
    assert "index 0000000" not in html
    assert "binary" in html
    # The 300,000-line file is folded, with a link to it and to the patch.
    assert "A large change (300000 lines), folded" in html and ">line<" not in html
    patch = client.get(f"/projects/dryer/commit/{sha}.patch")
    assert patch.status_code == 200 and patch.headers["Content-Type"].startswith("text/plain")
    assert "Subject: [PATCH] Add the frame" in text(patch)


def test_a_diff_too_large_in_total_is_cut_with_a_link(client, repo):
    for number in range(40):
        (repo / f"gen{number}.txt").write_text("".join(f"row {i} of {number}\n" for i in range(1500)))
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "Generate", cwd=repo)
    git("push", "-q", "origin", "feature/frame", cwd=repo)
    sha = git("rev-parse", "HEAD", cwd=repo).strip()
    html = text(client.get(f"/projects/dryer/commit/{sha}"))
    assert "40 files changed" in html and "larger than a page shows" in html
    assert f'href="/projects/dryer/commit/{sha}.patch"' in html


def test_branches_and_tags(client, repo):
    branches = text(client.get("/projects/dryer/branches"))
    assert "feature/frame" in branches and "(default)" in branches
    assert "v1.0" in text(client.get("/projects/dryer/tags"))


def test_archives_are_real_tarballs_and_zips(client, repo):
    tarball = client.get("/projects/dryer/archive/v1.0.tar.gz")
    assert tarball.status_code == 200
    with tarfile.open(fileobj=io.BytesIO(tarball.get_data()), mode="r:gz") as archive:
        assert "dryer-v1.0/src/frame/frame.py" in archive.getnames()
    zipped = client.get("/projects/dryer/archive/feature/frame.zip")
    with zipfile.ZipFile(io.BytesIO(zipped.get_data())) as archive:
        assert "dryer-feature-frame/counter.txt" in archive.namelist()


@pytest.mark.parametrize("url", [
    "/projects/dryer/tree/feature/frame/../../../etc",
    "/projects/dryer/tree/feature/frame/%2e%2e/%2e%2e/etc/passwd",
    "/projects/dryer/blob/feature/frame/..%2f..%2fconfig",
    "/projects/dryer/blob/feature/frame//etc/passwd",
    "/projects/dryer/raw/feature/frame/src/../../HEAD",
    "/projects/dryer/raw/main/%2Fetc%2Fpasswd",
    "/projects/dryer/tree/nope",
    "/projects/dryer/blob/main/not-here.txt",
    "/projects/dryer/tree/--output=/tmp/x",
    "/projects/dryer/commits/nope",
    "/projects/dryer/commits/main?after=HEAD",
    "/projects/dryer/commit/0123456789012345678901234567890123456789",
    "/projects/dryer/commit/HEAD",
    "/projects/dryer/archive/nope.tar.gz",
    "/projects/dryer/archive/main.rar",
    "/projects/nobody/tree/main",
    "/projects/dryer/blob/main/src",
])
def test_unknown_refs_paths_and_traversal_are_404(client, repo, url):
    response = client.get(url)
    assert response.status_code == 404, url
    assert "root:" not in text(response)


def test_an_empty_repository_shows_how_to_push(app, client, repos_dir):
    with app.app_context():
        user = register_user(db.session, "ada", "ada@example.org", "x" * 12, now=app_clock.now(),
                             confirmed_at=app_clock.now())
        projects.create_project(db.session, user, projects.NewProject(
            name="Empty", slug="empty", license="MIT"), projects.Settings.from_config(app.config),
                now=app_clock.now())
        db.session.commit()
    git("update-ref", "-d", "refs/heads/main", cwd=repos_dir / "empty.git")
    html = text(client.get("/projects/empty/tree"))
    assert "This repository is empty" in html and "git push origin main" in html


def test_a_branch_name_that_is_a_prefix_is_not_taken_for_another(client, repo):
    # "feature" is not a branch; "feature/frame" is: no archive of "feature/x".
    assert client.get("/projects/dryer/archive/feature/nope.tar.gz").status_code == 404
    assert client.get("/projects/dryer/archive/feature/frame.tar.gz").status_code == 200


def test_a_patch_over_the_cap_is_refused_with_a_reason(app, client, repo):
    app.config["MAX_PATCH_BYTES"] = 100_000
    big = git("rev-parse", "feature/frame~120", cwd=repo).strip()  # the 300,000-line file
    refused = client.get(f"/projects/dryer/commit/{big}.patch")
    assert refused.status_code == 413 and refused.headers["Content-Type"].startswith("text/plain")
    message = text(refused)
    assert "100000 bytes" in message and "git format-patch -1" in message and "From " not in message
    small = git("rev-parse", "feature/frame", cwd=repo).strip()
    patch = client.get(f"/projects/dryer/commit/{small}.patch")
    assert patch.status_code == 200 and "Subject: [PATCH] Count 119" in text(patch)
