"""Building the PEP 3333 environ for a request."""

from __future__ import annotations

import sys

from ..http.request import Request
from ..http.response import SERVER_HEADER
from ..http.targets import decode_path, split_target
from .file_wrapper import FileWrapper


def base_environ(server_name: str, server_port: str, multithread: bool,
                 multiprocess: bool = False) -> dict:
    """The keys that are the same for every request a server answers."""
    return {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": multithread,
        "wsgi.multiprocess": multiprocess,
        "wsgi.run_once": False,
        "wsgi.input_terminated": True,
        "wsgi.file_wrapper": FileWrapper,
        "SCRIPT_NAME": "",
        "SERVER_NAME": server_name,
        "SERVER_PORT": server_port,
        "SERVER_SOFTWARE": SERVER_HEADER,
    }


# As gunicorn's secure_scheme_headers: header -> value that means https.
SECURE_SCHEME_HEADERS = (("HTTP_X_FORWARDED_PROTOCOL", "ssl"),
                         ("HTTP_X_FORWARDED_PROTO", "https"), ("HTTP_X_FORWARDED_SSL", "on"))


def trusted_proxies(setting: str) -> frozenset:
    """The --forwarded-allow-ips value as a set of addresses ('*' trusts everyone)."""
    return frozenset(part.strip() for part in setting.split(",") if part.strip())


def connection_environ(base: dict, remote, proxies: frozenset) -> tuple[dict, bool]:
    """The server's keys plus this peer's address, and whether the peer is a trusted proxy.

    Built once per connection: the peer does not change between its requests.
    """
    environ = base.copy()
    if type(remote) is tuple and len(remote) >= 2:
        environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = remote[0], str(remote[1])
    else:
        # A unix-socket peer has no address: as gunicorn, REMOTE_ADDR is empty
        # and REMOTE_PORT absent, rather than an address the peer does not have
        # (an app would log, rate-limit or trust 127.0.0.1 for it).
        environ["REMOTE_ADDR"] = ""
    return environ, bool(proxies) and _is_trusted(remote, proxies)


def request_environ(base: dict, request: Request, trusted: bool = False,
                    unix_peer: bool = False) -> dict:
    """The environ for one request; `base` comes from `connection_environ`."""
    environ = base.copy()
    target = request.target
    parts = _target_parts.get(target)
    if parts is None:
        parts = _parts_of(target)
    environ["REQUEST_METHOD"] = request.method
    environ["PATH_INFO"], environ["QUERY_STRING"], raw_uri = parts
    environ["RAW_URI"] = environ["REQUEST_URI"] = raw_uri
    environ["SERVER_PROTOCOL"] = request.version
    environ["wsgi.input"] = request.body
    _add_headers(environ, request.headers)
    if unix_peer and request.host:
        _server_from_host(environ, request.host)
    if trusted:
        _apply_forwarded_scheme(environ)
    return environ


# target -> (PATH_INFO, QUERY_STRING, RAW_URI), a pure function of the bytes:
# the same few URLs repeat, and splitting and decoding each is a good share of
# a small request's cost. Bounded like _environ_keys.
_target_parts: dict[bytes, tuple[str, str, str]] = {}


def _parts_of(target: bytes) -> tuple[str, str, str]:
    path, query = split_target(target)
    parts = (decode_path(path), query.decode("latin-1") if query else "",
             target.decode("latin-1"))
    if len(target) <= 256:  # bounded in size as well as count
        if len(_target_parts) >= 512:
            _target_parts.clear()  # a flood of distinct URLs cannot grow it without bound
        _target_parts[target] = parts
    return parts


def _is_trusted(remote, proxies: frozenset) -> bool:
    # A unix-socket peer is a local process (a proxy on the same host).
    return type(remote) is not tuple or "*" in proxies or remote[0] in proxies


def _apply_forwarded_scheme(environ: dict) -> None:
    """wsgi.url_scheme from a trusted proxy's header, as gunicorn does."""
    for key, secure_value in SECURE_SCHEME_HEADERS:
        value = environ.get(key)
        if value is not None:
            environ["wsgi.url_scheme"] = "https" if value.lower() == secure_value else "http"
            return


def _add_headers(environ: dict, headers: list[tuple[str, str]]) -> None:
    keys = _environ_keys
    for name, value in headers:
        key = keys.get(name)
        if key is None:
            key = _environ_key(name)
        if not key:
            continue
        if key in environ:
            value = environ[key] + "," + value
        environ[key] = value


_environ_keys: dict[str, str] = {}  # header name -> environ key: the same few names repeat


def _environ_key(name: str) -> str:
    """HTTP_* key for a header name, or "" to drop it; remembered (a bounded cache)."""
    if "_" in name:
        # Dropped: "X_Forwarded_For" would otherwise be indistinguishable
        # from "X-Forwarded-For" in the environ (header spoofing).
        key = ""
    else:
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
    if len(name) <= 64:  # bounded in size as well as count: names can be 8 KB long
        if len(_environ_keys) >= 512:
            _environ_keys.clear()  # a flood of made-up names cannot grow it without bound
        _environ_keys[name] = key
    return key


def _server_from_host(environ: dict, host: str) -> None:
    # As gunicorn does: over TCP, SERVER_NAME/PORT stay the listening address
    # (RFC 3875 4.1.15: the port the request was received on; PEP 3333 rebuilds
    # URLs from HTTP_HOST first). A unix socket has neither, so it takes them
    # from Host, with the scheme's default port when Host names none.
    name, port = host, "80"
    if host.startswith("["):
        end = host.find("]")
        name, port = host[:end + 1], host[end + 2:] if host[end + 1:end + 2] == ":" else None
    elif ":" in host:
        name, port = host.rsplit(":", 1)
    environ["SERVER_NAME"] = name
    environ["SERVER_PORT"] = port if port and port.isdigit() else "80"
