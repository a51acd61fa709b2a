"""What the long fuzz run (tests/fuzz/run_long.py) found in the parser, pinned.

Each input must give the same events fed whole, one byte at a time and in
random pieces (the `split` fixture). Fixed ones are also saved crashes in the
fuzz seed corpus (tests/fuzz/make_corpus.py CRASHES), replayed by every fuzz
run. Known ones still open are strict xfails that say what differs; once fixed
they start failing, and move up and into CRASHES.
"""

from __future__ import annotations

import pytest

from tests.http.corpus import split_bytes, split_whole
from wsgiserver import errors
from wsgiserver.http.parser import Limits, RequestParser
from wsgiserver.http.request import Request
from wsgiserver.wsgi.input import StreamingBody

_CHUNKED = b"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"


def parse(data: bytes, split, limits: Limits | None = None, streamed=None) -> list:
    parser = RequestParser(limits or Limits(), streamed_body=streamed)
    events = []
    for piece in split(data):
        events.extend(parser.feed(piece))
    parser.feed_eof()
    return events


def brief(events: list) -> list[tuple]:
    return [(event.method, event.target) if isinstance(event, Request)
            else (type(event).__name__, int(event.status)) for event in events]


def test_a_request_after_a_trailer_section_is_read_from_its_first_byte(split):
    # The scanner ran 2 bytes ahead after a trailer section: 'get' was read as
    # 'et', 400 fed whole instead of 501.
    data = _CHUNKED + b"0\r\n\r\nget /B HTTP/1.1\r\nHost: x\r\n\r\n"
    assert brief(parse(data, split)) == [("POST", b"/a"), ("MethodNotImplemented", 501)]


class KeptBody(StreamingBody):
    def __init__(self) -> None:
        super().__init__()
        self.received = bytearray()

    def write(self, data: bytes) -> None:
        self.received += data
        super().write(data)


def test_a_streamed_body_over_the_limit_gives_the_app_exactly_the_limit(split):
    # Before: as many bytes as the feed that crossed the limit happened to hold.
    data = (b"POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n30\r\n" + b"a" * 48 + b"\r\n0\r\n\r\n")
    request, error = parse(data, split, Limits(body=40), streamed=KeptBody)
    assert bytes(request.body.received) == b"a" * 40
    assert isinstance(error, errors.PayloadTooLarge)


def test_an_rtsp_request_line_is_refused_before_a_long_first_field(split):
    # The parser's RTSP/ICE check looked back 512 bytes when the first field
    # ended: in pieces a longer first field hid the protocol and the request
    # was served as HTTP/1.0. The scanner refuses it where the line ends.
    data = b"GET / RTSP/1.0\r\nX-A: " + b"v" * 1000 + b"\r\nHost: x\r\n\r\n"
    assert brief(parse(data, split)) == [("BadRequest", 400)]


# The per-field limits are checked in on_header, which httptools calls only
# when the next field starts (or the head ends). A bad byte right after that
# first byte won fed whole (400) while byte by byte the callback came first
# (431); the scanner now cuts each feed just after that byte.

def test_a_field_over_the_size_limit_then_a_bad_token(split):
    data = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"h" * 9000 + b"\r\ne/b\r\n\r\n"
    assert brief(parse(data, split)) == [("HeaderFieldsTooLarge", 431)]


def test_one_field_too_many_then_a_bad_token(split):
    data = (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(7))
            + b"e/b\r\n\r\n")
    assert brief(parse(data, split, Limits(fields=6))) == [("HeaderFieldsTooLarge", 431)]


def test_a_bad_byte_before_the_next_field_still_wins(split):
    # The field is over the limit, but llhttp fails on the bare CR before the
    # next field starts: 400 byte by byte, so 400 for every split.
    data = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"h" * 9000 + b"\r\n\rX: y\r\n\r\n"
    assert brief(parse(data, split)) == [("BadRequest", 400)]


def test_trailer_fields_count_after_the_head_fields(split):
    # on_header counts head and trailer fields together: the 7th field is a trailer.
    data = (b"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            + b"".join(b"X-%d: v\r\n" % i for i in range(4)) + b"\r\n0\r\n"
            + b"T-1: v\r\nT-2: v\r\ne/b\r\n\r\n")
    assert brief(parse(data, split, Limits(fields=6))) == [("HeaderFieldsTooLarge", 431)]


# The two inputs as the long fuzz run found them, once strict xfails: whole and
# byte by byte now agree.
FOUND = {
    "field-size-then-bad-token": (
        Limits(), b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"h" * 9000 + b"\r\ne/b\r\n\r\n"),
    "field-count-then-bad-token": (
        Limits(fields=6), b"GET / HTTP/1.1\r\n"
        + b"".join(b"X-%d: v\r\n" % i for i in range(7)) + b"e/b\r\n\r\n"),
}


@pytest.mark.parametrize("name", FOUND)
def test_found_inputs_give_the_same_events_whole_and_byte_by_byte(name):
    limits, data = FOUND[name]
    assert brief(parse(data, split_whole, limits)) == brief(parse(data, split_bytes, limits))
