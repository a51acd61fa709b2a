"""Request targets (RFC 9112 §3.2): the path and query of each form."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

import httptools


def split_target(target: bytes) -> tuple[bytes, bytes]:
    """(path, query) from an origin-form, absolute-form or asterisk-form target."""
    if target.startswith(b"/"):
        path, _, query = target.partition(b"?")
        return path.partition(b"#")[0], query.partition(b"#")[0]
    if target == b"*":
        return b"*", b""
    try:
        url = httptools.parse_url(target)
    except httptools.HttpParserInvalidURLError:
        return b"", b""  # authority-form (CONNECT host:port) names no path
    return url.path or b"/", url.query or b""


def decode_path(path: bytes) -> str:
    """Percent-decoded path bytes as latin-1 (PEP 3333's "bytes in a str")."""
    return unquote_to_bytes(path).decode("latin-1") if b"%" in path else path.decode("latin-1")
