import base64
import hashlib
import hmac
import json

import pytest

from miniframe.cookies import sign, unsign


def test_round_trip_keeps_json_values():
    value = {"user": 7, "roles": ["admin"], "name": "Zoë"}
    assert unsign("secret", "session", sign("secret", "session", value)) == value


def test_payload_is_plain_json_not_pickle():
    payload = sign("secret", "session", {"a": 1}).split(".")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert json.loads(decoded)[0] == {"a": 1}


def test_token_is_cookie_safe():
    token = sign("secret", "session", {"text": "a; b=c, \"d\""})
    assert all(char.isalnum() or char in "-_." for char in token)


@pytest.mark.parametrize("secret, name", [("other", "session"), ("secret", "other")])
def test_wrong_secret_or_other_cookie_name_is_rejected(secret, name):
    token = sign("secret", "session", 1)
    assert unsign(secret, name, token) is None


def test_tampered_payload_is_rejected():
    token = sign("secret", "session", {"admin": False})
    forged_payload = b64(b'[{"admin":true},0]')
    assert unsign("secret", "session", forged_payload + "." + token.split(".")[1]) is None


@pytest.mark.parametrize("token", ["", "no-dot", ".mac", "é.é", "a.b.c"])
def test_malformed_tokens_are_rejected(token):
    assert unsign("secret", "session", token) is None


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mac_for(secret, name, payload):
    """The MAC as the format documents it, computed independently of miniframe."""
    return b64(hmac.new(secret.encode(), f"{name}={payload}".encode(), hashlib.sha256).digest())


def test_documented_format_is_accepted():
    payload = b64(b'[{"user":1},0]')
    assert unsign("secret", "session", f"{payload}.{mac_for('secret', 'session', payload)}") == {
        "user": 1}


@pytest.mark.parametrize("content", [b"not json", b'{"a": 1}', b"[1]", b'[1, "x"]', b"[1, true]"])
def test_validly_signed_garbage_is_rejected(content):
    payload = b64(content)
    assert unsign("secret", "session", f"{payload}.{mac_for('secret', 'session', payload)}") is None


def test_max_age_limits_how_old_a_token_may_be():
    token = sign("secret", "session", "v", now=1000)
    assert unsign("secret", "session", token, max_age=60, now=1060) == "v"
    assert unsign("secret", "session", token, max_age=60, now=1061) is None


def test_signing_needs_a_secret():
    with pytest.raises(ValueError, match="secret"):
        sign("", "session", 1)
    assert unsign("", "session", sign("s", "session", 1)) is None
