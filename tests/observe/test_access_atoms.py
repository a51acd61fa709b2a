"""Each access-log atom, as gunicorn's glogging.Logger.atoms computes it."""

from __future__ import annotations

import base64
import os
import re

import pytest

from wsgiserver.errors import ConfigError
from wsgiserver.http.request import Request
from wsgiserver.observe.access import AccessFormat, Atoms, Entry, basic_auth_user
from wsgiserver.settings import Config
from wsgiserver.settings.logs import DEFAULT_ACCESS_FORMAT


def request(target=b"/a%20b/c?x=1&y=%22", method="POST", version="HTTP/1.0", headers=()):
    return Request(method, target, version, list(headers), True)


def entry(**overrides) -> Entry:
    values = dict(remote="10.1.2.3", request=request(headers=[
        ("Referer", "http://from/"), ("User-Agent", 'ua "quoted"'), ("X-Two", "1"),
        ("x-two", "2")]), status_code=201, body_sent=42,
        response_headers=[("Content-Type", "text/plain"), ("X-Out", "o")], elapsed=2.0034567,
        environ_of=lambda: {"REMOTE_USER": "env-user", "wsgi.url_scheme": "http"})
    values.update(overrides)
    return Entry(**values)


@pytest.mark.parametrize(("atom", "expected"), [
    ("h", "10.1.2.3"), ("l", "-"), ("u", "-"), ("r", "POST /a%20b/c?x=1&y=%22 HTTP/1.0"),
    ("s", "201"), ("m", "POST"), ("U", "/a b/c"), ("q", "x=1&y=%22"), ("H", "HTTP/1.0"),
    ("b", "42"), ("B", 42), ("f", "http://from/"), ("a", 'ua \\"quoted\\"'), ("T", 2),
    ("D", 2003456), ("M", 2003), ("L", "2.003456"), ("p", f"<{os.getpid()}>"),
    ("{x-two}i", "2"), ("{X-TWO}i", "2"), ("{nope}i", "-"), ("{x-out}o", "o"),
    ("{content-type}o", "text/plain"), ("{remote_user}e", "env-user"),
    ("{wsgi.url_scheme}e", "http"), ("{nope}e", "-"), ("{x}z", "-"), ("Z", "-"),
])
def test_each_atom(atom, expected):
    assert Atoms(entry())[atom] == expected


def test_t_is_the_common_log_format_time_in_brackets():
    assert re.fullmatch(r"\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]",
                        Atoms(entry())["t"])


def test_u_is_the_basic_auth_user():
    token = base64.b64encode(b"alice:pw").decode()
    got = entry(request=request(headers=[("Authorization", f"Basic {token}")]))
    assert Atoms(got)["u"] == "alice"
    assert basic_auth_user("Bearer abc") is None
    not_utf8 = "Basic " + base64.b64encode(b"\xff").decode()
    for value in ("Bearer abc", "Basic", "Basic !!!", not_utf8):
        assert Atoms(entry(request=request(headers=[("Authorization", value)])))["u"] == "-"


def test_a_refused_request_without_a_request_line_is_dashes():
    atoms = Atoms(entry(request=None, environ_of=None, response_headers=()))
    assert [atoms[k] for k in "rmUqHfa"] == ["-"] * 7
    assert atoms["{host}i"] == atoms["{x}o"] == atoms["{x}e"] == "-"


def test_only_the_atoms_the_format_uses_are_computed():
    def environ_never():
        raise AssertionError("the environ was built for a format without {var}e")

    def headers_never():
        raise AssertionError("the response headers were read for a format without {x}o")

    line = AccessFormat("%(h)s %(s)s").line(entry(environ_of=environ_never,
                                                  response_headers=headers_never))
    assert line == "10.1.2.3 201"


def test_the_default_format_is_gunicorns():
    gunicorn_config = pytest.importorskip("gunicorn.config")
    assert DEFAULT_ACCESS_FORMAT == gunicorn_config.AccessLogFormat.default
    assert Config.from_options().access_log_format == DEFAULT_ACCESS_FORMAT


def test_the_default_format_line():
    line = AccessFormat(DEFAULT_ACCESS_FORMAT).line(entry())
    assert re.fullmatch(r'10\.1\.2\.3 - - \[[^\]]+\] "POST /a%20b/c\?x=1&y=%22 HTTP/1\.0" '
                        r'201 42 "http://from/" "ua \\"quoted\\""', line), line


@pytest.mark.parametrize("bad", ["%(h", "%(h)s %", "%(h)q"])
def test_a_broken_format_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="bad access log format"):
        Config.from_options(access_log_format=bad)
