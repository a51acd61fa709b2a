"""The minimum body rate (--min-body-rate after --min-body-rate-grace), live.

A body dribbled at a byte every 0.3 s never stalls for --read-timeout, so
before the rate deadline it held its connection, and with Expect:
100-continue (the app runs while the body arrives) its worker thread, for
as long as the client liked: four such clients stopped a 4-thread server.
"""

import socket
import threading

from tests.dribbling import dribble
from tests.helpers import Client, make_request, wait_until
from wsgiserver.errors import BodyAborted
from wsgiserver.testing import live_server

SLOW = dict(min_body_rate=100, min_body_rate_grace=1, read_timeout=5)


class ReadingApp:
    """Reads its whole body; records what wsgi.input raised, and re-raises it."""

    def __init__(self) -> None:
        self.reading = 0
        self.raised: list[BaseException] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/hello":
            start_response("200 OK", [("Content-Length", "5")])
            return [b"hello"]
        with self.lock:
            self.reading += 1
        try:
            body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        except BaseException as error:
            with self.lock:
                self.raised.append(error)
            raise
        finally:
            with self.lock:
                self.reading -= 1
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]


def continue_head(length: int = 1000) -> bytes:
    return make_request("/upload", method="POST", headers=[
        ("Content-Length", str(length)), ("Expect", "100-continue")])


def test_a_slow_buffered_body_gets_408_after_the_grace_and_the_app_never_runs():
    app = ReadingApp()
    with live_server(app, **SLOW) as server, \
            socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(make_request("/upload", method="POST",
                                  headers=[("Content-Length", "1000")]))
        result = dribble(sock, b"x" * 1000, interval=0.3, limit=5)
    assert result.closed, "the slow body was never cut off"
    assert result.status == 408
    assert result.seconds > 0.9  # not before the grace period
    assert app.raised == [] and app.reading == 0


def _slow_continue_upload(server, results: list) -> None:
    with Client.to(server, timeout=5) as client:
        client.send(continue_head())
        if client.read_response().status != 100:
            results.append("no 100")
            return
        results.append(dribble(client.sock, b"x" * 1000, interval=0.3, limit=8))


def test_four_slow_continue_bodies_do_not_stop_hello_and_the_app_sees_the_error():
    app = ReadingApp()
    results: list = []
    with live_server(app, threads=4, **SLOW) as server:
        uploads = [threading.Thread(target=_slow_continue_upload, args=(server, results))
                   for _ in range(4)]
        for upload in uploads:
            upload.start()
        try:
            assert wait_until(lambda: app.reading == 4, timeout=5), "4 threads not busy"
            # Every app thread is blocked in wsgi.input.read(): /hello waits
            # until the rate deadline frees them.
            with Client.to(server, timeout=6) as client:
                assert client.request("/hello").body == b"hello"
        finally:
            for upload in uploads:
                upload.join(10)
    assert len(results) == 4
    for result in results:
        assert result != "no 100"
        assert result.closed and result.status == 408
    assert len(app.raised) == 4
    for error in app.raised:
        assert isinstance(error, BodyAborted)
        assert getattr(error.error, "status", None) == 408
    assert app.reading == 0  # every thread came back from the read


def test_an_app_that_catches_the_abort_still_gets_its_thread_back_and_may_answer():
    seen = []

    def app(environ, start_response):
        try:
            environ["wsgi.input"].read(1000)
        except BodyAborted as error:
            seen.append(error)
        start_response("200 OK", [("Content-Length", "4")])
        return [b"done"]

    with live_server(app, threads=1, **SLOW) as server, \
            Client.to(server, timeout=5) as client:
        client.send(continue_head())
        assert client.read_response().status == 100
        result = dribble(client.sock, b"x" * 1000, interval=0.3, limit=5)
        assert result.closed
        assert b"200 OK" in result.received and result.received.endswith(b"done")
        assert len(seen) == 1
        with Client.to(server, timeout=5) as other:
            assert other.request("/again").body == b"done"  # the one thread is free


def test_the_rate_clock_waits_for_the_app_to_ask_for_its_continue_body():
    # No 100 Continue goes out before the app's first read, so a client that
    # waits for it is not slow, however long the app takes to start reading:
    # the clock starts with the body's first bytes after the 100.
    def app(environ, start_response):
        wait_until(lambda: False, timeout=2)  # longer than the grace period
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    with live_server(app, threads=1, **SLOW) as server, \
            Client.to(server, timeout=6) as client:
        client.send(continue_head(200))
        assert client.read_response().status == 100
        for _ in range(8):  # 125 bytes/s, over the minimum of 100, for 1.4 s
            client.send(b"x" * 25)
            wait_until(lambda: False, timeout=0.2)
        response = client.read_response()
        assert response.status == 200 and response.body == b"x" * 200
