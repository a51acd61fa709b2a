"""`WSGIServer(app)` and `serve(app)` refuse an app that cannot be called (issue 12).

Before, the server listened and answered every request with 500 (PasteDeploy's
`call:` loader hands over whatever the entry point returned); the CLI already
refused the same mistake. Now construction raises ConfigError with one clear
line, before any socket is bound.
"""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from helpers import REPO, free_port

import wsgiserver
from wsgiserver.errors import ConfigError
from wsgiserver.process import serving


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.mark.parametrize("app, kind", [(42, "int"), ("app", "str"), ({"a": 1}, "dict"),
                                       (b"myapp:app", "bytes")])
def test_wsgiserver_refuses_a_non_callable_app_and_binds_nothing(app, kind):
    port = free_port()
    with pytest.raises(ConfigError, match=rf"is not callable \(it is a {kind}\)"):
        wsgiserver.WSGIServer(app, bind=[f"127.0.0.1:{port}"])
    assert port_is_free(port)


def test_a_string_gets_a_hint_where_names_belong():
    with pytest.raises(ConfigError, match="pass the callable itself"):
        wsgiserver.WSGIServer("apps.hello:application", bind=["127.0.0.1:0"])


def test_serve_refuses_it_too_before_listening(monkeypatch):
    def run(server):  # reached only if serve() built a server: stop it, never serve
        for sock in server.sockets:
            sock.close()
        raise AssertionError("serve() built a listening server for a non-callable app")

    monkeypatch.setattr(serving, "run", run)
    port = free_port()
    with pytest.raises(ConfigError, match="'app' is not callable"):
        wsgiserver.serve("app", host="127.0.0.1", port=port)
    assert port_is_free(port)


def test_callables_and_no_app_are_still_accepted():
    class App:
        def __call__(self, environ, start_response):
            return []

    for app in (None, App(), lambda environ, start_response: []):
        server = wsgiserver.WSGIServer(app, bind=["127.0.0.1:0"])
        assert server.app is app or app is None
        for sock in server.sockets:
            sock.close()
        server.loop.close()


def test_the_message_matches_the_clis():
    """One wording for one mistake: the CLI's says '... is not callable (it is a T)'."""
    result = subprocess.run(
        [sys.executable, "-m", "wsgiserver", "os:sep", "--bind", "127.0.0.1:0"],
        cwd=REPO, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "is not callable (it is a str)" in result.stderr
