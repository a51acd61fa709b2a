"""What a static response says about its file: type, validators, caching, coding.

Pure functions of a file's name and stat, and of request header values, so
they are cheap to unit-test and their results can be cached with the lookup.
"""

from __future__ import annotations

import mimetypes
import os
import re
from typing import Optional

# Python's built-in table only, so types do not change with /etc/mime.types.
_TYPES = mimetypes.MimeTypes()
for _ext, _type in ((".js", "text/javascript"), (".mjs", "text/javascript"),  # RFC 9239
                    (".webp", "image/webp"), (".avif", "image/avif"), (".woff", "font/woff"),
                    (".woff2", "font/woff2"), (".wasm", "application/wasm"),
                    (".webmanifest", "application/manifest+json"), (".md", "text/markdown")):
    _TYPES.add_type(_type, _ext)

_TEXT_TYPES = frozenset(("application/javascript", "application/json", "application/xml",
                         "image/svg+xml", "application/manifest+json"))

# A content hash before the extension (app.3f2a9c1e.css, main-0b1c2d3e4f.js):
# 8-64 hex digits with at least one digit and one letter, so dates and words
# (report.20240101.csv) are not mistaken for hashes and cached for a year.
_HASHED_NAME = re.compile(r"[.-](?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{8,64}(\.\w+)+$")
IMMUTABLE = "public, max-age=31536000, immutable"

# Precompressed siblings we look for, best first: (coding, file suffix).
CODINGS = (("br", ".br"), ("gzip", ".gz"))


def content_type_for(name: str) -> str:
    guessed, encoding = _TYPES.guess_type(name, strict=False)
    if guessed is None or encoding is not None:
        return "application/octet-stream"  # x.tar.gz is a gzip file, not a tar
    if is_text(guessed):
        return guessed + "; charset=utf-8"
    return guessed


def is_text(media_type: str) -> bool:
    return (media_type.startswith("text/") or media_type in _TEXT_TYPES
            or media_type.endswith(("+json", "+xml")))


def etag_for(info: os.stat_result) -> str:
    """A strong ETag: changes whenever the file is replaced, resized or touched."""
    return f'"{info.st_size:x}-{info.st_mtime_ns:x}-{info.st_ino:x}"'


def cache_control(name: str, max_age: int) -> str:
    if _HASHED_NAME.search(name):
        return IMMUTABLE  # a new version gets a new name, so this one never changes
    return f"public, max-age={max_age}" if max_age > 0 else "no-cache"


def accepted_codings(header: Optional[str]) -> dict[str, float]:
    """Accept-Encoding as {coding: q}; malformed members are skipped."""
    accepted: dict[str, float] = {}
    for member in (header or "").split(","):
        coding, _, params = member.partition(";")
        coding = coding.strip().lower()
        quality = _quality(params)
        if coding and quality is not None:
            accepted["gzip" if coding == "x-gzip" else coding] = quality
    return accepted


def _quality(params: str) -> Optional[float]:
    name, _, value = params.strip().partition("=")
    if not name:
        return 1.0
    if name.strip().lower() != "q":
        return None
    try:
        quality = float(value.strip())
    except ValueError:
        return None
    return quality if 0.0 <= quality <= 1.0 else None


def choose_coding(header: Optional[str], available: tuple[str, ...]) -> Optional[str]:
    """The best available coding the client accepts (q > 0), or None for identity."""
    if not available or not header:
        return None
    accepted = accepted_codings(header)
    wildcard = accepted.get("*", 0.0)
    best, best_q = None, 0.0
    for coding in available:  # in our preference order: a tie keeps the earlier one
        quality = accepted.get(coding, wildcard)
        if quality > best_q:
            best, best_q = coding, quality
    if best is not None and accepted.get("identity", 0.0) > best_q:
        return None  # the client prefers the file as it is
    return best
