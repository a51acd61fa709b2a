"""--max-requests N (+ --max-requests-jitter J), the worker side: the server's limit
is N + randint(0, J), chosen at start; when it has served that many requests it
calls on_retire("max requests") once and keeps serving."""

from tests.helpers import Client, wait_until
from wsgiserver.server import WSGIServer
from wsgiserver.testing import live_server


def hello(environ, start_response):
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]


def test_on_retire_is_called_once_at_the_limit_and_serving_goes_on():
    with live_server(hello, max_requests=3) as live:
        reasons = []
        live.server.on_retire = reasons.append
        with Client.to(live) as client:
            for count in range(1, 7):
                assert client.request("/").status == 200
                if count == 2:
                    assert reasons == []
            assert wait_until(lambda: reasons == ["max requests"], 5)
            assert client.request("/").status == 200
        assert reasons == ["max requests"]
        assert not live.server.stopping


def test_the_limit_is_raised_by_a_jitter_chosen_once():
    limits = set()
    for _ in range(30):
        server = WSGIServer(hello, bind=["127.0.0.1:0"], static_root=None,
                            max_requests=100, max_requests_jitter=5)
        limits.add(server.request_limit)
        server.sockets[0].close()
    assert limits <= set(range(100, 106)) and len(limits) > 1


def test_without_max_requests_no_observer_is_added():
    server = WSGIServer(hello, bind=["127.0.0.1:0"], static_root=None)
    try:
        assert server._count_toward_limit not in server.observers
        assert server.request_limit == float("inf")
    finally:
        server.sockets[0].close()


def test_a_standalone_server_without_on_retire_just_goes_on():
    with live_server(hello, max_requests=1) as live, Client.to(live) as client:
        for _ in range(3):
            assert client.request("/").status == 200
        assert live.server.retiring is None
