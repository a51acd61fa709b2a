"""Regression tests for the findings of the concurrency review of the server core."""

import os
import threading

import pytest

from tests.helpers import Client, make_request, wait_until
from wsgiserver.http.parser import RequestParser
from wsgiserver.testing import live_server
from wsgiserver.wsgi.input import BACKLOG_HIGH, StreamingBody


def reading_app(environ, start_response):
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def test_first_read_callback_runs_without_the_body_lock():
    """The 100-continue callback takes the connection lock: never under the body's."""
    body = StreamingBody()
    lock_was_free = []

    def on_first_read():
        lock_was_free.append(body._cond.acquire(blocking=False))
        if lock_was_free[-1]:
            body._cond.release()
        body.write(b"data")
        body.finish()

    body.set_callbacks(on_first_read)
    assert body.read() == b"data"
    assert lock_was_free == [True]


def test_streaming_body_reports_when_the_app_caught_up():
    drained = []
    body = StreamingBody()
    body.set_callbacks(lambda: None, lambda: drained.append(True))
    body.write(b"x" * (BACKLOG_HIGH + 1))
    assert body.full
    body.read(BACKLOG_HIGH)
    assert drained == [True]


def test_rtsp_line_later_in_a_pipeline_is_still_refused():
    events = RequestParser().feed(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                                  b"GET /a RTSP/1.0\r\nHost: x\r\n\r\n")
    assert [getattr(e, "target", None) for e in events[:1]] == [b"/a"]
    assert int(events[1].status) == 400


def test_expect_continue_client_that_never_sends_its_body_gets_408():
    with live_server(reading_app, threads=2, read_timeout=1) as server, \
            Client.to(server) as client:
        client.send(make_request("/", method="POST", headers=[
            ("Content-Length", "10"), ("Expect", "100-continue")]))
        interim = client.read_response()
        assert interim.status == 100
        final = client.read_response()
        assert final.status == 408
        assert client.is_closed()


def sys_exit_app(environ, start_response):
    if environ["PATH_INFO"] == "/exit":
        raise SystemExit(3)
    return reading_app(environ, start_response)


@pytest.mark.parametrize("threads", [0, 2])
def test_system_exit_in_the_app_is_a_500_and_the_server_lives_on(threads):
    with live_server(sys_exit_app, threads=threads) as server:
        for _ in range(4):
            with Client.to(server) as client:
                assert client.request("/exit").status == 500
        with Client.to(server) as client:
            assert client.request("/ok", method="POST", body=b"fine").body == b"fine"


def deleted_temp_files():
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        count += target.endswith("(deleted)")
    return count


def test_spooled_upload_files_are_closed_after_the_response():
    before = deleted_temp_files()
    with live_server(reading_app, threads=2) as server, Client.to(server) as client:
        for _ in range(3):
            body = os.urandom(2 * 2**20)  # over the 1 MiB spool threshold
            assert client.request("/", method="POST", body=body).body == body
        assert wait_until(lambda: deleted_temp_files() <= before, 5)


def test_inline_100_continue_comes_after_the_earlier_pipelined_response():
    with live_server(reading_app, threads=0) as server, Client.to(server) as client:
        client.send(make_request("/first", method="POST", body=b"one")
                    + make_request("/second", method="POST", headers=[
                        ("Content-Length", "3"), ("Expect", "100-continue")]))
        assert client.read_response().body == b"one"
        assert client.read_response().status == 100
        client.send(b"two")
        assert client.read_response().body == b"two"


def interim_app(environ, start_response):
    if environ["PATH_INFO"] == "/103":
        start_response("103 Early Hints", [("Link", "</a.css>; rel=preload")])
        return [b""]
    start_response("204 No Content", [("Content-Length", "5")])
    return [b""]


def test_an_app_cannot_send_a_1xx_as_its_answer_nor_a_length_on_204():
    with live_server(interim_app) as server, Client.to(server) as client:
        assert client.request("/103").status == 500
    with live_server(interim_app) as server, Client.to(server) as client:
        response = client.request("/204")
        assert response.status == 204
        assert response.header("Content-Length") is None


def test_pool_threads_survive_many_system_exits():
    with live_server(sys_exit_app, threads=2) as server:
        results = []

        def hit():
            with Client.to(server) as client:
                results.append(client.request("/exit").status)

        threads = [threading.Thread(target=hit) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(15)
        assert results == [500] * 8
        with Client.to(server) as client:
            assert client.request("/ok", method="POST", body=b"x").status == 200
