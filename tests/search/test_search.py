"""/search on the real database (SQLite, or PostgreSQL when
COMMONS_TEST_DATABASE_URI names one): what is found, what is marked, and
that no query is a 500 or finds everything."""

import re

import pytest

from commons import clock
from commons.accounts import services as accounts
from commons.extensions import db
from commons.governance import services as governance
from commons.governance.models import Proposal
from commons.governance.settings import Settings as GovernanceSettings
from commons.ledger.models import Input
from commons.ledger.needs import NeedForm, record_need
from commons.projects import services as projects
from commons.search import services as search


class Scene:
    def __init__(self, app):
        self.app = app

    def person(self, username):
        with self.app.app_context():
            user = accounts.register_user(db.session, username, f"{username}@example.org",
                                          "correct horse battery staple", now=clock.now(),
                                          confirmed_at=clock.now())
            db.session.commit()
            return user.id

    def project(self, founder, slug, name, description=""):
        with self.app.app_context():
            user = accounts.find_user(db.session, founder)
            project = projects.create_project(db.session, user, projects.NewProject(
                name=name, slug=slug, license="MIT", description=description),
                projects.Settings.from_config(self.app.config), now=clock.now())
            db.session.commit()
            return project.id

    def proposal(self, author, slug, title, body=""):
        with self.app.app_context():
            user = accounts.find_user(db.session, author)
            project = projects.get_project(db.session, slug)
            proposal = governance.open_proposal(
                db.session, project, user, "decision", title, body, None,
                GovernanceSettings.from_config(self.app.config), clock.now())
            db.session.commit()
            return proposal.number

    def need(self, author, slug, title, description=""):
        with self.app.app_context():
            user = accounts.find_user(db.session, author)
            project = projects.get_project(db.session, slug)
            need = record_need(db.session, project, user, NeedForm(
                title=title, kind="material", quantity="2", unit="kg",
                description=description), clock.now())
            db.session.commit()
            return need.number


@pytest.fixture
def scene(app):
    scene = Scene(app)
    scene.person("ada")
    scene.project("ada", "solar-dryer", "Solar dryer", "A solar food dryer anyone can build.")
    return scene


def page(client, q, **args):
    response = client.get("/search", query_string={"q": q, **args})
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def marks(html):
    return re.findall(r"<mark>(.*?)</mark>", html)


def test_an_empty_query_shows_just_the_box(client):
    html = page(client, "")
    assert 'role="search"' in html and "Nothing found" not in html
    assert 'id="projects"' not in html and 'id="code"' not in html


def test_each_kind_is_found_grouped_and_marked(app, client, scene):
    scene.person("solarina")
    number = scene.proposal("ada", "solar-dryer", "Use a bigger solar panel",
                            "The panel we have is too small.")
    need = scene.need("ada", "solar-dryer", "Solar panel, 50 W", "For the fan.")
    html = page(client, "solar")
    for kind in ("projects", "proposals", "needs", "people"):
        assert f'id="{kind}"' in html, kind
    assert f'href="/projects/solar-dryer/proposals/{number}"' in html
    assert f'href="/projects/solar-dryer/inputs/{need}"' in html
    assert 'href="/users/solarina"' in html
    assert set(marks(html)) >= {"Solar", "solar"}
    assert "ada@example.org" not in html


def test_every_word_must_match(client, scene):
    scene.proposal("ada", "solar-dryer", "Paint the frame", "Green paint lasts longer.")
    assert 'id="proposals"' in page(client, "green frame")
    assert "Nothing found" in page(client, "green bicycle")


def test_a_partly_typed_word_matches(client, scene):
    scene.proposal("ada", "solar-dryer", "Dehydrator trays", "")
    assert "Dehydrator" in marks(page(client, "dehyd"))


@pytest.mark.parametrize("word", ["Dörrautomat", "сушилка", "太阳能", "सौर"])
def test_words_in_other_scripts_are_found(client, scene, word):
    scene.proposal("ada", "solar-dryer", f"{word} prototype", f"Ein {word} für alle.")
    html = page(client, word)
    assert 'id="proposals"' in html
    assert word in marks(html)


def test_case_is_ignored(client, scene):
    scene.proposal("ada", "solar-dryer", "СУШИЛКА for Kyiv", "")
    assert "СУШИЛКА" in marks(page(client, "сушилка"))


ODD = ["%", "_", '"', "'", "\\", "*", "-", "(", ")", "NEAR", "AND", "OR", "NOT",
       '"solar', "solar\\", "solar%", "sol_r", "NEAR(solar dryer)", "solar AND", "-solar",
       "solar*", "'; DROP TABLE projects; --", "a" * 2000, "solar " * 400,
       "%_%", "\\\\", "“solar”", ":*", "solar:*", "&|!", "<->"]


@pytest.mark.parametrize("q", ODD)
def test_odd_characters_are_never_a_500_nor_match_everything(client, scene, q):
    scene.proposal("ada", "solar-dryer", "Another proposal", "Empty.")
    scene.need("ada", "solar-dryer", "Rope", "")
    html = page(client, q)
    # Neither unrelated row is found by signs, operators or a wildcard.
    assert "Another proposal" not in html and "Rope" not in html
    assert page(client, "solar")  # and the database still answers


def test_a_nul_character_is_refused_with_a_reason(client):
    response = client.get("/search", query_string={"q": "\x00solar"})
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)


def test_markup_in_a_title_stays_text(client, scene):
    scene.proposal("ada", "solar-dryer", "<script>alert('x')</script> solar", "<b>bold</b> solar")
    # (PostgreSQL's parser skips what looks like a tag, so look for "solar".)
    html = page(client, "solar")
    assert "<script>alert" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; <mark>solar</mark>" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_results_follow_creation_editing_and_deletion(app, client, scene):
    assert "Nothing found" in page(client, "windmill")
    number = scene.proposal("ada", "solar-dryer", "A windmill too", "")
    assert "windmill" in marks(page(client, "windmill"))
    with app.app_context():
        project = projects.get_project(db.session, "solar-dryer")
        proposal = db.session.query(Proposal).filter_by(number=number).one()
        ada = accounts.find_user(db.session, "ada")
        governance.revise(db.session, proposal, project, ada,
                          GovernanceSettings.from_config(app.config), "clearer", clock.now(),
                          title="A water wheel")
        db.session.commit()
    assert "Nothing found" in page(client, "windmill")
    assert "wheel" in marks(page(client, "wheel"))
    need = scene.need("ada", "solar-dryer", "Turbine blades", "")
    assert "Turbine" in marks(page(client, "turbine"))
    with app.app_context():
        db.session.delete(db.session.query(Input).filter_by(number=need).one())
        db.session.commit()
    assert "Nothing found" in page(client, "turbine")


def test_projects_are_found_by_description_and_renamed(app, client, scene):
    assert "food" in marks(page(client, "food"))
    with app.app_context():
        project = projects.get_project(db.session, "solar-dryer")
        project.description = "Dries fruit."
        db.session.commit()
    assert 'id="projects"' not in page(client, "food")  # the README still says it
    assert "fruit" in marks(page(client, "fruit"))


def test_counts_per_kind_and_the_best_first(app, client, scene):
    for n in range(25):
        scene.proposal("ada", "solar-dryer", f"Tray {n}", "A tray of mesh.")
    scene.proposal("ada", "solar-dryer", "Mesh mesh mesh", "Mesh for the mesh trays.")
    with app.app_context():
        found = search.search(db.session, "mesh", search.Settings(per_kind=10))
    assert found.proposals.count == 26 and not found.proposals.more
    assert len(found.proposals.items) == 10
    assert found.proposals.items[0].row.title == "Mesh mesh mesh"
    html = page(client, "mesh")
    assert re.search(r'Proposals <span class="badge badge-muted">26</span>', html)


def test_search_within_a_project(app, client, scene):
    scene.project("ada", "bike", "Cargo bike", "")
    scene.proposal("ada", "solar-dryer", "Wheels for the dryer", "")
    scene.proposal("ada", "bike", "Wheels for the bike", "")
    html = page(client, "wheels", project="bike")
    assert "bike" in html and "for the dryer" not in html
    assert client.get("/search?q=x&project=nope").status_code == 404


def test_people_are_found_by_name_never_by_address(client, scene):
    scene.person("grace")
    html = page(client, "grace")
    assert 'href="/users/grace"' in html
    assert "Nothing found" in page(client, "example")  # every address ends so


def test_the_api_answers_the_same_search(client, scene):
    number = scene.proposal("ada", "solar-dryer", "Solar panel", "Bigger.")
    body = client.get("/api/v1/search?q=solar").get_json()
    assert body["terms"] == ["solar"] and body["code"] is None
    assert body["projects"]["items"][0]["web_url"].endswith("/projects/solar-dryer")
    assert body["proposals"]["count"] == 1
    assert body["proposals"]["items"][0]["number"] == number
    for q in ODD:
        assert client.get("/api/v1/search", query_string={"q": q[:2000]}).status_code == 200
    assert client.get("/api/v1/search", query_string={"q": "x" * 2001}).status_code == 422
    assert client.get("/api/v1/search?q=x&project=nope").status_code == 404
    with_code = client.get("/api/v1/search?q=food&code=true").get_json()
    assert with_code["code"]["hits"][0]["path"] == "README.md"


def test_a_word_in_more_rows_than_are_counted_is_ranked_among_the_newest(app, client, scene):
    numbers = [scene.proposal("ada", "solar-dryer", f"Mesh {n}", "mesh") for n in range(15)]
    with app.app_context():
        found = search.search(db.session, "mesh", search.Settings(per_kind=5, count_cap=10))
    assert found.proposals.count == 10 and found.proposals.more
    assert len(found.proposals.items) == 5
    assert {item.row.number for item in found.proposals.items} <= set(numbers[5:])
    html = page(client, "mesh")
    assert re.search(r'Proposals <span class="badge badge-muted">15</span>', html)


def test_every_page_has_the_search_box(client):
    html = client.get("/projects").get_data(as_text=True)
    box = re.search(r'<form role="search" class="site-search" action="/search" method="get">'
                    r'(.*?)</form>', html, re.S)
    assert box, "no search box in the header"
    assert '<label class="visually-hidden" for="site-search-q">' in box.group(1)
    assert 'id="site-search-q" type="search" name="q"' in box.group(1)
