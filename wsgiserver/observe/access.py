"""Access log lines from gunicorn's format atoms (`--access-logformat`).

The format is printf-style over a mapping, `%(h)s %(r)s ...`, as gunicorn's
`access_log_format`; the mapping (`Atoms`) computes an atom only when the
format asks for it, so a short format costs little. Values follow gunicorn's
`glogging.Logger.atoms` and `SafeAtoms`: a `"` in any text atom is escaped as
`\\"`, an unknown atom is `-`, and `{...}` names are case-insensitive.
"""

from __future__ import annotations

import base64
import binascii
import os
import time
from typing import Any, Callable, Optional

from ..http.request import Request
from ..http.targets import decode_path, split_target


class Entry:
    """What one access line is made from: the peer, the request (None when the
    parser refused bytes before a request line), the answer, and two lazy parts."""

    __slots__ = ("remote", "request", "status_code", "body_sent", "response_headers",
                 "elapsed", "environ_of")

    def __init__(self, remote: str, request: Optional[Request], status_code: int,
                 body_sent: int, response_headers: Any = (), elapsed: float = 0.0,
                 environ_of: Optional[Callable[[], Optional[dict]]] = None) -> None:
        self.remote = remote
        self.request = request
        self.status_code = status_code
        self.body_sent = body_sent
        self.response_headers = response_headers  # a list of (name, value), or a callable
        self.elapsed = elapsed  # seconds from the task's start to its last byte queued
        self.environ_of = environ_of  # the WSGI environ, built only for {var}e atoms


class AccessFormat:
    """A compiled `access_log_format`: `line(entry)` is the text of one log line.

    The atoms the format names are found once, here, so a line is one dict of
    just those atoms and one `%` on it."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        recorder = _KeyRecorder()
        try:
            fmt % recorder
        except (ValueError, TypeError):  # validated settings never get here
            recorder.keys.clear()
        self.getters = tuple((key, atom_getter(key)) for key in dict.fromkeys(recorder.keys))

    def line(self, entry: Entry) -> str:
        return self.fmt % {key: get(entry) for key, get in self.getters}


class _KeyRecorder:
    """Notes which keys `%` asks for; 0 suits every conversion (%s, %d, %f...)."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def __getitem__(self, key: str) -> int:
        self.keys.append(key)
        return 0


class Atoms:
    """All the atoms as a mapping, each computed when it is looked up."""

    __slots__ = ("entry",)

    def __init__(self, entry: Entry) -> None:
        self.entry = entry

    def __getitem__(self, key: str) -> Any:
        return atom_getter(key)(self.entry)


def atom_getter(key: str) -> Callable[[Entry], Any]:
    """How to compute the atom called `key`, with gunicorn's escaping of `"`."""
    if key.startswith("{"):
        lowered = key.lower()
        return lambda entry: _escaped(_braced(entry, lowered))
    atom = ATOMS.get(key)
    if atom is None:
        return lambda entry: "-"
    if key in MAY_QUOTE:
        return lambda entry: _escaped(atom(entry))
    return atom


def _escaped(value: Any) -> Any:
    if isinstance(value, str) and '"' in value:
        return value.replace('"', '\\"')
    return value


def _braced(entry: Entry, key: str) -> Any:
    """{header}i, {header}o and {variable}e; '-' for what is absent."""
    name, _, kind = key[1:].rpartition("}")
    if kind == "i":
        fields = entry.request.headers if entry.request is not None else ()
    elif kind == "o":
        fields = entry.response_headers
        fields = fields() if callable(fields) else fields
    elif kind == "e":
        environ = entry.environ_of() if entry.environ_of is not None else None
        fields = environ.items() if environ else ()
    else:
        return "-"
    return last_value(fields, name)


def last_value(fields: Any, name: str) -> Any:
    """The value of the last field called `name` (any case), as gunicorn's dict of them."""
    found = "-"
    for key, value in fields:
        if key.lower() == name:
            found = value
    return found


# -- the one-letter atoms: each takes the entry --

def _request_line(entry: Entry) -> str:
    request = entry.request
    if request is None:
        return "-"
    return f"{request.method} {request.target.decode('latin-1')} {request.version}"


def _path(entry: Entry) -> str:
    if entry.request is None:
        return "-"
    return decode_path(split_target(entry.request.target)[0])


def _query(entry: Entry) -> str:
    if entry.request is None:
        return "-"
    return split_target(entry.request.target)[1].decode("latin-1")


def _header(name: str) -> Callable[[Entry], str]:
    def atom(entry: Entry) -> str:
        value = entry.request.header(name) if entry.request is not None else None
        return "-" if value is None else value
    return atom


def basic_auth_user(authorization: Optional[str]) -> Optional[str]:
    """The user name of an `Authorization: Basic ...` header, as gunicorn's `u` atom."""
    if not authorization or not authorization.lower().startswith("basic"):
        return None
    parts = authorization.split(" ", 1)
    if len(parts) != 2:
        return None
    try:
        return base64.b64decode(parts[1].strip().encode()).split(b":", 1)[0].decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _user(entry: Entry) -> str:
    request = entry.request
    return (request is not None and basic_auth_user(request.header("Authorization"))) or "-"


_now_cache: list = [0, ""]


def common_log_time() -> str:
    """[10/Oct/2000:13:55:36 -0700], once per second (strftime is the slow part)."""
    now = int(time.time())
    if _now_cache[0] != now:
        _now_cache[:] = [now, time.strftime("[%d/%b/%Y:%H:%M:%S %z]", time.localtime(now))]
    return _now_cache[1]


def _micros(entry: Entry) -> int:
    return int(entry.elapsed * 1_000_000)


# The atoms whose text may hold a `"` (the others are numbers, tokens or fixed).
MAY_QUOTE = frozenset("urUqfa")

ATOMS: dict[str, Callable[[Entry], Any]] = {
    "h": lambda e: e.remote,
    "l": lambda e: "-",
    "u": _user,
    "t": lambda e: common_log_time(),
    "r": _request_line,
    "s": lambda e: str(e.status_code),
    "m": lambda e: e.request.method if e.request is not None else "-",
    "U": _path,
    "q": _query,
    "H": lambda e: e.request.version if e.request is not None else "-",
    "b": lambda e: str(e.body_sent),  # gunicorn writes 0, not CLF's '-', for no body
    "B": lambda e: e.body_sent,
    "f": _header("Referer"),
    "a": _header("User-Agent"),
    "T": lambda e: _micros(e) // 1_000_000,
    "D": _micros,
    "M": lambda e: _micros(e) // 1000,
    "L": lambda e: "{}.{:06d}".format(*divmod(_micros(e), 1_000_000)),
    "p": lambda e: f"<{os.getpid()}>",
}
