"""--worker-connections N: at N open connections the server stops accepting (the
listeners leave epoll; new clients wait in the kernel's backlog) and resumes
below N, still serving the connections it has."""

import socket
import threading

from tests.helpers import Client, make_request, wait_until
from wsgiserver.testing import live_server


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]


def _unanswered(client: Client, seconds: float) -> bool:
    client.sock.settimeout(seconds)
    try:
        return client.sock.recv(1) == b"x" * 2  # never: any byte or EOF means answered/closed
    except TimeoutError:
        return True
    finally:
        client.sock.settimeout(10)


def test_a_fourth_client_waits_in_the_backlog_until_one_of_three_closes():
    with live_server(hello, worker_connections=3, keepalive=30) as live:
        held = [Client.to(live) for _ in range(3)]
        try:
            for client in held:
                assert client.request("/").status == 200
            assert wait_until(lambda: live.server.accept_paused, 5)
            waiting = Client.to(live)  # the kernel completes the handshake: backlog
            waiting.send(make_request("/"))
            assert _unanswered(waiting, 0.5), "a fourth connection was served at the cap"
            assert held[0].request("/").status == 200  # the held ones are still served
            held.pop(0).close()
            response = waiting.read_response()
            assert response.status == 200 and response.body == b"hello"
            assert len(live.server.connections) == 3
            waiting.close()
        finally:
            for client in held:
                client.close()


def test_accepting_resumes_below_the_cap():
    with live_server(hello, worker_connections=2, keepalive=30) as live:
        with Client.to(live) as first, Client.to(live) as second:
            assert first.request("/").status == 200 and second.request("/").status == 200
            assert wait_until(lambda: live.server.accept_paused, 5)
        assert wait_until(lambda: not live.server.accept_paused, 5)
        for _ in range(3):
            with Client.to(live) as client:
                assert client.request("/").status == 200


def test_a_graceful_stop_answers_the_clients_waiting_in_the_backlog():
    release = threading.Event()

    def slow(environ, start_response):
        release.wait(10)
        return hello(environ, start_response)

    with live_server(slow, worker_connections=1, graceful_timeout=10) as live:
        busy = Client.to(live)
        busy.send(make_request("/"))
        assert wait_until(lambda: live.server.accept_paused, 5)
        waiting = Client.to(live)
        waiting.send(make_request("/"))
        live.server.begin_graceful_stop()
        assert wait_until(lambda: live.server.sockets[0].fileno() == -1, 5)
        release.set()
        for client in (busy, waiting):
            response = client.read_response()
            assert response.status == 200 and response.closes
            client.close()
        try:
            socket.create_connection(("127.0.0.1", live.port), timeout=2).close()
            raise AssertionError("connected after the stop")
        except ConnectionRefusedError:
            pass
