"""The access log: one line per answered request (gunicorn's default format), refused ones too."""

import pytest

from tests.helpers import Client, free_port, server_process
from wsgiserver.http.parser import RequestParser
from wsgiserver.http.request import Request
from wsgiserver.observe.access import AccessFormat, Entry
from wsgiserver.settings.logs import DEFAULT_ACCESS_FORMAT

REFUSED = [
    # (bytes sent, what the log line says of the request, status)
    (b"GET /bad HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", '"GET /bad HTTP/1.1" 400', 400),
    (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", '"GET /aaaa', 414),
    (b"\x01\x02 not http\r\n\r\n", '"-" 400', 400),
    (b"GET /v HTTP/2.0\r\nHost: x\r\n\r\n", '"GET /v HTTP/2.0" 505', 505),
    (b"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n",
     '"POST /big HTTP/1.1" 413', 413),
]


def test_requests_the_parser_refused_are_logged():
    port = free_port()
    with server_process(["apps.hello:application", str(port), "--access-logfile", "-",
                         "--static-root", "/nonexistent"]) as server:
        server.wait_for_port(port)
        for data, _, status in REFUSED:
            with Client("127.0.0.1", port) as client:
                client.send(data)
                assert client.read_response().status == status
        with Client("127.0.0.1", port) as client:
            assert client.request("/hello", headers=[("User-Agent", "ua-1")]).status == 200
        assert server.wait_for_stdout_lines(len(REFUSED) + 1), server.stdout
    lines = server.stdout
    for (_, logged, status), line in zip(REFUSED, lines[:len(REFUSED)], strict=True):
        assert logged in line and f" {status} " in line, line
        assert line.startswith("127.0.0.1 - - [")
        assert int(line.split('" ')[1].split()[1]) > 0  # the error page's length
    assert '"GET /hello HTTP/1.1" 200 14 "-" "ua-1"' in lines[-1]


@pytest.mark.parametrize(("data", "method", "target", "version"), [
    (b"GET /x HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n", "GET", b"/x", "HTTP/1.1"),
    (b"PUT /" + b"z" * 5000, "PUT", b"/" + b"z" * 4094, "-"),
    (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: x\r\n\r\n", "POST", b"/",
     "HTTP/1.1"),
])
def test_a_refused_request_carries_what_was_read_of_it(data, method, target, version):
    (error,) = RequestParser().feed(data)
    request = error.request
    assert (request.method, request.target[:len(target)], request.version) == (
        method, target, version)


def test_garbage_before_any_request_line_carries_no_request():
    (error,) = RequestParser().feed(b"\x00\x01\x02\r\n\r\n")
    assert int(error.status) == 400 and error.request is None


def test_a_request_that_times_out_carries_what_was_read_of_it():
    parser = RequestParser()
    assert parser.feed(b"GET /slow HTTP/1.1\r\nHost: a\r\n") == []
    error = parser.time_out()
    assert int(error.status) == 408 and parser.finished
    assert (error.request.method, error.request.target) == ("GET", b"/slow")


def default_line(remote, request, status, sent) -> str:
    return AccessFormat(DEFAULT_ACCESS_FORMAT).line(Entry(remote, request, status, sent))


def test_log_line_without_a_request():
    line = default_line("10.0.0.1", None, 400, 12)
    assert line.startswith("10.0.0.1 - - [") and line.endswith('] "-" 400 12 "-" "-"')


def test_log_line_with_a_request():
    request = Request("GET", b"/p?q=1", "HTTP/1.1", [("Referer", "http://r/"),
                                                      ("User-Agent", "ua")], True)
    line = default_line("::1", request, 200, 0)
    assert line.endswith('"GET /p?q=1 HTTP/1.1" 200 0 "http://r/" "ua"')  # 0, as gunicorn
