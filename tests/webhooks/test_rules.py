"""The pure webhook rules: URLs, refused addresses, signatures, backoff."""

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from commons.webhooks import rules


def test_http_and_https_urls_are_targets():
    assert rules.parse_url("https://CI.example.org/hook?x=1") == \
        rules.Target("https", "ci.example.org", 443, "/hook?x=1")
    assert rules.parse_url("http://[2001:db8::1]:8080") == \
        rules.Target("http", "2001:db8::1", 8080, "/")


@pytest.mark.parametrize("url, says", [
    ("ftp://example.org/hook", "Only http:// and https://"),
    ("file:///etc/passwd", "Only http:// and https://"),
    ("javascript:alert(1)", "Only http:// and https://"),
    ("example.org/hook", "Only http:// and https://"),
    ("", "Give the URL"),
    ("http://", "names no host"),
    ("https://user:pw@example.org/", "user name and password"),
    ("http://example.org:99999/", "cannot be read"),
    ("http://example.org/a b", "spaces"),
])
def test_other_urls_are_refused_with_a_reason(url, says):
    with pytest.raises(rules.Refused, match=says):
        rules.parse_url(url)


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.1", "::1", "10.0.0.5", "172.16.3.4", "192.168.1.1", "169.254.169.254",
    "fe80::1", "224.0.0.1", "ff02::1", "0.0.0.0", "::", "240.0.0.1", "100.64.0.1",
    "::ffff:127.0.0.1", "::ffff:10.1.2.3", "fc00::1", "2002:7f00:1::",
])
def test_addresses_inside_the_servers_networks_are_refused(address):
    assert rules.refusal(address) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1::1", "1.1.1.1"])
def test_public_addresses_are_allowed(address):
    assert rules.refusal(address) is None


def test_the_signature_is_the_hex_hmac_sha256_of_the_body():
    body = b'{"event":"push"}'
    expected = hmac.new(b"s3cret-s3cret-s3cret", body, hashlib.sha256).hexdigest()
    assert rules.sign("s3cret-s3cret-s3cret", body) == "sha256=" + expected
    assert rules.verify("s3cret-s3cret-s3cret", body, "sha256=" + expected)
    assert not rules.verify("another-secret-value", body, "sha256=" + expected)
    assert not rules.verify("s3cret-s3cret-s3cret", body + b" ", "sha256=" + expected)


def test_the_body_names_event_project_delivery_and_time():
    at = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    text = rules.body("push", "dryer", "d-1", at, {"refs": []})
    assert json.loads(text) == {"event": "push", "project": "dryer", "delivery": "d-1",
                                "timestamp": "2026-12-01T11:00:00Z", "data": {"refs": []}}


def test_attempts_back_off_doubling_until_the_last():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert rules.next_attempt(1, 5, 30, now) == now + timedelta(seconds=30)
    assert rules.next_attempt(2, 5, 30, now) == now + timedelta(seconds=60)
    assert rules.next_attempt(4, 5, 30, now) == now + timedelta(seconds=240)
    assert rules.next_attempt(5, 5, 30, now) is None


def test_only_2xx_is_delivered():
    assert rules.succeeded(200) and rules.succeeded(204)
    assert not any(rules.succeeded(code) for code in (None, 199, 301, 302, 404, 500))
