import base64

import pytest

from tests.conftest import TEST_PASSWORD


def basic(username: str, password: str) -> dict:
    raw = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def token_for(client, runner):
    """Create an account with the CLI and a token through the API."""
    def make(username: str) -> str:
        result = runner.invoke(args=["users", "create", username, f"{username}@example.org",
                                     "--password", TEST_PASSWORD])
        assert result.exit_code == 0, result.output
        response = client.post("/api/v1/tokens", json={"name": "tests"},
                               headers=basic(username, TEST_PASSWORD))
        assert response.status_code == 201, response.get_json()
        return response.get_json()["token"]
    return make
