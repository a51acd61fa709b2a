"""The decide half of static files, without a server: `answer` → `Reply`.

Each test builds a static root in tmp_path, looks a target up with
StaticFiles and asks `answer` what to send; nothing here opens a socket.
"""

from __future__ import annotations

import os

import pytest

from wsgiserver.http.request import Request
from wsgiserver.static.answer import FileParts, FileSlice, Reply, answer
from wsgiserver.static.dispatch import StaticFiles
from wsgiserver.static.lookup import FILE, LISTING, MISSING, REDIRECT
from wsgiserver.static.task import StaticTask

TEXT = b"0123456789abcdefghij"  # 20 bytes: ranges are easy to check by eye


@pytest.fixture
def root(tmp_path):
    (tmp_path / "hello.txt").write_bytes(TEXT)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "page.html").write_bytes(b"<p>page</p>")
    return tmp_path


@pytest.fixture
def files(root):
    return StaticFiles(str(root), static_only=True)


def request(target: str, method: str = "GET", **headers: str) -> Request:
    fields = [(name.replace("_", "-"), value) for name, value in headers.items()]
    return Request(method, target.encode("latin-1"), "HTTP/1.1", fields, True)


def ask(files: StaticFiles, target: str, method: str = "GET", **headers: str) -> Reply:
    req = request(target, method, **headers)
    return answer(req, files.lookup(req.target), files)


def header(reply: Reply, name: str):
    values = [value for key, value in reply.headers if key.lower() == name.lower()]
    assert len(values) <= 1, f"{name} repeated: {values}"
    return values[0] if values else None


def fd_is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


# -- files --
def test_a_small_file_is_a_200_with_its_bytes_in_memory(files):
    reply = ask(files, "/hello.txt")
    assert reply.status == 200
    assert reply.body == TEXT
    assert header(reply, "Content-Type") == "text/plain; charset=utf-8"
    assert header(reply, "Accept-Ranges") == "bytes"
    assert header(reply, "ETag").startswith('"')
    assert header(reply, "Vary") is None
    assert reply.reusable  # a plain 200 in memory may go in the whole-response cache


def test_head_gets_the_same_reply_as_get(files):
    get, head = ask(files, "/hello.txt"), ask(files, "/hello.txt", "HEAD")
    # The sender leaves the body out for HEAD; the decision itself is the same.
    assert (head.status, head.headers, head.body) == (get.status, get.headers, get.body)


def test_without_the_content_cache_the_body_is_an_open_file_slice(root):
    files = StaticFiles(str(root), static_only=True, cache_seconds=0)
    reply = ask(files, "/hello.txt")
    body = reply.body
    assert isinstance(body, FileSlice)
    assert (body.start, body.end, body.length) == (0, len(TEXT), len(TEXT))
    assert os.pread(body.file.fd, 100, 0) == TEXT
    assert not reply.reusable  # only bytes in memory are memoised
    reply.release()
    assert not fd_is_open(body.file.fd)
    reply.release()  # a second release must not close someone else's fd
    assert reply.body is None


def test_if_none_match_with_the_etag_is_a_304_without_body(files):
    etag = header(ask(files, "/hello.txt"), "ETag")
    reply = ask(files, "/hello.txt", If_None_Match=etag)
    assert reply.status == 304
    assert reply.body is None  # not even b"": a 304 has no Content-Length: 0
    assert header(reply, "ETag") == etag
    assert header(reply, "Last-Modified") is not None
    assert header(reply, "Content-Type") is None  # §15.4.5: validators, not representation


def test_if_none_match_with_another_etag_sends_the_file(files):
    reply = ask(files, "/hello.txt", If_None_Match='"other"')
    assert (reply.status, reply.body) == (200, TEXT)


def test_if_match_mismatch_is_a_412(files):
    reply = ask(files, "/hello.txt", If_Match='"not-this-one"')
    assert reply.status == 412
    assert reply.body == b"412 Precondition Failed\n"
    assert header(reply, "Content-Type") == "text/plain; charset=utf-8"


# -- ranges --
def test_one_range_is_a_206_with_that_slice(files):
    reply = ask(files, "/hello.txt", Range="bytes=2-5")
    assert reply.status == 206
    assert reply.body == TEXT[2:6]
    assert header(reply, "Content-Range") == f"bytes 2-5/{len(TEXT)}"
    assert not reply.reusable


def test_one_range_of_an_open_file_is_a_slice_of_it(root):
    files = StaticFiles(str(root), static_only=True, cache_seconds=0)
    reply = ask(files, "/hello.txt", Range="bytes=-4")
    try:
        assert reply.status == 206
        assert isinstance(reply.body, FileSlice)
        assert (reply.body.start, reply.body.end) == (len(TEXT) - 4, len(TEXT))
        assert header(reply, "Content-Range") == f"bytes 16-19/{len(TEXT)}"
    finally:
        reply.release()


def test_an_unsatisfiable_range_is_a_416_naming_the_size(files):
    reply = ask(files, "/hello.txt", Range="bytes=100-")
    assert reply.status == 416
    assert header(reply, "Content-Range") == f"bytes */{len(TEXT)}"
    assert reply.body == b"416 Requested Range Not Satisfiable\n"


def test_a_416_of_an_open_file_releases_it(root, monkeypatch):
    files = StaticFiles(str(root), static_only=True, cache_seconds=0)
    released = []
    real_body = files.body

    def body(file):
        opened = real_body(file)
        released.append(opened)
        return opened

    monkeypatch.setattr(files, "body", body)
    reply = ask(files, "/hello.txt", Range="bytes=100-")
    assert reply.status == 416
    assert not fd_is_open(released[0].fd)  # no Reply holds it, so answer let it go


def test_head_ignores_range(files):
    reply = ask(files, "/hello.txt", "HEAD", Range="bytes=2-5")
    assert (reply.status, reply.body) == (200, TEXT)
    assert header(reply, "Content-Range") is None


def test_two_ranges_are_multipart_byteranges(files):
    reply = ask(files, "/hello.txt", Range="bytes=0-1,10-12")
    assert reply.status == 206
    content_type = header(reply, "Content-Type")
    assert content_type.startswith("multipart/byteranges; boundary=")
    boundary = content_type.rsplit("=", 1)[1].encode()
    assert isinstance(reply.body, bytes)
    parts = reply.body.split(b"--" + boundary)
    assert parts[-1] == b"--\r\n"
    assert [p.rsplit(b"\r\n\r\n", 1)[1].rstrip(b"\r\n") for p in parts[1:-1]] == [
        TEXT[0:2], TEXT[10:13]]
    assert b"Content-Range: bytes 10-12/20" in reply.body
    assert b"Content-Type: text/plain; charset=utf-8" in reply.body  # the file's, per part


def test_two_ranges_of_an_open_file_are_its_parts(root):
    files = StaticFiles(str(root), static_only=True, cache_seconds=0)
    reply = ask(files, "/hello.txt", Range="bytes=0-1,10-12")
    try:
        assert isinstance(reply.body, FileParts)
        assert reply.body.parts.ranges == [(0, 2), (10, 13)]
        assert header(reply, "Content-Type") == reply.body.parts.content_type
    finally:
        reply.release()


# -- not files --
def test_options_is_a_200_with_allow_and_an_empty_body(files):
    reply = ask(files, "/hello.txt", "OPTIONS")
    assert reply.status == 200
    assert header(reply, "Allow") == "GET, HEAD, OPTIONS"
    assert reply.body == b""  # Content-Length: 0, not "no body"


def test_post_to_a_static_path_is_a_405_with_allow(files):
    reply = ask(files, "/hello.txt", "POST")
    assert reply.status == 405
    assert header(reply, "Allow") == "GET, HEAD, OPTIONS"
    assert reply.body == b"405 Method Not Allowed\n"


def test_a_folder_without_its_slash_is_a_301_keeping_the_query(files):
    assert files.lookup(b"/sub").kind == REDIRECT
    reply = ask(files, "/sub?a=1")
    assert reply.status == 301
    assert header(reply, "Location") == "/sub/?a=1"


def test_a_folder_with_autoindex_is_a_listing(root):
    files = StaticFiles(str(root), static_only=True, autoindex=True)
    assert files.lookup(b"/sub/").kind == LISTING
    reply = ask(files, "/sub/")
    assert reply.status == 200
    assert header(reply, "Cache-Control") == "no-cache"
    assert b'href="page.html"' in reply.body


def test_missing_is_a_text_404_without_a_404_page(files):
    assert files.lookup(b"/nope.txt").kind == MISSING
    reply = ask(files, "/nope.txt")
    assert reply.status == 404
    assert reply.body == b"404 Not Found\n"
    assert header(reply, "Content-Type") == "text/plain; charset=utf-8"


def test_missing_is_the_404_page_when_the_root_has_one(root):
    (root / "404.html").write_bytes(b"<h1>gone</h1>")
    files = StaticFiles(str(root), static_only=True)
    reply = ask(files, "/nope.txt")
    assert reply.status == 404
    assert reply.body == b"<h1>gone</h1>"
    assert header(reply, "Content-Type") == "text/html; charset=utf-8"
    assert not reply.reusable  # only 200s are memoised


# -- precompressed siblings --
@pytest.fixture
def compressed(root):
    (root / "app.js.gz").write_bytes(b"GZIPPED")
    (root / "app.js").write_bytes(b"console.log(1)")
    stat = os.stat(root / "app.js")
    os.utime(root / "app.js.gz", ns=(stat.st_atime_ns, stat.st_mtime_ns))  # not stale
    return StaticFiles(str(root), static_only=True)


def test_accept_encoding_chooses_the_precompressed_sibling(compressed):
    reply = ask(compressed, "/app.js", Accept_Encoding="gzip, deflate")
    assert reply.status == 200
    assert reply.body == b"GZIPPED"
    assert header(reply, "Content-Encoding") == "gzip"
    assert header(reply, "Content-Type") == "text/javascript; charset=utf-8"  # the original's
    assert header(reply, "Vary") == "Accept-Encoding"
    assert reply.varies and not reply.reusable  # the response cache's key lacks the coding


def test_without_accept_encoding_the_original_is_sent_and_still_varies(compressed):
    reply = ask(compressed, "/app.js")
    assert reply.body == b"console.log(1)"
    assert header(reply, "Content-Encoding") is None
    assert header(reply, "Vary") == "Accept-Encoding"
    assert not reply.reusable


def test_the_sibling_has_its_own_etag(compressed):
    plain = ask(compressed, "/app.js")
    gzipped = ask(compressed, "/app.js", Accept_Encoding="gzip")
    assert header(plain, "ETag") != header(gzipped, "ETag")
    etag = header(gzipped, "ETag")
    reply = ask(compressed, "/app.js", Accept_Encoding="gzip", If_None_Match=etag)
    assert reply.status == 304


# -- the file changed since its lookup --
def test_a_file_replaced_after_its_lookup_is_looked_up_again(root, files):
    req = request("/hello.txt")
    stale = files.lookup(req.target)
    assert stale.kind == FILE
    (root / "hello.txt").write_bytes(b"new and longer content")
    reply = answer(req, stale, files)
    assert (reply.status, reply.body) == (200, b"new and longer content")


def test_a_file_that_keeps_changing_is_a_503_after_one_more_look(root, files, monkeypatch):
    req = request("/hello.txt")
    stale = files.lookup(req.target)
    (root / "hello.txt").write_bytes(b"changed")
    forgotten = []
    monkeypatch.setattr(files, "forget", forgotten.append)
    monkeypatch.setattr(files, "lookup", lambda target: stale)  # still the old identity
    reply = answer(req, stale, files)
    assert reply.status == 503
    assert header(reply, "Retry-After") == "1"
    assert forgotten == [b"/hello.txt", b"/hello.txt"]  # each stale lookup dropped


def test_a_file_gone_after_its_lookup_is_a_404(root, files):
    req = request("/hello.txt")
    stale = files.lookup(req.target)
    (root / "hello.txt").unlink()
    assert answer(req, stale, files).status == 404


# -- the send half keeps only what the decision allows --
class RecordingSink:
    def __init__(self):
        self.sent = []

    def send(self, data):
        self.sent.append(data)


def send(files: StaticFiles, req: Request) -> RecordingSink:
    sink = RecordingSink()
    key = (req.target, req.method, req.version, req.keep_alive)
    StaticTask(sink, req, files.lookup(req.target), files, cache_key=key).run()
    return sink


def test_a_plain_200_is_sent_in_one_piece_and_memoised(files):
    req = request("/hello.txt")
    sink = send(files, req)
    assert len(sink.sent) == 1 and sink.sent[0].endswith(b"\r\n\r\n" + TEXT)
    cached = files.responses.get((req.target, "GET", "HTTP/1.1", True))
    assert cached == (sink.sent[0], len(TEXT), True)


def test_a_reply_that_varies_by_coding_is_not_memoised(compressed):
    req = request("/app.js", Accept_Encoding="gzip")
    sink = send(compressed, req)
    assert sink.sent[0].endswith(b"GZIPPED")
    assert compressed.responses.get((req.target, "GET", "HTTP/1.1", True)) is None
