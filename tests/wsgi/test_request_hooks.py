"""pre_request(worker, req) runs in the app thread before the app is called;
post_request(worker, req, environ, resp) after the response is done. A hook that
raises is logged and the request still gets its answer; without hooks nothing is
installed."""

import logging
import threading

from tests.helpers import Client
from wsgiserver.server import WSGIServer
from wsgiserver.testing import live_server


def hello(environ, start_response):
    environ["seen.by.app"] = threading.current_thread().name
    start_response("201 Created", [("Content-Length", "5"), ("X-App", "yes")])
    return [b"hello"]


def test_pre_and_post_request_get_gunicorns_arguments():
    calls = []

    def pre_request(worker, req):
        calls.append(("pre", worker, req.method, req.target, threading.current_thread().name))

    def post_request(worker, req, environ, resp):
        calls.append(("post", worker, req.target, environ["seen.by.app"], resp.status,
                      resp.status_code, ("X-App", "yes") in resp.headers, resp.sent))

    with live_server(hello, pre_request=pre_request, post_request=post_request) as live:
        with Client.to(live) as client:
            assert client.request("/x?y=1").status == 201
            assert client.request("/x?y=1").status == 201
        server = live.server
    # Counted once the task is done, which may be just after the client has its answer:
    # read after the server has stopped.
    assert server.stats.requests == 2
    pre, post = calls[0], calls[1]
    assert pre[:4] == ("pre", server, "GET", b"/x?y=1")
    assert pre[4] == post[3]  # pre_request ran in the thread that called the app
    assert post[0:3] == ("post", server, b"/x?y=1")
    assert post[4:] == ("201 Created", 201, True, 5)
    assert len(calls) == 4


def test_the_worker_argument_is_hook_worker():
    seen = []
    handle = object()
    with live_server(hello, pre_request=lambda worker, req: seen.append(worker)) as live:
        live.server.hook_worker = handle
        with Client.to(live) as client:
            assert client.request("/").status == 201
    assert seen == [handle]


def test_a_hook_that_raises_is_logged_and_the_request_still_answered(caplog):
    def broken(*args):
        raise RuntimeError("hook bug")

    caplog.set_level(logging.ERROR, logger="wsgiserver.error")
    with live_server(hello, pre_request=broken, post_request=broken) as live:
        with Client.to(live) as client:
            response = client.request("/")
            assert response.status == 201 and response.body == b"hello"
            assert client.request("/").status == 201
    messages = [record.getMessage() for record in caplog.records]
    assert "error in the pre_request hook" in messages
    assert "error in the post_request hook" in messages


def test_without_hooks_nothing_is_installed():
    server = WSGIServer(hello, bind=["127.0.0.1:0"], static_root=None)
    try:
        assert "_task_for" not in vars(server)
        assert server._run_post_request not in server.observers
    finally:
        server.sockets[0].close()
