"""HTTP semantics of static files through the live server (RFC 9110 §8.8, §13, §14).

Validators and conditional requests, byte ranges, HEAD, content types,
precompressed siblings and Cache-Control.
"""

from __future__ import annotations

import os
import re
import time
from email.utils import formatdate

import pytest
from helpers import Client, make_request

from wsgiserver.static.ranges import MAX_RANGES
from wsgiserver.testing import live_server

TEXT = b"0123456789abcdefghijklmnopqrstuvwxyz"  # 36 bytes: easy to check slices
BIG = bytes(range(256)) * 1024  # 256 KiB: above the in-memory cache, so sent with sendfile
AN_HOUR_AGO = time.time() - 3600


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "text.txt").write_bytes(TEXT)
    (root / "big.bin").write_bytes(BIG)
    (root / "empty.txt").write_bytes(b"")
    for name in ("text.txt", "big.bin", "empty.txt"):
        os.utime(root / name, (AN_HOUR_AGO, AN_HOUR_AGO))  # a strong Last-Modified
    return root


@pytest.fixture(params=[4, 0], ids=["threads4", "threads0"])
def server(request, root):
    with live_server(None, static_root=str(root), threads=request.param) as server:
        yield server


@pytest.fixture
def client(server):
    with Client.to(server) as client:
        yield client


def get(client: Client, path: str, *headers: tuple[str, str], method: str = "GET"):
    return client.request(path, method=method, headers=headers)


def without_date(headers):
    return [(k, v) for k, v in headers if k.lower() != "date"]


# -- validators --

def test_etag_is_strong_and_last_modified_is_the_mtime(client, root):
    response = get(client, "/text.txt")
    info = os.stat(root / "text.txt")
    assert re.fullmatch(r'"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"', response.header("ETag"))
    assert response.header("ETag") == f'"{info.st_size:x}-{info.st_mtime_ns:x}-{info.st_ino:x}"'
    assert response.header("Last-Modified") == formatdate(int(info.st_mtime), usegmt=True)
    assert response.header("Accept-Ranges") == "bytes"
    assert response.header("X-Content-Type-Options") == "nosniff"


def test_etag_changes_with_size_mtime_and_inode(root):
    path = root / "text.txt"
    with live_server(None, static_root=str(root), static_cache_seconds=0) as server, \
            Client.to(server) as client:
        first = get(client, "/text.txt").header("ETag")
        os.utime(path, (AN_HOUR_AGO + 10, AN_HOUR_AGO + 10))
        touched = get(client, "/text.txt").header("ETag")
        info = os.stat(path)
        (root / "new.txt").write_bytes(TEXT)  # same size and mtime, another inode
        os.utime(root / "new.txt", ns=(info.st_atime_ns, info.st_mtime_ns))
        os.replace(root / "new.txt", path)
        replaced = get(client, "/text.txt").header("ETag")
        path.write_bytes(TEXT + b"!")
        resized = get(client, "/text.txt").header("ETag")
    assert len({first, touched, replaced, resized}) == 4


# -- conditional requests --

@pytest.mark.parametrize("header", ["{etag}", "*", '"other", {etag}', "W/{etag}",
                                    '"a,b", {etag}'])
def test_if_none_match_gives_304(client, header):
    etag = get(client, "/text.txt").header("ETag")
    response = get(client, "/text.txt", ("If-None-Match", header.format(etag=etag)))
    assert response.status == 304
    assert response.body == b""
    assert response.header("ETag") == etag
    assert response.header("Cache-Control") == "no-cache"
    assert response.header("Content-Length") is None
    assert response.header("Content-Type") is None
    assert get(client, "/text.txt").body == TEXT  # the connection is still in step


def test_if_none_match_on_several_lines(client):
    etag = get(client, "/text.txt").header("ETag")
    response = get(client, "/text.txt", ("If-None-Match", '"nope"'), ("If-None-Match", etag))
    assert response.status == 304


def test_if_none_match_mismatch_gives_200_and_beats_if_modified_since(client):
    last_modified = get(client, "/text.txt").header("Last-Modified")
    response = get(client, "/text.txt", ("If-None-Match", '"something-else"'),
                   ("If-Modified-Since", last_modified))
    assert response.status == 200 and response.body == TEXT


def test_head_with_if_none_match_gives_304(client):
    etag = get(client, "/text.txt").header("ETag")
    response = get(client, "/text.txt", ("If-None-Match", etag), method="HEAD")
    assert response.status == 304


@pytest.mark.parametrize("offset, status", [(0, 304), (3600, 304), (-1, 200)])
def test_if_modified_since(client, offset, status):
    mtime = int(AN_HOUR_AGO)
    since = formatdate(mtime + offset, usegmt=True)
    response = get(client, "/text.txt", ("If-Modified-Since", since))
    assert response.status == status
    assert response.body == (b"" if status == 304 else TEXT)


@pytest.mark.parametrize("value", ["yesterday", "", "Mon, 99 Foo 2020 99:99:99 GMT"])
def test_invalid_if_modified_since_is_ignored(client, value):
    assert get(client, "/text.txt", ("If-Modified-Since", value)).status == 200


def test_if_modified_since_in_other_date_formats(client):
    mtime = time.gmtime(int(AN_HOUR_AGO))
    rfc850 = time.strftime("%A, %d-%b-%y %H:%M:%S GMT", mtime)
    asctime = time.strftime("%a %b %e %H:%M:%S %Y", mtime)
    assert get(client, "/text.txt", ("If-Modified-Since", rfc850)).status == 304
    assert get(client, "/text.txt", ("If-Modified-Since", asctime)).status == 304


@pytest.mark.parametrize("header, status", [
    ('"nope"', 412), ("*", 200), ("{etag}", 200), ('"x", {etag}', 200), ("W/{etag}", 412),
])
def test_if_match(client, header, status):
    etag = get(client, "/text.txt").header("ETag")
    response = get(client, "/text.txt", ("If-Match", header.format(etag=etag)))
    assert response.status == status
    if status == 412:
        assert response.body == b"412 Precondition Failed\n"
        assert not response.closes
        assert get(client, "/text.txt").status == 200


@pytest.mark.parametrize("offset, status", [(-1, 412), (0, 200), (60, 200)])
def test_if_unmodified_since(client, offset, status):
    since = formatdate(int(AN_HOUR_AGO) + offset, usegmt=True)
    assert get(client, "/text.txt", ("If-Unmodified-Since", since)).status == status


def test_if_match_takes_precedence_over_if_unmodified_since(client):
    etag = get(client, "/text.txt").header("ETag")
    long_ago = formatdate(0, usegmt=True)
    response = get(client, "/text.txt", ("If-Match", etag), ("If-Unmodified-Since", long_ago))
    assert response.status == 200


def test_412_comes_before_304(client):
    etag = get(client, "/text.txt").header("ETag")
    response = get(client, "/text.txt", ("If-Match", '"nope"'), ("If-None-Match", etag))
    assert response.status == 412


# -- ranges --

@pytest.mark.parametrize("spec, start, end", [
    ("bytes=0-9", 0, 10), ("bytes=10-", 10, 36), ("bytes=-5", 31, 36), ("bytes=30-1000", 30, 36),
    ("bytes=-1000", 0, 36), ("BYTES=1-1", 1, 2), ("bytes=0-1,1000-", 0, 2),
    ("bytes=0-9,5-14", 0, 15), ("bytes=0-4,5-9", 0, 10), ("bytes= 2-3 , ", 2, 4),
])
def test_single_range(client, spec, start, end):
    response = get(client, "/text.txt", ("Range", spec))
    assert response.status == 206
    assert response.body == TEXT[start:end]
    assert response.header("Content-Range") == f"bytes {start}-{end - 1}/{len(TEXT)}"
    assert response.header("Content-Length") == str(end - start)
    assert response.header("Content-Type") == "text/plain; charset=utf-8"
    assert response.header("ETag") is not None


def parse_multipart(response):
    content_type = response.header("Content-Type")
    match = re.fullmatch(r"multipart/byteranges; boundary=(\S+)", content_type)
    assert match, content_type
    delimiter = b"\r\n--" + match.group(1).encode()
    body = response.body
    assert body.endswith(delimiter + b"--\r\n")
    parts = []
    for chunk in body[: -len(delimiter + b"--\r\n")].split(delimiter)[1:]:
        head, _, data = chunk.partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
        parts.append((headers, data))
    return parts


@pytest.mark.parametrize("path, content", [("/text.txt", TEXT), ("/big.bin", BIG)],
                         ids=["in-memory", "sendfile"])
def test_multiple_ranges_give_multipart_byteranges(client, path, content):
    size = len(content)
    response = get(client, path, ("Range", "bytes=20-24,0-3,-2"))
    assert response.status == 206
    assert response.header("Content-Range") is None
    assert response.header("Content-Length") == str(len(response.body))
    parts = parse_multipart(response)
    expected = [(0, 4), (20, 25), (size - 2, size)]  # sorted by offset
    assert [data for _, data in parts] == [content[s:e] for s, e in expected]
    for (headers, _), (start, end) in zip(parts, expected, strict=True):
        assert headers["Content-Range"] == f"bytes {start}-{end - 1}/{size}"
        assert headers["Content-Type"] in ("text/plain; charset=utf-8",
                                           "application/octet-stream")
    assert get(client, path).body == content  # the connection is still in step


def test_ranges_of_a_large_file_with_sendfile(client):
    response = get(client, "/big.bin", ("Range", "bytes=1000-200999"))
    assert response.status == 206
    assert response.body == BIG[1000:201000]
    assert get(client, "/big.bin", ("Range", "bytes=-10")).body == BIG[-10:]


def test_many_overlapping_ranges_send_the_file_once(client):
    spec = "bytes=" + ",".join(["0-"] * 200)
    response = get(client, "/big.bin", ("Range", spec))
    assert response.status == 206
    assert response.header("Content-Range") == f"bytes 0-{len(BIG) - 1}/{len(BIG)}"
    assert len(response.body) == len(BIG)


def test_too_many_ranges_are_ignored(client):
    spec = "bytes=" + ",".join(f"{i * 2}-{i * 2}" for i in range(MAX_RANGES + 1))
    response = get(client, "/text.txt", ("Range", spec))
    assert response.status == 200 and response.body == TEXT
    spec = "bytes=" + ",".join(f"{i * 2}-{i * 2}" for i in range(MAX_RANGES))
    assert get(client, "/text.txt", ("Range", spec)).status == 206


@pytest.mark.parametrize("spec", ["bytes=36-", "bytes=100-200", "bytes=-0", "bytes=36-,40-"])
def test_unsatisfiable_range_gives_416(client, spec):
    response = get(client, "/text.txt", ("Range", spec))
    assert response.status == 416
    assert response.header("Content-Range") == f"bytes */{len(TEXT)}"
    assert not response.closes
    assert get(client, "/text.txt").body == TEXT


@pytest.mark.parametrize("spec", ["bytes=5-3", "bytes=abc", "items=0-1", "bytes 0-1", "bytes=",
                                  "bytes=1-2-3", "bytes=-", "bytes=0x1-2", "bytes=²-³",
                                  "bytes=0-1;x", "=0-1"])
def test_invalid_or_unknown_unit_range_is_ignored(client, spec):
    response = get(client, "/text.txt", ("Range", spec))
    assert response.status == 200
    assert response.body == TEXT


def test_range_of_an_empty_file_is_ignored(client):
    response = get(client, "/empty.txt", ("Range", "bytes=0-"))
    assert response.status == 200 and response.body == b""


def test_head_ignores_range_and_gives_the_200_headers(client):
    get_headers = without_date(get(client, "/text.txt").headers)
    head = get(client, "/text.txt", ("Range", "bytes=0-3"), method="HEAD")
    assert head.status == 200
    assert without_date(head.headers) == get_headers


def test_if_range_with_the_current_etag_gives_206(client):
    etag = get(client, "/text.txt").header("ETag")
    response = get(client, "/text.txt", ("Range", "bytes=0-3"), ("If-Range", etag))
    assert response.status == 206 and response.body == TEXT[:4]


@pytest.mark.parametrize("validator", ['"old-etag"', "W/{etag}", "{last_modified_minus_1}",
                                       "not a date"])
def test_if_range_that_does_not_match_gives_the_whole_file(client, validator):
    first = get(client, "/text.txt")
    earlier = formatdate(int(AN_HOUR_AGO) - 1, usegmt=True)
    value = validator.format(etag=first.header("ETag"), last_modified_minus_1=earlier)
    response = get(client, "/text.txt", ("Range", "bytes=0-3"), ("If-Range", value))
    assert response.status == 200 and response.body == TEXT


def test_if_range_with_the_last_modified_date_gives_206(client):
    last_modified = get(client, "/text.txt").header("Last-Modified")
    response = get(client, "/text.txt", ("Range", "bytes=0-3"), ("If-Range", last_modified))
    assert response.status == 206


def test_if_range_date_of_a_file_changed_this_second_is_weak(root):
    # Last-Modified in the current second (or later) can't tell two versions apart
    # (RFC 9110 §8.8.2.2). A future mtime keeps the test off the second boundary.
    (root / "fresh.txt").write_bytes(TEXT)
    os.utime(root / "fresh.txt", (time.time() + 30, time.time() + 30))
    with live_server(None, static_root=str(root)) as server, Client.to(server) as client:
        last_modified = get(client, "/fresh.txt").header("Last-Modified")
        response = get(client, "/fresh.txt", ("Range", "bytes=0-3"), ("If-Range", last_modified))
        assert response.status == 200


# -- HEAD --

@pytest.mark.parametrize("path", ["/text.txt", "/big.bin", "/empty.txt", "/missing"])
def test_head_gives_the_same_headers_as_get(client, path):
    got = get(client, path)
    head = get(client, path, method="HEAD")
    assert head.status == got.status
    assert head.body == b""
    assert without_date(head.headers) == without_date(got.headers)


# -- content types --

@pytest.mark.parametrize("name, content_type", [
    ("a.html", "text/html; charset=utf-8"), ("a.css", "text/css; charset=utf-8"),
    ("a.js", "text/javascript; charset=utf-8"), ("a.mjs", "text/javascript; charset=utf-8"),
    ("a.json", "application/json; charset=utf-8"), ("a.svg", "image/svg+xml; charset=utf-8"),
    ("a.txt", "text/plain; charset=utf-8"), ("a.xml", "text/xml; charset=utf-8"),
    ("a.png", "image/png"), ("a.jpg", "image/jpeg"), ("a.woff2", "font/woff2"),
    ("a.wasm", "application/wasm"), ("a.webp", "image/webp"), ("a.pdf", "application/pdf"),
    ("a.tar.gz", "application/octet-stream"), ("noextension", "application/octet-stream"),
    ("a.unknownext", "application/octet-stream"),
])
def test_content_type(root, name, content_type):
    (root / name).write_bytes(b"x")
    with live_server(None, static_root=str(root)) as server, Client.to(server) as client:
        response = get(client, "/" + name)
        assert response.header("Content-Type") == content_type
        assert response.header("X-Content-Type-Options") == "nosniff"


# -- precompressed siblings --

@pytest.fixture
def compressed_root(root):
    (root / "app.js").write_bytes(b"console.log('plain');")
    (root / "app.js.gz").write_bytes(b"GZIP-BYTES")
    (root / "app.js.br").write_bytes(b"BROTLI-BYTES")
    (root / "stale.css").write_bytes(b"body{}")
    (root / "stale.css.gz").write_bytes(b"OLD-GZIP")
    os.utime(root / "stale.css.gz", (AN_HOUR_AGO, AN_HOUR_AGO))  # older than stale.css
    return root


@pytest.mark.parametrize("accept, body, coding", [
    ("br", b"BROTLI-BYTES", "br"), ("gzip", b"GZIP-BYTES", "gzip"),
    ("gzip, deflate, br", b"BROTLI-BYTES", "br"), ("gzip, br;q=0.5", b"GZIP-BYTES", "gzip"),
    ("br;q=0, gzip", b"GZIP-BYTES", "gzip"), ("x-gzip", b"GZIP-BYTES", "gzip"),
    ("*", b"BROTLI-BYTES", "br"), ("*;q=0", b"console.log('plain');", None),
    ("deflate", b"console.log('plain');", None), (None, b"console.log('plain');", None),
    ("identity", b"console.log('plain');", None),
    ("gzip;q=0.2, identity;q=0.5", b"console.log('plain');", None),
    ("BR;Q=1", b"BROTLI-BYTES", "br"), ("gzip;q=nonsense, br;q=2", b"console.log('plain');", None),
])
def test_precompressed_sibling(compressed_root, accept, body, coding):
    headers = [("Accept-Encoding", accept)] if accept is not None else []
    with live_server(None, static_root=str(compressed_root)) as server, \
            Client.to(server) as client:
        response = get(client, "/app.js", *headers)
        assert response.status == 200
        assert response.body == body
        assert response.header("Content-Encoding") == coding
        assert response.header("Vary") == "Accept-Encoding"
        assert response.header("Content-Type") == "text/javascript; charset=utf-8"
        head = get(client, "/app.js", *headers, method="HEAD")
        assert without_date(head.headers) == without_date(response.headers)


def test_stale_sibling_is_not_used(compressed_root):
    with live_server(None, static_root=str(compressed_root)) as server, \
            Client.to(server) as client:
        response = get(client, "/stale.css", ("Accept-Encoding", "gzip"))
        assert response.body == b"body{}"
        assert response.header("Content-Encoding") is None
        assert response.header("Vary") is None  # no usable sibling: the answer never varies


def test_each_coding_has_its_own_etag_and_304(compressed_root):
    with live_server(None, static_root=str(compressed_root)) as server, \
            Client.to(server) as client:
        plain = get(client, "/app.js").header("ETag")
        gzipped = get(client, "/app.js", ("Accept-Encoding", "gzip")).header("ETag")
        assert plain != gzipped
        again = get(client, "/app.js", ("Accept-Encoding", "gzip"), ("If-None-Match", gzipped))
        assert again.status == 304
        assert again.header("Vary") == "Accept-Encoding"
        assert get(client, "/app.js", ("If-None-Match", gzipped)).status == 200


def test_range_of_a_precompressed_file_counts_compressed_bytes(compressed_root):
    with live_server(None, static_root=str(compressed_root)) as server, \
            Client.to(server) as client:
        response = get(client, "/app.js", ("Accept-Encoding", "gzip"), ("Range", "bytes=0-3"))
        assert response.status == 206
        assert response.body == b"GZIP"
        assert response.header("Content-Range") == "bytes 0-3/10"
        assert response.header("Content-Encoding") == "gzip"


# -- Cache-Control --

@pytest.mark.parametrize("name, max_age, expected", [
    ("page.html", None, "no-cache"),
    ("page.html", 3600, "public, max-age=3600"),
    ("app.3f2a9c1e.css", None, "public, max-age=31536000, immutable"),
    ("main-0b1c2d3e4f5a.js", 60, "public, max-age=31536000, immutable"),
    ("vendor.3f2a9c1e4b5d6e7f.min.js", None, "public, max-age=31536000, immutable"),
    ("report.20240101.csv", 60, "public, max-age=60"),  # a date, not a hash
    ("deadbeef.css", 60, "public, max-age=60"),  # no hash before the extension
])
def test_cache_control(root, name, max_age, expected):
    (root / name).write_bytes(b"x")
    options = {} if max_age is None else {"static_max_age": max_age}
    with live_server(None, static_root=str(root), **options) as server, \
            Client.to(server) as client:
        assert get(client, "/" + name).header("Cache-Control") == expected


def test_pipelined_conditional_and_range_requests(client):
    etag = get(client, "/text.txt").header("ETag")
    requests = [("/text.txt", [("If-None-Match", etag)]), ("/text.txt", [("Range", "bytes=0-1")]),
                ("/big.bin", [("Range", "bytes=0-1,10-11")]), ("/text.txt", [])]
    client.send(b"".join(make_request(path, headers=h) for path, h in requests))
    statuses = [client.read_response().status for _ in requests]
    assert statuses == [304, 206, 206, 200]
