"""Issue 12's parser fixes that are not refusals (those are in tests/http/corpus.py):
an upgrade request followed by more requests in one feed, methods llhttp knows,
limits at their exact edge, and the header-size setting reaching the parser."""

from types import SimpleNamespace

import pytest
from helpers import Client

from tests.http.test_parser import parse
from wsgiserver.http.parser import Limits, RequestParser
from wsgiserver.settings import DEFAULTS
from wsgiserver.testing import live_server

UPGRADE_THEN_CLOSE = (b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket"
                      b"\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")


def test_upgrade_then_a_closing_request_in_one_feed_gives_two_requests(split):
    # Before: HttpParserCallbackError escaped when fed whole (the StopParsing of
    # the second request hid behind the upgrade exception).
    got = parse(UPGRADE_THEN_CLOSE, split)
    assert [(event[1], event[5]) for event in got] == [(b"/ws", True), (b"/next", False)]


def test_upgrade_then_a_closing_request_in_one_packet_gets_two_responses():
    def app(environ, start_response):
        body = environ["PATH_INFO"].encode()
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    with live_server(app) as server, Client.to(server) as client:
        client.send(UPGRADE_THEN_CLOSE)
        assert client.read_response().body == b"/ws"
        last = client.read_response()
        assert last.body == b"/next" and last.closes
        assert client.is_closed()


@pytest.mark.parametrize("method", ["PROPFIND", "PURGE", "MKCOL", "REPORT", "SEARCH"])
def test_methods_llhttp_knows_still_reach_the_app(method, split):
    got = parse(method.encode() + b" / HTTP/1.1\r\nHost: x\r\n\r\n", split)
    assert [event[0] for event in got] == [method]


def test_unknown_method_waits_for_its_token_to_end():
    parser = RequestParser()
    assert parser.feed(b"FOOB") == []  # llhttp already failed; 400 or 501 is not known yet
    assert [int(e.status) for e in parser.feed(b"AR / HTTP/1.1\r\n")] == [501]


def test_method_token_over_32_bytes_is_400():
    events = RequestParser().feed(b"X" * 33 + b" / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert [int(e.status) for e in events] == [400]


def _head(total: int) -> bytes:
    start = b"GET / HTTP/1.1\r\nHost: x\r\nX-Pad: "
    return start + b"v" * (total - len(start) - 4) + b"\r\n\r\n"


def test_header_size_limit_is_exact_for_any_split(split):
    limits = Limits(header_size=200)
    assert parse(_head(200), split, limits)[0][0] == "GET"
    assert parse(_head(201), split, limits) == [("error", 431)]


def test_header_size_0_leaves_only_the_per_field_limits(split):
    data = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(
        b"X-H%02d: %s\r\n" % (i, b"v" * 800) for i in range(99)) + b"\r\n"
    assert parse(data, split, Limits(header_size=0))[0][0] == "GET"
    assert parse(data, split) == [("error", 431)]


def test_chunk_extension_limit_is_exact_for_any_split(split):
    def body(extension: int) -> bytes:
        return (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"5;" + b"a" * (extension - 1) + b"\r\nhello\r\n0\r\n\r\n")

    assert parse(body(Limits.chunk_extension), split)[0][4] == b"hello"
    assert parse(body(Limits.chunk_extension + 1), split) == [("error", 400)]


def test_limits_from_config_takes_the_header_size():
    config = SimpleNamespace(**{name: DEFAULTS[name] for name in DEFAULTS}
                             | {"limit_request_header_size": 1234})
    assert Limits.from_config(config).header_size == 1234
    assert Limits().header_size == DEFAULTS["limit_request_header_size"] == 32 * 1024
