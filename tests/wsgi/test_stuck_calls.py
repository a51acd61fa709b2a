"""--timeout for app calls that never end (beyond gunicorn's threaded worker): a
call running longer is logged with its thread's stack, the client gets 504 (or,
once the head is out, its connection closed), later output is discarded, the
pool slot gets a new thread, and with a master the server retires."""

import logging
import signal
import threading

from tests.helpers import Client, free_port, make_request, server_process, wait_until
from wsgiserver.testing import live_server


def _apps():
    release = threading.Event()

    def app(environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/hang":
            release.wait(20)
            start_response("200 OK", [("Content-Length", "4")])
            return [b"late"]
        if path == "/begun":
            write = start_response("200 OK", [("Content-Type", "text/plain")])
            write(b"partial")
            release.wait(20)
            return [b"late"]
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    return app, release


def test_a_stuck_call_gets_504_its_stack_logged_and_a_new_thread(caplog):
    app, release = _apps()
    caplog.set_level(logging.ERROR, logger="wsgiserver.error")
    with live_server(app, threads=1, timeout=1) as live:
        with Client.to(live) as stuck, Client.to(live) as other:
            stuck.send(make_request("/hang"))
            response = stuck.read_response()
            assert response.status == 504 and response.closes
            assert stuck.is_closed(5)
            # The only pool thread is stuck: this answer comes from its replacement.
            assert other.request("/").status == 200
            release.set()  # the stuck call returns: its "late" goes nowhere
            assert other.request("/").status == 200
        assert live.server.retiring is None  # no master: it just goes on serving
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "over --timeout 1" in logged and "GET /hang" in logged
    assert "release.wait(20)" in logged  # the stuck thread's stack


def test_a_call_stuck_after_its_head_went_out_has_its_connection_closed():
    app, release = _apps()
    with live_server(app, threads=2, timeout=1) as live, Client.to(live) as client:
        client.send(make_request("/begun"))
        head = client.read_until(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        assert client.read_until(b"partial\r\n")  # the chunk, whole
        assert client.is_closed(6)
        release.set()
        with Client.to(live) as again:
            assert again.request("/").status == 200


def test_with_a_master_the_server_retires_once_and_stops_accepting():
    app, release = _apps()
    with live_server(app, threads=2, timeout=1, keepalive=30) as live:
        reasons = []
        live.server.on_retire = reasons.append
        with Client.to(live) as kept, Client.to(live) as stuck:
            assert kept.request("/").status == 200
            stuck.send(make_request("/hang"))
            assert stuck.read_response().status == 504
            assert wait_until(lambda: reasons == ["stuck app threads"], 5)
            assert live.server.accept_paused and live.server.accept_held
            assert kept.request("/").status == 200  # its connections are still served
            release.set()
        assert reasons == ["stuck app threads"]


def test_a_call_that_never_returns_does_not_block_the_process_exit(tmp_path):
    port = free_port()
    args = ["tests.data.lifecycle_app:application", "-b", f"127.0.0.1:{port}",
            "--threads", "2", "--timeout", "1", "--graceful-timeout", "2",
            "--static-root", str(tmp_path)]
    with server_process(args) as server:
        server.wait_for_port(port)
        with Client("127.0.0.1", port) as client:
            response = client.request("/hang")
            assert response.status == 504
        with Client("127.0.0.1", port) as client:
            assert client.request("/").status == 200
        assert server.wait_for_stderr("NEVER.wait()")
        server.signal(signal.SIGTERM)
        assert server.wait(15) == 0
