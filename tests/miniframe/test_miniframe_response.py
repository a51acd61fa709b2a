from wsgiref.util import FileWrapper, setup_testing_defaults

import pytest
from webtest.lint import middleware as lint

from miniframe import cookies
from miniframe.response import Response, redirect


def serve(response, method="GET", **extra):
    """Run ``response`` as a WSGI app behind webtest's PEP 3333 checker."""
    environ = {"REQUEST_METHOD": method, "QUERY_STRING": ""}
    setup_testing_defaults(environ)
    environ.pop("wsgi.file_wrapper", None)
    environ.update(extra)
    started = {}

    def start_response(status, headers, exc_info=None):
        started.update(status=status, headers=headers)

    chunks = lint(response)(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        chunks.close()
    return started["status"], dict(started["headers"]), body


def test_text_body_is_utf8_html_with_length():
    status, headers, body = serve(Response("héllo"))
    assert status == "200 OK"
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert body == "héllo".encode()
    assert headers["Content-Length"] == str(len(body))


def test_status_and_content_type_are_kept():
    status, headers, _ = serve(Response(b"x", 201, content_type="text/plain"))
    assert status == "201 Created" and headers["Content-Type"] == "text/plain"


def test_headers_are_case_insensitive_to_set_get_and_remove():
    response = Response(headers=[("X-A", "1"), ("x-a", "2")])
    assert response.get_header("x-A") == "1"
    response.set_header("X-a", "3")
    assert response.headers == [("X-a", "3")]
    response.add_header("X-B", "4")
    response.remove_header("x-b")
    assert response.get_header("X-B", "none") == "none"


@pytest.mark.parametrize("status", [204, 304])
def test_no_body_statuses_send_neither_body_nor_content_type(status):
    _, headers, body = serve(Response("ignored", status, content_type="text/plain"))
    assert body == b""
    assert "Content-Type" not in headers and "Content-Length" not in headers


def test_head_keeps_the_length_but_sends_no_body():
    _, headers, body = serve(Response("four"), method="HEAD")
    assert body == b"" and headers["Content-Length"] == "4"


def test_generator_is_streamed_encoded_and_closed():
    closed = []

    def chunks():
        try:
            yield "é"
            yield b"-"
            yield ""
            yield "end"
        finally:
            closed.append(True)

    _, headers, body = serve(Response(chunks()))
    assert body == "é-end".encode()
    assert "Content-Length" not in headers
    assert closed == [True]


def test_iterable_is_closed_unread_on_head():
    class Chunks:
        closed = False

        def __iter__(self):
            raise AssertionError("a HEAD response must not read the body")

        def close(self):
            self.closed = True

    chunks = Chunks()
    assert serve(Response(chunks), method="HEAD")[2] == b""
    assert chunks.closed


def test_json_response():
    status, headers, body = serve(Response.json({"a": [1, "ü"]}, 202))
    assert status == "202 Accepted"
    assert headers["Content-Type"] == "application/json"
    assert body == b'{"a": [1, "\\u00fc"]}'


def test_redirect_is_303_with_an_encoded_location():
    status, headers, _ = serve(redirect("/search?q=银行&x=1"))
    assert status == "303 See Other"
    assert headers["Location"] == "/search?q=%E9%93%B6%E8%A1%8C&x=1"


def test_redirect_status_can_be_chosen():
    assert serve(redirect("/new", 301))[0] == "301 Moved Permanently"


def test_set_cookie_has_safe_defaults_and_options():
    response = Response()
    response.set_cookie("theme", "dark", max_age=60, secure=True, samesite="Strict")
    cookie = response.get_header("Set-Cookie")
    for part in ("theme=dark", "Max-Age=60", "Path=/", "HttpOnly", "Secure", "SameSite=Strict"):
        assert part in cookie


def test_delete_cookie_expires_it_now():
    response = Response()
    response.delete_cookie("theme", path="/app")
    cookie = response.get_header("Set-Cookie")
    assert "Max-Age=0" in cookie and "1970" in cookie and "Path=/app" in cookie


def test_signed_cookie_can_be_read_back():
    response = Response()
    response.set_signed_cookie("session", {"user": 7}, "k")
    token = response.get_header("Set-Cookie").split(";")[0].split("=", 1)[1]
    assert cookies.unsign("k", "session", token) == {"user": 7}


@pytest.fixture
def report(tmp_path):
    path = tmp_path / "report.csv"
    path.write_bytes(b"a,b\n" * 1000)
    return path


def test_file_uses_the_servers_file_wrapper(report):
    wrapped = []

    class RecordingWrapper(FileWrapper):
        def __init__(self, handle, block_size):
            wrapped.append(block_size)
            super().__init__(handle, block_size)

    _, headers, body = serve(Response.file(report), **{"wsgi.file_wrapper": RecordingWrapper})
    assert wrapped and body == report.read_bytes()
    assert headers["Content-Type"] == "text/csv"
    assert headers["Content-Length"] == "4000"
    assert "GMT" in headers["Last-Modified"]


def test_file_without_a_server_wrapper_still_streams(report):
    assert serve(Response.file(report))[2] == report.read_bytes()


def test_file_download_name_is_sent_ascii_and_utf8(report):
    response = Response.file(report, download_name='rapport "été".csv')
    disposition = serve(response)[1]["Content-Disposition"]
    assert disposition.startswith('attachment; filename="rapport _?t?_.csv"')
    assert "filename*=UTF-8''rapport%20%22%C3%A9t%C3%A9%22.csv" in disposition


def test_file_head_does_not_read_the_file(report):
    _, headers, body = serve(Response.file(report, content_type="text/plain"), method="HEAD")
    assert body == b"" and headers["Content-Length"] == "4000"
    assert headers["Content-Type"] == "text/plain"
