"""Two people creating the same slug at the same moment: one wins, the other
hears why, and exactly one repository exists."""

import threading

import git

from tests.conftest import bearer


def test_simultaneous_creation_of_one_slug(app, token_for, repos_dir):
    tokens = {name: token_for(name) for name in ("alice", "bob")}
    barrier = threading.Barrier(2)
    results = {}

    def create(name):
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/v1/projects", headers=bearer(tokens[name]), json={
            "name": f"{name}'s dryer", "slug": "dryer", "license": "MIT"})
        results[name] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=create, args=(name,)) for name in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    statuses = sorted(status for status, _ in results.values())
    assert statuses == [201, 409], results
    winner = next(name for name, (status, _) in results.items() if status == 201)
    loser = next(name for name, (status, _) in results.items() if status == 409)
    assert "pick another slug" in results[loser][1]["error"]
    assert [p.name for p in repos_dir.iterdir()] == ["dryer.git"]
    assert git.Repo(repos_dir / "dryer.git").commit("main").author.name == winner
    project = app.test_client().get("/api/v1/projects/dryer").get_json()
    assert project["name"] == f"{winner}'s dryer"
