"""A .mailmap pushed to the default branch, end to end with the real git
client and a real server: a member of a direct-push project cannot move
other people's commits to herself, neither in the contributor records nor
out of a licence proposal's affected parties; a line moving commits between
addresses one account holds is still followed."""

from commons import clock as app_clock
from commons.accounts import services as accounts
from commons.extensions import db
from tests.git.test_governance import api, tick

MALICIOUS = """\
# "Cleaning up identities"
Mallory <mallory@example.org> <vic@example.org>
Mallory <mallory@example.org> Win <win@example.org>
Vic Proper <vic@example.org> <vic@old.example>
"""


def records(forge, slug: str) -> dict:
    status, body = api(forge, "GET", f"/projects/{slug}/contributors")
    assert status == 200, body
    return {record["username"] or record["name"]: record for record in body["contributors"]}


def test_a_pushed_mailmap_moves_no_one_elses_commits(forge, tmp_path):
    alice, mallory = forge.person("alice"), forge.person("mallory")
    vic, win = forge.person("vic"), forge.person("win")
    with forge.app.app_context():
        # vic's account holds her old address: her own line may map it.
        accounts.add_email(db.session, accounts.find_user(db.session, "vic"), "vic@old.example",
                           now=app_clock.now(), confirmed_at=app_clock.now())
        db.session.commit()
    slug = forge.project(alice, push="direct")
    forge.join(mallory, slug)

    work = tmp_path / "mallory"
    forge.git("clone", "-q", forge.url(slug, mallory), str(work))
    forge.commit(work, "frame.txt", "steel\n", "Frame", author=vic)
    forge.commit(work, "legs.txt", "oak\n", "Legs", author=win)
    (work / "tray.txt").write_text("mesh\n")
    forge.git("add", "tray.txt", cwd=work)
    forge.git("commit", "-q", "-m", "Tray", cwd=work,
              env={"GIT_AUTHOR_NAME": "Vic Old", "GIT_AUTHOR_EMAIL": "vic@old.example"})
    forge.git("push", "-q", "origin", "main", cwd=work)
    forge.pushes(1)
    before = records(forge, slug)
    assert before["vic"]["commits"]["authored"] == 2
    assert before["win"]["commits"]["authored"] == 1

    forge.commit(work, ".mailmap", MALICIOUS, "Tidy the mailmap", author=mallory)
    forge.git("push", "-q", "origin", "main", cwd=work)
    forge.pushes(2)

    after = records(forge, slug)
    assert after["vic"]["commits"]["authored"] == 2
    assert after["win"]["commits"]["authored"] == 1
    assert after["mallory"]["commits"]["authored"] == 1  # the .mailmap commit only

    status, proposal = api(forge, "POST", f"/projects/{slug}/proposals", mallory.token,
                           {"kind": "license", "title": "Relicense", "body": "",
                            "license": "Apache-2.0"})
    assert status == 201, proposal
    parties = {party["username"]: party for party in proposal["affected"]}
    assert {"vic", "win"} <= set(parties), proposal["affected"]
    assert parties["win"]["weight"] == 1
    # vic's two addresses are one party: her own line joined them, under
    # the name it gives.
    assert [party["username"] for party in proposal["affected"]].count("vic") == 1
    assert (parties["vic"]["name"], parties["vic"]["weight"]) == ("Vic Proper", 2)
    assert parties["mallory"]["weight"] == 1

    # Blame for a merge's affected parties does not follow her lines either.
    forge.git("checkout", "-q", "-b", "aluminium", cwd=work)
    forge.commit(work, "frame.txt", "aluminium\n", "Aluminium frame", author=mallory)
    forge.git("push", "-q", "origin", "aluminium", cwd=work)
    status, merge = api(forge, "POST", f"/projects/{slug}/proposals", mallory.token,
                        {"kind": "merge", "title": "Aluminium", "body": "",
                         "branch": "aluminium"})
    assert status == 201, merge
    assert [(party["username"], party["weight"]) for party in merge["affected"]] == [("vic", 1)]
    assert "mailmap" not in merge["details"]


def test_a_mailmap_line_passed_with_the_people_it_moves_as_parties_is_followed(forge,
                                                                                tmp_path):
    alice, mallory, win = forge.person("alice"), forge.person("mallory"), forge.person("win")
    slug = forge.project(alice, push="direct")
    forge.join(mallory, slug)
    work = tmp_path / "mallory"
    forge.git("clone", "-q", forge.url(slug, mallory), str(work))
    forge.commit(work, "legs.txt", "oak\n", "Legs", author=win)
    forge.git("push", "-q", "origin", "main", cwd=work)
    forge.git("checkout", "-q", "-b", "identities", cwd=work)
    forge.commit(work, ".mailmap", "Mallory <mallory@example.org> <win@example.org>\n",
                 "Map win's address", author=mallory)
    forge.git("push", "-q", "origin", "identities", cwd=work)
    forge.pushes(2)

    status, proposal = api(forge, "POST", f"/projects/{slug}/proposals", mallory.token,
                           {"kind": "merge", "title": "Identities", "body": "",
                            "branch": "identities"})
    assert status == 201, proposal
    # win is asked: the line would take her commit.
    [party] = [party for party in proposal["affected"] if party["username"] == "win"]
    assert party["reason"] == "its .mailmap credits their commits to m…@example.org"
    assert proposal["details"]["mailmap"] == [["win@example.org", "mallory@example.org"]]
    assert records(forge, slug)["win"]["commits"]["authored"] == 1

    assert "passed" in tick(forge)
    assert api(forge, "GET", f"/projects/{slug}/proposals/{proposal['number']}")[1][
        "status"] == "passed"
    after = records(forge, slug)
    assert "win" not in after
    assert after["mallory"]["commits"]["authored"] == 2
