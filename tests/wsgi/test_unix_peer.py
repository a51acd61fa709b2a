"""A unix-socket peer has no address (issue 12).

It used to get `REMOTE_ADDR=127.0.0.1` and `REMOTE_PORT=0`, an address it
does not have, which apps log, rate-limit and trust. As gunicorn does (its
`REMOTE_ADDR` is the empty address `accept()` gives, and it sets no
`REMOTE_PORT`), REMOTE_ADDR is now empty and REMOTE_PORT absent; the access
log writes `-` for the missing host, as Common Log Format does for any
missing field. A TCP peer on the same server is unchanged.
"""

from __future__ import annotations

import json
import logging

import pytest
from helpers import Client, wait_until

from wsgiserver.testing import live_server


def peer_app(environ, start_response):
    seen = {key: environ[key] for key in ("REMOTE_ADDR", "REMOTE_PORT") if key in environ}
    body = json.dumps(seen).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def access_lines():
    logger = logging.getLogger("wsgiserver.access")
    handler, level = Lines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture
def server(tmp_path, access_lines):
    unix_path = str(tmp_path / "peer.sock")
    with live_server(peer_app, bind=["127.0.0.1:0", f"unix:{unix_path}"]) as server:
        server.unix_path = unix_path
        yield server


def test_a_unix_peer_has_an_empty_remote_addr_and_no_port(server):
    with Client(unix_path=server.unix_path) as client:
        for _ in range(2):  # the per-connection environ, and its reuse
            response = client.request("/who")
            assert response.status == 200
            assert json.loads(response.body) == {"REMOTE_ADDR": ""}


def test_a_tcp_peer_on_the_same_server_keeps_its_address(server):
    with Client.to(server) as client:
        seen = json.loads(client.request("/who").body)
        assert seen == {"REMOTE_ADDR": "127.0.0.1",
                        "REMOTE_PORT": str(client.sock.getsockname()[1])}


def test_the_access_log_writes_a_dash_for_a_unix_peer(server, access_lines):
    with Client(unix_path=server.unix_path) as client:
        assert client.request("/logged").status == 200
    with Client.to(server) as client:
        assert client.request("/logged-tcp").status == 200
    # The line may be written just after the response went out: wait for both.
    assert wait_until(lambda: sum("/logged" in line for line in access_lines) >= 2)
    unix_line = next(line for line in access_lines if '"GET /logged HTTP' in line)
    tcp_line = next(line for line in access_lines if '"GET /logged-tcp HTTP' in line)
    assert unix_line.startswith("- - - [")
    assert tcp_line.startswith("127.0.0.1 - - [")
