"""Conditional requests for static files (RFC 9110 §13).

`request_fields` picks the few header fields static files care about in one
pass; `precondition` runs the evaluation order of §13.2.2 and says whether
the request gets 412, 304 or the file; `if_range_allows` decides whether a
Range still applies (§13.1.5). Both need only the file's ETag and mtime.
"""

from __future__ import annotations

import re
import time
from http import HTTPStatus
from typing import Optional

from ..http.dates import parse_http_date

# entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc may include commas, so no split(",").
_ENTITY_TAG = re.compile(r'\s*(W/)?("[^"]*")\s*(?:,|$)')
FIELDS = frozenset(("if-match", "if-none-match", "if-modified-since", "if-unmodified-since",
                    "if-range", "range", "accept-encoding"))


def request_fields(headers: list[tuple[str, str]]) -> dict[str, str]:
    """The fields in FIELDS by lower-case name; repeated lines joined with commas.

    Joining is right for the list fields (RFC 9110 §5.3) and makes a repeated
    date or Range invalid, which is what it should be: ignored.
    """
    fields: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        if key in FIELDS:
            fields[key] = f"{fields[key]}, {value}" if key in fields else value
    return fields


def precondition(fields: dict[str, str], etag: str, mtime: int) -> Optional[HTTPStatus]:
    """412 or 304 if a precondition says so, else None (send the file)."""
    if_match = fields.get("if-match")
    if if_match is not None:
        if not etag_matches(if_match, etag, weak=False):
            return HTTPStatus.PRECONDITION_FAILED
    elif _modified_since(fields.get("if-unmodified-since"), mtime):
        return HTTPStatus.PRECONDITION_FAILED
    if_none_match = fields.get("if-none-match")
    if if_none_match is not None:
        # Static files only answer GET and HEAD here, for which a match is 304.
        return HTTPStatus.NOT_MODIFIED if etag_matches(if_none_match, etag, weak=True) else None
    if _not_modified_since(fields.get("if-modified-since"), mtime):
        return HTTPStatus.NOT_MODIFIED
    return None


def if_range_allows(value: Optional[str], etag: str, mtime: int) -> bool:
    """True if Range applies: no If-Range, or it names the current file (strongly)."""
    if value is None:
        return True
    value = value.strip()
    if value.startswith('"'):
        return value == etag
    if value.startswith("W/"):
        return False  # If-Range needs a strong validator
    # A Last-Modified within the last second is weak (§8.8.2.2): the file may
    # change again in the same second without the date changing.
    return parse_http_date(value) == mtime and time.time() - mtime >= 1


def etag_matches(header: str, etag: str, weak: bool) -> bool:
    if header.strip() == "*":
        return True  # any current representation: a static file always has one
    for match in _ENTITY_TAG.finditer(header):
        is_weak, tag = match.group(1), match.group(2)
        if tag == etag and (weak or not is_weak):
            return True
    return False


def _modified_since(value: Optional[str], mtime: int) -> bool:
    since = parse_http_date(value)
    return since is not None and mtime > since


def _not_modified_since(value: Optional[str], mtime: int) -> bool:
    since = parse_http_date(value)
    return since is not None and mtime <= since
