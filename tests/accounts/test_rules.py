import pytest

from commons.accounts import rules


@pytest.mark.parametrize("name", ["alice", "a", "bob-2", "x" * 39, "0day"])
def test_good_usernames(name):
    assert rules.username_problem(name) is None


@pytest.mark.parametrize("name", ["", "Alice", "-bob", "bob-", "bo--b", "x" * 40, "ali ce",
                                  "ålice", "admin", "bob.smith", "bob_smith"])
def test_bad_usernames_say_why(name):
    assert rules.username_problem(name)


def test_passwords_have_a_minimum_and_maximum_length():
    assert rules.password_problem("short") == "Use a password of at least 10 characters."
    assert rules.password_problem("x" * 10) is None
    assert "at most" in rules.password_problem("x" * 1025)


def test_tokens_are_random_prefixed_and_hashed():
    first, second = rules.new_token(), rules.new_token()
    assert first != second and first.startswith("cmn_") and len(first) > 40
    assert rules.hash_token(first) == rules.hash_token(first)
    assert rules.hash_token(first) != rules.hash_token(second)
    assert first not in rules.hash_token(first)


@pytest.mark.parametrize("target", ["/projects", "/projects/x?tab=1", "/settings#tokens"])
def test_next_url_on_this_site_is_kept(target):
    assert rules.safe_next_url(target) == target


@pytest.mark.parametrize("target", [None, "", "https://evil.example/", "//evil.example/x",
                                    "/\\evil.example", "javascript:alert(1)", "projects",
                                    "/\tx", "http:/evil"])
def test_next_url_elsewhere_is_refused(target):
    assert rules.safe_next_url(target) is None


def test_a_links_lifetime_in_words():
    assert rules.lifetime_words(2 * 86400) == "48 hours"
    assert rules.lifetime_words(600) == "10 minutes"
    assert rules.lifetime_words(30) == "1 minute"


def test_confirmation_payloads_are_checked_for_shape():
    good = rules.confirmation_data(3, 7, "ada@example.org")
    assert rules.confirmation_payload(good) == rules.ConfirmationLink(3, 7, "ada@example.org")
    for bad in (None, [3, 7], {"e": "3", "u": 7, "a": "x"}, {"e": True, "u": 7, "a": "x"},
                {"e": 3, "u": 7}):
        assert rules.confirmation_payload(bad) is None
