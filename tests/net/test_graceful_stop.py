"""Graceful stop loses nothing (issue 10): responses not begun at SIGTERM say
`Connection: close`, a connection kept alive gets its next request answered,
the listeners close at once (refused, never accepted and reset), idle
connections are closed after a fair chance; `stop_now` closes everything."""

import errno
import signal
import socket
import threading
import time

from tests.helpers import Client, free_port, make_request, server_process, wait_until
from wsgiserver.testing import live_server

CLIENTS = 50
APP = "tests.data.lifecycle_app:application"


def _connect_refused(port: int) -> bool:
    """True once a connection attempt is refused; an attempt that connects must be
    answered (it was accepted before the listeners closed), or it raises."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    except ConnectionRefusedError:
        return True
    with Client.__new__(Client) as client:
        super(Client, client).__init__(sock)
        assert client.request("/").status == 200, "accepted, then not answered"
    return False


def term_under_kept_alive_clients(server, port: int, started) -> list[str]:
    """CLIENTS connections kept alive once, each then mid-way through a /slow request
    (`started` appears once one reached the app) when the server gets SIGTERM; each
    finishes as `_finish` says. Returns the failures; checks that a connection
    attempt is then refused, never accepted and reset (`_connect_refused`)."""
    clients = [Client("127.0.0.1", port) for _ in range(CLIENTS)]
    try:
        for client in clients:  # each connection kept alive once
            response = client.request("/")
            assert response.status == 200 and not response.closes
        for client in clients:
            client.send(make_request("/slow"))
        assert wait_until(started.exists, 10), "no /slow request reached the app"
        server.signal(signal.SIGTERM)
        failures: list[str] = []
        readers = [threading.Thread(target=_finish, args=(c, failures)) for c in clients]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(20)
        assert not any(reader.is_alive() for reader in readers)
        assert wait_until(lambda: _connect_refused(port), 10)
        return failures
    finally:
        for client in clients:
            client.close()


def _finish(client: Client, failures: list) -> None:
    """Read the in-flight /slow response, then send requests on the same connection
    until a response says close: each must be answered."""
    try:
        response = client.read_response()
        assert response.status == 200 and response.body.startswith(b"/slow")
        for _ in range(3):
            if response.closes:
                assert client.is_closed(5), "said close but stayed open"
                return
            response = client.request("/next")
            assert response.status == 200 and response.body.startswith(b"/next")
        raise AssertionError("three keep-alive answers during a graceful stop")
    except Exception as error:  # counted: the assertion below reports them all
        failures.append(repr(error))


def test_sigterm_loses_no_request_of_kept_alive_clients(tmp_path):
    port = free_port()
    started = tmp_path / "started"
    args = [APP, "-b", f"127.0.0.1:{port}", "--threads", "16", "--graceful-timeout", "5",
            "--static-root", str(tmp_path)]
    with server_process(args, env={"STARTED_FILE": str(started)}) as server:
        server.wait_for_port(port)
        failures = term_under_kept_alive_clients(server, port, started)
        assert failures == [], f"{len(failures)} of {CLIENTS} clients lost a request"
        assert server.wait(15) == 0
        assert "Traceback" not in server.stderr_text


def test_request_on_a_kept_alive_connection_after_stop_is_answered_with_close():
    with live_server(None, keepalive=30, graceful_timeout=10) as live:
        with Client.to(live) as client:
            assert not client.request("/").closes
            live.server.begin_graceful_stop()
            assert wait_until(lambda: live.server.stopping, 5)
            response = client.request("/again")
            assert response.status == 404 and response.closes
            assert client.is_closed(5)


def test_an_idle_kept_alive_connection_is_closed_soon_after_stop():
    with live_server(None, keepalive=30, graceful_timeout=30) as live:
        with Client.to(live) as client:
            assert not client.request("/").closes
            stopped = time.monotonic()
            live.server.begin_graceful_stop()
            assert client.is_closed(10)
            # Closed by the idle rule, not the 30 s keep-alive or graceful timeout.
            assert time.monotonic() - stopped < 10


def test_listener_is_closed_at_once_so_new_clients_are_refused():
    release = threading.Event()

    def app(environ, start_response):
        release.wait(10)
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    with live_server(app, threads=2, graceful_timeout=10) as live:
        busy = Client.to(live)
        busy.send(make_request("/"))
        live.server.begin_graceful_stop()
        assert wait_until(lambda: live.server.sockets[0].fileno() == -1, 5)
        try:
            socket.create_connection(("127.0.0.1", live.port), timeout=5).close()
            raise AssertionError("connected after the listeners closed")
        except OSError as error:
            assert error.errno == errno.ECONNREFUSED
        release.set()
        response = busy.read_response()
        assert response.status == 200 and response.closes
        busy.close()


def test_stop_now_closes_connections_in_flight():
    release = threading.Event()

    def app(environ, start_response):
        release.wait(10)
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    live = live_server(app, threads=2, graceful_timeout=30)
    with live as running:
        with Client.to(running) as client:
            client.send(make_request("/"))
            running.server.stop_now()
            assert client.is_closed(5)
            assert running.server._stopped.wait(5)
        release.set()


def test_a_stop_asked_before_the_loop_runs_waits_for_it():
    from wsgiserver.server import WSGIServer

    server = WSGIServer(None, bind=["127.0.0.1:0"], static_root=None)
    server.begin_graceful_stop()  # from this thread, before serve_forever
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "the early stop was lost"
    assert server.sockets[0].fileno() == -1
