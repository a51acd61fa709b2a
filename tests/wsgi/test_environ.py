"""wsgiserver.environ without a server: the PEP 3333 keys built from a Request."""

import io

from wsgiserver.http.request import Request
from wsgiserver.wsgi import environ as env_mod
from wsgiserver.wsgi.environ import (
    base_environ,
    connection_environ,
    request_environ,
    trusted_proxies,
)

BASE = base_environ("127.0.0.1", "8000", multithread=True)


def make(target=b"/p", headers=(), remote=("10.0.0.5", 4242), proxies="127.0.0.1"):
    request = Request("GET", target, "HTTP/1.1", list(headers), True)
    request.body = io.BytesIO()
    request.host = next((v for k, v in headers if k.lower() == "host"), None)
    base, trusted = connection_environ(BASE, remote, trusted_proxies(proxies))
    return request_environ(base, request, trusted, unix_peer=type(remote) is not tuple)


def test_peer_address_and_request_line_keys():
    environ = make(b"/a%20b/c?x=1&y=%41")
    assert (environ["REMOTE_ADDR"], environ["REMOTE_PORT"]) == ("10.0.0.5", "4242")
    assert environ["PATH_INFO"] == "/a b/c"
    assert environ["QUERY_STRING"] == "x=1&y=%41"
    assert environ["RAW_URI"] == environ["REQUEST_URI"] == "/a%20b/c?x=1&y=%41"
    assert environ["SERVER_PROTOCOL"] == "HTTP/1.1"


def test_one_connection_base_serves_many_requests_unchanged():
    base, _ = connection_environ(BASE, ("10.0.0.5", 1), frozenset())
    before = dict(base)
    request = Request("GET", b"/", "HTTP/1.1", [("X-A", "1")], True)
    request_environ(base, request)["HTTP_X_B"] = "added by an app"
    assert base == before


def test_header_names_map_to_environ_keys_and_underscores_are_dropped():
    environ = make(headers=[("Host", "h"), ("Content-Type", "text/plain"),
                            ("X_Spoof", "evil"), ("x-multi", "a"), ("X-Multi", "b")])
    assert environ["HTTP_HOST"] == "h"
    assert environ["CONTENT_TYPE"] == "text/plain"
    assert environ["HTTP_X_MULTI"] == "a,b"
    assert not [key for key in environ if "SPOOF" in key]


def test_the_header_name_cache_stays_bounded_and_correct():
    names = [f"X-Made-Up-{i}" for i in range(2000)]
    environ = make(headers=[(name, "v") for name in names])
    assert len(env_mod._environ_keys) <= 512
    assert all(environ[f"HTTP_X_MADE_UP_{i}"] == "v" for i in range(2000))
    long_name = "X-" + "L" * 5000
    assert make(headers=[(long_name, "v")])["HTTP_X_" + "L" * 5000] == "v"
    assert long_name not in env_mod._environ_keys


def test_forwarded_scheme_only_from_trusted_peers():
    headers = [("X-Forwarded-Proto", "https")]
    assert make(headers=headers, remote=("127.0.0.1", 1))["wsgi.url_scheme"] == "https"
    assert make(headers=headers, remote=("10.9.9.9", 1))["wsgi.url_scheme"] == "http"
    assert make(headers=headers, remote=("10.9.9.9", 1), proxies="*")["wsgi.url_scheme"] == "https"


def test_a_unix_socket_peer_takes_server_name_from_host():
    environ = make(headers=[("Host", "example.org:8080")], remote="")
    assert (environ["SERVER_NAME"], environ["SERVER_PORT"]) == ("example.org", "8080")
    assert environ["REMOTE_ADDR"] == ""  # as gunicorn: no address, and no port at all
    assert "REMOTE_PORT" not in environ
    tcp = make(headers=[("Host", "example.org:8080")])
    assert (tcp["SERVER_NAME"], tcp["SERVER_PORT"]) == ("127.0.0.1", "8000")
