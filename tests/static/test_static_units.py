"""Unit tests of the pure parts of static files: ranges, validators, negotiation, caches."""

from __future__ import annotations

import pytest

from wsgiserver.http.dates import parse_http_date
from wsgiserver.static.cache import ContentCache
from wsgiserver.static.conditional import etag_matches, precondition, request_fields
from wsgiserver.static.lookup import safe_segments, url_path
from wsgiserver.static.meta import accepted_codings, cache_control, choose_coding, content_type_for
from wsgiserver.static.ranges import MAX_RANGES, Multipart, coalesce, parse_ranges

ETAG = '"24-1-2"'
MTIME = 784111777  # Sun, 06 Nov 1994 08:49:37 GMT


@pytest.mark.parametrize("header, expected", [
    (None, None), ("", None), ("bytes=0-0", [(0, 1)]), ("bytes=-1", [(99, 100)]),
    ("bytes=50-", [(50, 100)]), ("bytes=0-999", [(0, 100)]), ("bytes=100-", []),
    ("bytes=-0", []), ("bytes=0-0,-1", [(0, 1), (99, 100)]), ("bytes=0-10,5-20", [(0, 21)]),
    ("bytes=10-19,0-9", [(0, 20)]), ("bytes=3-2", None), ("bytes=x-1", None),
    ("bits=0-1", None), ("bytes=", None), ("bytes=,", None), ("bytes=0-1,", [(0, 2)]),
    ("Bytes=0-1", [(0, 2)]), ("bytes=" + "9" * 40 + "-", []), ("bytes=0-" + "9" * 40, [(0, 100)]),
    ("bytes=-" + "9" * 40, [(0, 100)]), ("bytes=+1-2", None), ("bytes=1 -2", [(1, 3)]),
])
def test_parse_ranges(header, expected):
    assert parse_ranges(header, 100) == expected


def test_parse_ranges_caps_the_count():
    many = ",".join(f"{i * 3}-{i * 3}" for i in range(MAX_RANGES + 1))
    assert parse_ranges("bytes=" + many, 1000) is None
    assert parse_ranges("bytes=" + ",".join(["0-"] * 1000), 1000) == [(0, 1000)]


def test_parse_ranges_ignores_an_empty_file():
    assert parse_ranges("bytes=0-", 0) is None


def test_coalesce():
    assert coalesce([(5, 10), (0, 5), (20, 30), (25, 26)]) == [(0, 10), (20, 30)]
    assert coalesce([]) == []


def test_multipart_length_is_exact():
    content = bytes(range(100))
    parts = Multipart([(0, 10), (50, 60), (99, 100)], 100, "text/plain; charset=utf-8")
    body = parts.join(content)
    assert parts.length == len(body)
    assert body.startswith(b"\r\n--" + parts.boundary.encode() + b"\r\n")
    assert body.endswith(b"\r\n--" + parts.boundary.encode() + b"--\r\n")
    assert b"Content-Range: bytes 50-59/100\r\n\r\n" + content[50:60] in body
    assert parts.content_type == "multipart/byteranges; boundary=" + parts.boundary
    assert Multipart([(0, 1), (2, 3)], 3, "x").boundary != parts.boundary


@pytest.mark.parametrize("header, weak, expected", [
    (ETAG, False, True), ("W/" + ETAG, False, False), ("W/" + ETAG, True, True),
    ('"a", "b",' + ETAG, False, True), ('"a,b"', True, False), ('"24-1-2 "', True, False),
    ("*", False, True), (" * ", True, True), ("", True, False), ("24-1-2", True, False),
])
def test_etag_matches(header, weak, expected):
    assert etag_matches(header, ETAG, weak) is expected


@pytest.mark.parametrize("value", ["Sun, 06 Nov 1994 08:49:37 GMT",
                                   "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"])
def test_parse_http_date_formats(value):
    assert parse_http_date(value) == MTIME  # RFC 9110 §5.6.7: all three must be accepted


@pytest.mark.parametrize("value", [None, "", "tomorrow", "Sun, 99 Nov 1994 08:49:37 GMT"])
def test_parse_http_date_invalid(value):
    assert parse_http_date(value) is None


def test_request_fields_picks_and_joins():
    headers = [("Host", "x"), ("If-None-Match", '"a"'), ("if-none-match", '"b"'),
               ("RANGE", "bytes=0-1"), ("Accept-Encoding", "br")]
    assert request_fields(headers) == {"if-none-match": '"a", "b"', "range": "bytes=0-1",
                                       "accept-encoding": "br"}


@pytest.mark.parametrize("headers, status", [
    ((), None),
    ((("If-None-Match", ETAG),), 304),
    ((("If-Match", '"x"'),), 412),
    ((("If-Match", '"x"'), ("If-None-Match", ETAG)), 412),
    ((("If-Unmodified-Since", "Sun, 06 Nov 1994 08:49:36 GMT"),), 412),
    ((("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"),), 304),
    ((("If-Modified-Since", "Sun, 06 Nov 1994 08:49:36 GMT"),), None),
    ((("If-None-Match", '"x"'), ("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT")), None),
])
def test_precondition_order(headers, status):
    result = precondition(request_fields(list(headers)), ETAG, MTIME)
    assert (None if result is None else result.value) == status


def test_accepted_codings():
    assert accepted_codings("gzip;q=0.5, BR, x-gzip;q=0.1, bad;q=x, deflate;level=1") == {
        "gzip": 0.1, "br": 1.0}
    assert accepted_codings(None) == {}


@pytest.mark.parametrize("header, available, expected", [
    ("br, gzip", ("br", "gzip"), "br"), ("gzip", ("br", "gzip"), "gzip"),
    ("br", ("gzip",), None), ("*", ("gzip",), "gzip"), ("*, gzip;q=0", ("br", "gzip"), "br"),
    ("", ("br",), None), ("gzip;q=0.001", ("gzip",), "gzip"), ("gzip;q=0", ("gzip",), None),
])
def test_choose_coding(header, available, expected):
    assert choose_coding(header, available) == expected


@pytest.mark.parametrize("name, expected", [
    ("app.3f2a9c1e.css", "public, max-age=31536000, immutable"),
    ("app-3f2a9c1e.js", "public, max-age=31536000, immutable"),
    ("app.3F2A9C1E.css", "no-cache"),  # hashes are lower-case hex
    ("photo.12345678.jpg", "no-cache"), ("abcdefab.css", "no-cache"), ("app.css", "no-cache"),
])
def test_cache_control(name, expected):
    assert cache_control(name, 0) == expected


def test_content_type_ignores_the_system_mime_table():
    assert content_type_for("x.js") == "text/javascript; charset=utf-8"
    assert content_type_for("x.webmanifest") == "application/manifest+json; charset=utf-8"
    assert content_type_for("x.geojson") in ("application/geo+json; charset=utf-8",
                                             "application/octet-stream")


@pytest.mark.parametrize("raw, expected", [
    (b"/", [""]), (b"/a/b", ["a", "b"]), (b"/a/b/", ["a", "b", ""]),
    (b"/caf%C3%A9", ["caf\u00e9"]), (b"/.well-known/x", [".well-known", "x"]),
    (b"/a//b", None), (b"/.", None), (b"/a/..", None), (b"/a%2fb", None), (b"/%00", None),
    (b"/%c0%ae", None), (b"relative", None), (b"*", None), (b"/" + b"a" * 256, None),
])
def test_safe_segments(raw, expected):
    assert safe_segments(raw) == expected


def test_url_path_encodes_everything_unsafe():
    assert url_path("/", ["a b", 'q"<>', "caf\u00e9", "x?y#z", "100%"]) == \
        "/a%20b/q%22%3C%3E/caf%C3%A9/x%3Fy%23z/100%25"


def test_content_cache_keeps_to_its_budget():
    cache = ContentCache(budget=100, max_file=60)
    cache.put(("a",), b"x" * 60)
    cache.put(("b",), b"y" * 30)
    assert cache.get(("a",)) and cache.get(("b",))
    cache.put(("c",), b"z" * 50)  # evicts the oldest first
    assert cache.get(("a",)) is None and cache.get(("c",)) == b"z" * 50
    assert cache._bytes <= 100


def test_safe_segments_refuses_paths_longer_than_path_max():
    assert safe_segments(b"/" + b"/".join([b"a" * 200] * 20)) is not None  # 4020 bytes
    assert safe_segments(b"/" + b"/".join([b"a" * 200] * 21)) is None  # 4221 bytes


def test_whole_response_cache_serves_plain_gets_and_skips_conditional_ones(tmp_path):
    from tests.helpers import Client
    from wsgiserver.testing import live_server

    (tmp_path / "a.txt").write_bytes(b"hello")
    with live_server(None, static_root=str(tmp_path)) as server, Client.to(server) as client:
        first = client.request("/a.txt")
        second = client.request("/a.txt")
        assert first.body == second.body == b"hello"
        assert first.header("ETag") == second.header("ETag")
        assert server.server.static.responses._entries  # the second one came from the cache
        etag = first.header("ETag")
        assert client.request("/a.txt", headers=[("If-None-Match", etag)]).status == 304
        assert client.request("/a.txt", headers=[("Range", "bytes=0-1")]).body == b"he"
