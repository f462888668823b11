from tests.git.conftest import forge  # noqa: F401 (the real git client against a live server)
