"""Body writers: one per framing, each turning app output into wire bytes."""

import pytest

from wsgiserver.http import response
from wsgiserver.http.writers import (
    LAST_CHUNK,
    WRITERS,
    BodyWriter,
    ChunkedWriter,
    LengthWriter,
    NoBodyWriter,
)


def head(method="GET", version="HTTP/1.1", headers=(), length_hint=None, status="200 OK"):
    return response.build_head(status, list(headers), method=method, version=version,
                               keep_alive=True, length_hint=length_hint)


@pytest.mark.parametrize(("kwargs", "writer_type"), [
    ({"length_hint": 5}, LengthWriter),
    ({}, ChunkedWriter),
    ({"version": "HTTP/1.0"}, BodyWriter),
    ({"method": "HEAD", "length_hint": 5}, NoBodyWriter),
    ({"status": "304 Not Modified"}, NoBodyWriter),
])
def test_the_head_s_framing_picks_the_writer(kwargs, writer_type):
    made = head(**kwargs)
    assert WRITERS[made.framing] is writer_type


def test_length_writer_sends_exactly_content_length_bytes():
    writer = LengthWriter(5)
    assert writer.frame(b"abc") == b"abc" and not writer.truncated
    assert writer.short
    assert writer.frame(b"defgh") == b"de" and writer.truncated
    assert writer.frame(b"more") == b"" and writer.truncated
    assert writer.sent == 5 and not writer.short
    assert writer.finish() == b""


def test_a_writer_is_made_from_its_head():
    made = head(length_hint=3)
    writer = WRITERS[made.framing](made.content_length)
    assert writer.frame(b"abcd") == b"abc" and not writer.short


def test_length_writer_counts_a_file_sent_around_it():
    writer = LengthWriter(10)
    writer.sent_around(4)
    assert writer.short and writer.sent == 4
    writer.sent_around(6)
    assert not writer.short


def test_chunked_writer_frames_each_piece_and_ends_with_the_last_chunk():
    writer = ChunkedWriter()
    assert writer.frame(b"hello") == b"5\r\nhello\r\n"
    assert writer.frame(b"") == b""  # an empty chunk would end the body early
    assert writer.frame(b"x" * 26) == b"1a\r\n" + b"x" * 26 + b"\r\n"
    assert writer.finish() == LAST_CHUNK == b"0\r\n\r\n"
    assert writer.sent == 31 and not writer.short


def test_close_delimited_writer_passes_bytes_through():
    writer = BodyWriter()
    assert writer.frame(b"abc") == b"abc"
    assert writer.finish() == b"" and writer.sent == 3 and not writer.short


def test_no_body_writer_sends_nothing_and_counts_nothing():
    writer = NoBodyWriter(5)
    assert writer.frame(b"hello") == b""
    assert writer.finish() == b"" and writer.sent == 0 and not writer.short
