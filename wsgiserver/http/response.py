"""Sans-IO response framing: status and headers in, the bytes of the head out.

The server, not the app, decides how a body is delimited (RFC 9112 §6):
Content-Length when known, chunked for HTTP/1.1 when not, and closing the
connection for HTTP/1.0. Hop-by-hop headers are the server's business too,
so an app's Transfer-Encoding or Keep-Alive is dropped and its
`Connection: close` is honoured.
"""

from __future__ import annotations

import re
import time
from typing import Optional

from ..version import __version__
from .dates import http_date_now

SERVER_HEADER = f"wsgiserver/{__version__}"
_SERVER_LINE = f"Server: {SERVER_HEADER}\r\n\r\n"

LENGTH, CHUNKED, CLOSE, NO_BODY = "length", "chunked", "close", "none"

class ResponseHead:
    """The framing decisions for one response and its encoded head."""

    __slots__ = ("status_code", "framing", "keep_alive", "content_length", "data")

    def __init__(self, status_code: int, framing: str, keep_alive: bool,
                 content_length: Optional[int], data: bytes) -> None:
        self.status_code = status_code
        self.framing = framing
        self.keep_alive = keep_alive
        self.content_length = content_length
        self.data = data


_status_codes: dict[str, int] = {}  # status lines already checked: apps repeat a few
_BAD_STATUS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]").search  # CR, LF, NUL...: no injection


def status_code_of(status: str) -> int:
    code = _status_codes.get(status) if type(status) is str else None
    if code is None:
        code = _parse_status(status)
        if len(_status_codes) < 256:
            _status_codes[status] = code
    return code


def _parse_status(status: str) -> int:
    try:
        code = int(status[:3])
        valid = (status[3] == " " and code >= 100 and status[:3].isdigit()
                 and not _BAD_STATUS(status))
    except (TypeError, ValueError, IndexError):
        valid = False
    if not valid:
        raise ValueError(f"invalid status {status!r}: expected 'NNN Reason'")
    return code


def body_forbidden(method: str, status_code: int) -> bool:
    return method == "HEAD" or status_code in (204, 304) or status_code < 200


def build_head(status: str, headers: list, *, method: str, version: str,
               keep_alive: bool, length_hint: Optional[int] = None,
               code: int = 0) -> ResponseHead:
    """Validate the app's status and headers, choose the framing, encode the head.

    `code` is the status code when the caller has already validated `status`.
    """
    code = code or status_code_of(status)
    lines = ["HTTP/1.1 ", status, "\r\n"]
    app_length, app_close, seen = _copy_headers(headers, lines, code)
    if app_close:
        keep_alive = False
    length = app_length if app_length is not None else length_hint
    framing = _choose_framing(method, code, version, length)
    if framing == CLOSE:
        keep_alive = False
    if app_length is None and length is not None and code not in (204, 304) and code >= 200:
        lines.append(f"Content-Length: {length}\r\n")
    if framing == CHUNKED:
        lines.append("Transfer-Encoding: chunked\r\n")
    _add_connection_header(lines, keep_alive, version)
    lines.append(_standard_headers(seen))
    data = "".join(lines).encode("latin-1")
    return ResponseHead(code, framing, keep_alive, length, data)


# Only these app headers change what the server does; a dict lookup per header
# finds them (this function runs for every response, so it is kept lean).
_NOTED = {"connection": 5, "keep-alive": 1, "transfer-encoding": 1, "te": 1, "trailer": 1,
          "upgrade": 1, "proxy-authenticate": 1, "proxy-authorization": 1,
          "content-length": 2, "date": 3, "server": 4}
_BAD_NAME = re.compile(r"[^!#$%&'*+\-.^_`|~0-9A-Za-z]").search
_BAD_VALUE = re.compile(r"[\r\n\0]").search


def _copy_headers(headers: list, lines: list[str],
                  code: int) -> tuple[Optional[int], bool, int]:
    """Copy the app's headers into lines; returns (Content-Length, close?, date/server seen)."""
    app_length, app_close, seen = None, False, 0
    for name, value in headers:
        if _BAD_NAME(name) or _BAD_VALUE(value) or not name:
            raise ValueError(f"header {name!r}: forbidden character in name or value")
        noted = _NOTED.get(name.lower())
        if noted == 1 or noted == 5:  # hop-by-hop: the server's business (PEP 3333)
            app_close = app_close or (noted == 5 and "close" in value.lower())
            continue
        if noted == 2:
            app_length = _parse_length(value)
            if code < 200 or code == 204:
                app_length = None
                continue  # RFC 9110 §8.6: never on 1xx or 204
        elif noted:
            seen |= noted
        lines += (name, ": ", value, "\r\n")
    return app_length, app_close, seen


def _standard_headers(seen: int) -> str:
    date = "" if seen & 3 == 3 else f"Date: {http_date_now()}\r\n"
    return date + ("\r\n" if seen & 4 else _SERVER_LINE)


def _parse_length(value: str) -> int:
    if not value.strip().isdigit():
        raise ValueError(f"invalid Content-Length {value!r}")
    return int(value)


def _choose_framing(method: str, code: int, version: str, length: Optional[int]) -> str:
    if body_forbidden(method, code):
        return NO_BODY
    if length is not None:
        return LENGTH
    return CLOSE if version == "HTTP/1.0" else CHUNKED


def _add_connection_header(lines: list[str], keep_alive: bool, version: str) -> None:
    if not keep_alive:
        lines.append("Connection: close\r\n")
    elif version == "HTTP/1.0":
        lines.append("Connection: keep-alive\r\n")


# (second, heads built in that second). Replaced, never cleared, when the
# second moves: a head still being built for the old second lands in the old
# dict. Keyed on time.time()'s second, the one http_date_now formats for Date.
_heads: tuple[int, dict] = (0, {})


def cached_head(status: str, headers: tuple, *, method: str, version: str, keep_alive: bool,
                length_hint: Optional[int]) -> ResponseHead:
    """build_head for heads the server builds itself (static files), memoised.

    A hot static file gets the same head on every request within a second
    (the Date header is the only thing that moves), so the validation and
    encoding are done once per second and file instead of once per request.
    """
    return _memoised_head((status, headers, method, version, keep_alive, length_hint),
                          list(headers), 0)


def app_head(status: str, headers: list, *, method: str, version: str, keep_alive: bool,
             length_hint: Optional[int], code: int) -> ResponseHead:
    """build_head for an app's response, memoised on the exact status and headers.

    Most apps answer with a handful of distinct header sets; checking and
    encoding each once per second (Date changes) instead of once per request
    is a large share of a small request's cost. Headers that cannot be a key
    (lists instead of tuples) simply skip the memo and are checked as usual.
    """
    return _memoised_head((status, tuple(headers), method, version, keep_alive, length_hint),
                          headers, code)


def _memoised_head(key: tuple, headers: list, code: int) -> ResponseHead:
    """The head for `key` (status, headers, method, version, keep-alive, length hint)."""
    global _heads
    second = int(time.time())
    if _heads[0] != second or len(_heads[1]) > 4096:  # inlined: this runs per response
        _heads = (second, {})
    heads = _heads[1]
    try:
        head = heads.get(key)
    except TypeError:  # unhashable headers: no memo, checked as usual
        head = None
        heads = None
    if head is None:
        status, _, method, version, keep_alive, length_hint = key
        head = build_head(status, headers, method=method, version=version,
                          keep_alive=keep_alive, length_hint=length_hint, code=code)
        if heads is not None:
            heads[key] = head
    return head


CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def error_response(status_code: int, phrase: str, detail: str = "",
                   close: bool = True, method: str = "GET") -> bytes:
    """A complete small text/plain response for errors the server answers itself."""
    body = f"{status_code} {phrase}\n{detail}\n".encode("utf-8", "replace") if detail \
        else f"{status_code} {phrase}\n".encode()
    headers = [("Content-Type", "text/plain; charset=utf-8")]
    head = build_head(f"{status_code} {phrase}", headers, method=method, version="HTTP/1.1",
                      keep_alive=not close, length_hint=len(body))
    return head.data + (b"" if method == "HEAD" else body)
