"""The sans-IO request parser, fed whole, one byte at a time and in random splits."""

import pytest

from tests.http.corpus import CASES, split_whole
from wsgiserver import errors
from wsgiserver.http.parser import Limits, RequestParser
from wsgiserver.http.request import Request
from wsgiserver.wsgi.input import StreamingBody


def parse(data, split=split_whole, limits=None):
    parser = RequestParser(limits or Limits())
    events = []
    for piece in split(data):
        events.extend(parser.feed(piece))
    return [summarize(event) for event in events]


def summarize(event):
    if isinstance(event, errors.HTTPError):
        return ("error", int(event.status))
    return (event.method, event.target, event.version, event.headers, event.body.read(),
            event.keep_alive)


def test_simple_get(split):
    got = parse(b"GET /a?b=1 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n", split)
    assert got == [("GET", b"/a?b=1", "HTTP/1.1", [("Host", "x"), ("Accept", "*/*")], b"", True)]


def test_header_values_lose_surrounding_whitespace(split):
    got = parse(b"GET / HTTP/1.1\r\nHost:   x  \r\nX-A:\t1 2\t\r\n\r\n", split)
    assert got[0][3] == [("Host", "x"), ("X-A", "1 2")]


def test_content_length_body(split):
    got = parse(b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", split)
    assert got[0][4] == b"hello"


def test_chunked_body_with_extension_and_trailer(split):
    data = (b"POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5;name=val\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n")
    got = parse(data, split)
    assert got[0][4] == b"hello world"


def test_pipelined_requests_come_out_in_order(split):
    data = b"".join(b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(10))
    got = parse(data, split)
    assert [event[1] for event in got] == [b"/%d" % i for i in range(10)]


def test_http10_is_not_keep_alive_unless_asked(split):
    assert parse(b"GET / HTTP/1.0\r\n\r\n", split)[0][5] is False
    got = parse(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", split)
    assert got[0][5] is True


def test_connection_close_stops_parsing_what_follows(split):
    data = (b"GET /1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            b"GET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
    got = parse(data, split)
    assert [event[1] for event in got] == [b"/1"]


def test_nothing_after_an_error_is_parsed(split):
    data = b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nBAD\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n"
    got = parse(data, split)
    assert got[0][1] == b"/1"
    assert got[1:] == [("error", 400)]


def test_large_body_is_spooled_to_a_file():
    body = b"x" * (2 * 2**20)
    data = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    parser = RequestParser(Limits())
    events = []
    for i in range(0, len(data), 65536):
        events.extend(parser.feed(data[i:i + 65536]))
    (request,) = events
    assert request.body.fileno() >= 0  # a real temporary file, not memory
    assert request.body.read() == body


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_malformed_requests_are_refused(case, split):
    """Each case of tests/http/corpus.py gets its status, however the bytes arrive."""
    assert parse(case.data, split, case.parser_limits()) == [("error", case.status)]


def test_rtsp_line_later_in_a_pipeline_is_still_refused():
    events = RequestParser().feed(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                                  b"GET /a RTSP/1.0\r\nHost: x\r\n\r\n")
    assert [getattr(e, "target", None) for e in events[:1]] == [b"/a"]
    assert int(events[1].status) == 400


def test_version_error_looks_only_at_its_own_request_line(split):
    data = b"GET / HTTP/3.0\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"
    assert parse(data, split) == [("error", 505)]
    data = b"GET /HTTP/2 HTTP/1.7\r\nHost: x\r\n\r\n"
    assert parse(data, split)[0][:3] == ("GET", b"/HTTP/2", "HTTP/1.7")


def test_http_1_2_is_accepted_as_http_1(split):
    got = parse(b"GET / HTTP/1.2\r\nHost: x\r\n\r\n", split)
    assert got[0][2] == "HTTP/1.2"


def test_connect_never_keeps_the_connection_for_more_http(split):
    got = parse(b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\nGET / HTTP/1.1\r\n\r\n", split)
    assert [(event[0], event[5]) for event in got] == [("CONNECT", False)]


def test_unterminated_huge_header_is_431_before_it_ends():
    parser = RequestParser(Limits(request_line=100, fields=5, field_size=100))
    events = parser.feed(b"GET / HTTP/1.1\r\nHost: x\r\nX-A: ")
    for _ in range(100):
        events += parser.feed(b"v" * 100)
        if events:
            break
    assert [int(e.status) for e in events] == [431]


def test_content_length_over_body_limit_is_413_before_the_body():
    parser = RequestParser(Limits(body=10))
    assert [int(e.status) for e in parser.feed(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n")] == [413]


def test_cut_off_body_is_reported_and_never_emitted():
    parser = RequestParser()
    assert parser.feed(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc") == []
    assert parser.feed_eof() is True


def test_eof_between_requests_is_not_a_cut_off():
    parser = RequestParser()
    assert len(parser.feed(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")) == 1
    assert parser.feed_eof() is False


def test_expect_continue_streams_the_body_when_asked():
    parser = RequestParser(streamed_body=StreamingBody)
    (request,) = parser.feed(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                             b"Expect: 100-continue\r\n\r\n")
    assert isinstance(request, Request) and request.expect_continue
    assert request.streamed and request.body_incomplete
    parser.feed(b"hel")
    parser.feed(b"lo")
    assert request.body.read() == b"hello"
    assert not request.body_incomplete


def test_expect_is_ignored_for_http10():
    (request,) = RequestParser().feed(b"POST / HTTP/1.0\r\nExpect: 100-continue\r\n"
                                      b"Content-Length: 2\r\n\r\nhi")
    assert request.expect_continue is False and request.body.read() == b"hi"


def test_upgrade_request_is_answered_as_plain_http_and_parsing_goes_on(split):
    data = (b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
            b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
    got = parse(data, split)
    assert [event[1] for event in got] == [b"/ws", b"/next"]
