"""Signed cookie values: HMAC-SHA256 over JSON, never pickle.

A token is ``base64url(json([value, issued_at])) "." base64url(mac)``; the
MAC also covers the cookie name, so a value signed for one cookie cannot be
replayed under another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any, Optional, Union

Secret = Union[str, bytes]


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: Secret, name: str, payload: str) -> str:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    digest = hmac.new(key, f"{name}={payload}".encode("ascii"), hashlib.sha256).digest()
    return _b64encode(digest)


def sign(secret: Secret, name: str, value: Any, now: Optional[float] = None) -> str:
    """Return a cookie-safe token holding the JSON-serialisable ``value``."""
    if not secret:
        raise ValueError("signing cookies needs a non-empty secret key")
    issued = int(time.time() if now is None else now)
    payload = _b64encode(json.dumps([value, issued], separators=(",", ":")).encode("utf-8"))
    return f"{payload}.{_mac(secret, name, payload)}"


def unsign(secret: Secret, name: str, token: str, max_age: Optional[float] = None,
           now: Optional[float] = None) -> Any:
    """The value inside ``token``, or None if it is forged, malformed or too old."""
    payload, _, mac = token.rpartition(".")
    # compare_digest refuses non-ASCII text, and a forged token may carry some.
    if not secret or not payload or not token.isascii():
        return None
    if not hmac.compare_digest(mac, _mac(secret, name, payload)):
        return None
    try:
        value, issued = json.loads(_b64decode(payload))
    except (ValueError, TypeError, binascii.Error):
        return None
    if type(issued) is not int:  # bool is an int subclass, and not a time
        return None
    age = (time.time() if now is None else now) - issued
    if max_age is not None and age > max_age:
        return None
    return value

