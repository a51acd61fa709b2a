"""Caps: --limit-per-client, and requests of a client that has gone away.

Live tests against the real server, plus unit tests of net/caps.ClientCaps.
The server listens on 127.0.0.1; a client socket bound to 127.0.0.2 first is a
second client address (on Linux the whole of 127/8 is local). The default
--forwarded-allow-ips (127.0.0.1,::1) exempts loopback, so the live tests set
it to a list without 127.0.0.1 (or empty).
"""

from __future__ import annotations

import logging
import socket
import struct
import threading

import pytest

from tests.helpers import Client, make_request, wait_until
from wsgiserver.net import caps as caps_module
from wsgiserver.net.caps import ClientCaps
from wsgiserver.testing import live_server

CAP_LOG = "--limit-per-client cap"


def hello(environ, start_response):
    body = b"hello " + environ["REMOTE_ADDR"].encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]


def client_from(server, source: str) -> Client:
    """A Client whose connection comes from `source` (a loopback address)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.bind((source, 0))
    sock.connect((server.host, server.port))
    client = Client.__new__(Client)
    super(Client, client).__init__(sock)
    return client


def served(client: Client) -> bool:
    response = client.request("/")
    return response.status == 200


def refused_at_once(client: Client) -> bool:
    """The server ended the connection without answering (EOF or reset)."""
    try:
        client.send(make_request("/"))
    except (BrokenPipeError, ConnectionResetError):
        return True
    return client.is_closed(timeout=5) and not client.buf


def settled(server) -> bool:
    """Every connection the server had is gone. live_server's port probe may still
    wait in the accept queue, so one request (from the other address, which has a
    count of its own) is answered first: the queue is FIFO."""
    if not getattr(server, "probed", False):
        with client_from(server, "127.0.0.2") as client:
            assert client.request("/").status == 200
        server.probed = True
    return not server.server.connections and not server.server.caps.open


def hold(server, count: int, source: str = "127.0.0.1") -> list[Client]:
    clients = [client_from(server, source) for _ in range(count)]
    assert all(served(c) for c in clients)  # each one accepted and counted
    return clients


# -- live: the cap -------------------------------------------------------------------

def test_a_sixth_connection_is_closed_at_once_while_another_address_is_served():
    with live_server(hello, limit_per_client=5, forwarded_allow_ips="10.9.9.9") as server:
        assert wait_until(lambda: settled(server))
        five = hold(server, 5)
        try:
            with client_from(server, "127.0.0.1") as sixth:
                assert refused_at_once(sixth)
            with client_from(server, "127.0.0.2") as other:
                response = other.request("/")
                assert response.status == 200 and response.body == b"hello 127.0.0.2"
            assert all(served(c) for c in five)  # the five are not disturbed
        finally:
            for client in five:
                client.close()


def test_closing_one_of_the_five_frees_a_slot():
    with live_server(hello, limit_per_client=5, forwarded_allow_ips="") as server:
        assert wait_until(lambda: settled(server))
        five = hold(server, 5)
        try:
            five.pop().close()
            assert wait_until(lambda: server.server.caps.holding("127.0.0.1") == 4)
            with client_from(server, "127.0.0.1") as again:
                assert served(again)
            with client_from(server, "127.0.0.1") as lucky, \
                    client_from(server, "127.0.0.1") as over:
                assert served(lucky)
                assert refused_at_once(over)
        finally:
            for client in five:
                client.close()


def test_an_exempt_proxy_address_is_never_capped():
    with live_server(hello, limit_per_client=2, forwarded_allow_ips="127.0.0.1") as server:
        clients = hold(server, 8)
        try:
            assert server.server.caps.holding("127.0.0.1") == 0  # not even counted
            with client_from(server, "127.0.0.2") as a, client_from(server, "127.0.0.2") as b, \
                    client_from(server, "127.0.0.2") as c:
                assert served(a) and served(b)
                assert refused_at_once(c)  # only the proxy is exempt
        finally:
            for client in clients:
                client.close()


def test_a_star_in_forwarded_allow_ips_exempts_everyone():
    with live_server(hello, limit_per_client=1, forwarded_allow_ips="*") as server:
        clients = hold(server, 4) + hold(server, 4, "127.0.0.2")
        for client in clients:
            client.close()


def test_limit_zero_means_no_cap():
    with live_server(hello, limit_per_client=0, forwarded_allow_ips="") as server:
        clients = hold(server, 30)
        for client in clients:
            client.close()


def test_unix_socket_peers_are_exempt(tmp_path):
    path = str(tmp_path / "caps.sock")
    with live_server(hello, bind=["127.0.0.1:0", f"unix:{path}"], limit_per_client=1,
                     forwarded_allow_ips="") as server:
        clients = [Client(unix_path=path, timeout=5) for _ in range(4)]
        try:
            assert all(served(c) for c in clients)
            assert not server.server.caps.open
        finally:
            for client in clients:
                client.close()


def test_a_burst_of_refusals_is_logged_once(caplog):
    caplog.set_level(logging.WARNING, logger="wsgiserver.error")
    with live_server(hello, limit_per_client=1, forwarded_allow_ips="") as server:
        assert wait_until(lambda: settled(server))
        [holder] = hold(server, 1)
        try:
            for _ in range(20):
                with client_from(server, "127.0.0.1") as refused:
                    assert refused_at_once(refused)
        finally:
            holder.close()
    lines = [r for r in caplog.records
             if r.name == "wsgiserver.error" and CAP_LOG in r.getMessage()]
    assert len(lines) == 1
    assert "127.0.0.1" in lines[0].getMessage()


# -- live: requests of a client that has gone away ------------------------------------

class SlowApp:
    """Records every call; /hold and the first call wait until the test lets them go."""

    def __init__(self):
        self.calls: list[str] = []
        self.go = threading.Event()
        self.started = threading.Event()

    def __call__(self, environ, start_response):
        self.calls.append(environ["PATH_INFO"])
        self.started.set()
        if len(self.calls) == 1:
            self.go.wait(5)
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]


def pipelined(count: int, prefix: str = "/") -> bytes:
    return b"".join(make_request(f"{prefix}{i}") for i in range(count))


def reset(sock: socket.socket) -> None:
    """Close with SO_LINGER 0: the kernel sends RST, not FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@pytest.mark.parametrize("threads", [0, 4])
@pytest.mark.parametrize("goes", ["reset", "close"])
def test_pipelined_requests_of_a_client_that_went_away_never_reach_the_app(threads, goes):
    app = SlowApp()
    with live_server(app, threads=threads) as server:
        sock = socket.create_connection((server.host, server.port), timeout=5)
        sock.sendall(pipelined(5))
        assert app.started.wait(5)
        reset(sock) if goes == "reset" else sock.close()
        app.go.set()
        assert wait_until(lambda: not server.server.connections)
    assert app.calls == ["/0"]  # the one in progress, none of the four queued


@pytest.mark.parametrize("threads", [0, 4])
def test_a_half_closed_client_still_gets_every_queued_answer(threads):
    app = SlowApp()
    app.go.set()
    with live_server(app, threads=threads) as server:
        with Client.to(server, timeout=5) as client:
            client.send(pipelined(5))
            client.sock.shutdown(socket.SHUT_WR)
            assert [client.read_response().status for _ in range(5)] == [200] * 5
            assert client.is_closed()
    assert app.calls == [f"/{i}" for i in range(5)]


def test_a_request_waiting_for_a_thread_is_dropped_when_its_client_resets():
    app = SlowApp()
    with live_server(app, threads=1) as server:
        with Client.to(server, timeout=5) as first:
            first.send(make_request("/hold"))
            assert app.started.wait(5)  # the only thread is taken
            sock = socket.create_connection((server.host, server.port), timeout=5)
            sock.sendall(pipelined(3, "/gone"))
            assert wait_until(lambda: len(server.server.connections) == 2)
            reset(sock)
            assert wait_until(lambda: len(server.server.connections) == 1)
            app.go.set()
            assert first.read_response().status == 200
            assert first.request("/after").status == 200  # the thread is free again
    assert app.calls == ["/hold", "/after"]


# -- unit: ClientCaps -----------------------------------------------------------------

def test_acquire_counts_up_to_the_limit_and_release_frees_a_slot():
    caps = ClientCaps(2)
    peer = ("192.0.2.1", 5000)
    assert caps.acquire(peer) and caps.acquire(("192.0.2.1", 5001))
    assert not caps.acquire(("192.0.2.1", 5002))
    assert caps.acquire(("192.0.2.2", 5000))  # another address has its own count
    caps.release(peer)
    assert caps.holding("192.0.2.1") == 1
    assert caps.acquire(peer)
    caps.release(peer)
    caps.release(peer)
    caps.release(peer)  # more releases than connections never go below zero
    assert caps.holding("192.0.2.1") == 0 and "192.0.2.1" not in caps.open


def test_exempt_addresses_star_zero_and_unix_peers_are_never_counted():
    caps = ClientCaps(1, frozenset({"10.0.0.1", "::1"}))
    for _ in range(3):
        assert caps.acquire(("10.0.0.1", 1))
        assert caps.acquire(("::ffff:10.0.0.1", 1, 0, 0))  # the same proxy on a [::] socket
        assert caps.acquire(("::1", 1, 0, 0))
        assert caps.acquire("")  # a unix-socket peer
    assert caps.open == {}
    caps.release(("10.0.0.1", 1))
    assert caps.open == {}
    for off in (ClientCaps(0), ClientCaps(1, {"*"})):
        assert all(off.acquire(("192.0.2.1", port)) for port in range(10))
        assert not off.enabled


def test_refusals_are_logged_once_per_burst_then_summed_up(caplog, monkeypatch):
    caplog.set_level(logging.WARNING, logger="wsgiserver.error")
    now = [1000.0]
    monkeypatch.setattr(caps_module.time, "monotonic", lambda: now[0])
    caps = ClientCaps(1)
    assert caps.acquire(("192.0.2.1", 1))
    for _ in range(20):
        assert not caps.acquire(("192.0.2.1", 2))
    assert len(caplog.records) == 1
    caps.report(now[0] + 1)  # the burst is still on: nothing yet
    assert len(caplog.records) == 1
    caps.report(now[0] + caps_module.LOG_WINDOW)
    assert len(caplog.records) == 2
    assert "refused 19 more connections from 192.0.2.1" in caplog.records[1].getMessage()
    now[0] += 60
    assert not caps.acquire(("192.0.2.1", 3))  # a new burst: a new first line
    assert len(caplog.records) == 3
    caps.report(now[0] + caps_module.LOG_WINDOW)  # no more refusals: no summary
    assert len(caplog.records) == 3 and not caps.refused
