import io
import json
from wsgiref.util import setup_testing_defaults

import pytest
from webtest import TestApp

from miniframe import cookies
from miniframe.errors import HTTPError
from miniframe.request import Request


class RecordingInput(io.BytesIO):
    """A wsgi.input that remembers how much was asked of it."""

    def __init__(self, data=b""):
        super().__init__(data)
        self.requested = []

    def read(self, size=-1):
        self.requested.append(size)
        return super().read(size)


class App:
    secret_key = "app-secret"


def make_request(body=b"", max_body_size=1024, app=None, **environ):
    defaults = {"REQUEST_METHOD": "GET", "wsgi.input": RecordingInput(body)}
    if body:
        defaults["CONTENT_LENGTH"] = str(len(body))
    environ = {**defaults, **environ}
    setup_testing_defaults(environ)
    return Request(environ, app, max_body_size)


def error_status(read):
    """The status of the HTTPError that ``read()`` raises."""
    with pytest.raises(HTTPError) as caught:
        read()
    return caught.value.status


def multipart_body(fields, files):
    return TestApp(None).encode_multipart(fields, files)


def test_method_is_upper_case():
    assert make_request(REQUEST_METHOD="post").method == "POST"


def test_path_is_decoded_from_wsgi_latin1_as_utf8():
    raw = "/stocks/銀行".encode().decode("latin-1")
    assert make_request(PATH_INFO=raw).path == "/stocks/銀行"


def test_empty_path_is_root_and_script_name_loses_trailing_slash():
    request = make_request(PATH_INFO="", SCRIPT_NAME="/app/")
    assert request.path == "/"
    assert request.script_name == "/app"


def test_args_keep_repeats_and_blanks_and_decode_utf8():
    request = make_request(QUERY_STRING="q=%E9%93%B6&tag=a&tag=b&empty=")
    assert request.args["q"] == "银"
    assert request.args.getall("tag") == ["a", "b"]
    assert request.args["empty"] == ""
    assert request.args is request.args  # parsed once, then cached


def test_headers_are_case_insensitive_and_include_content_type():
    request = make_request(HTTP_X_TRACE_ID="42", CONTENT_TYPE="text/plain")
    assert request.headers["x-trace-id"] == "42"
    assert request.headers["Content-Type"] == "text/plain"
    assert "X-Trace-Id" in request.headers and "X-Missing" not in request.headers
    assert {"X-Trace-Id", "Content-Type"} <= set(request.headers)
    assert len(request.headers) == len(list(request.headers))


def test_cookies_are_parsed_and_a_broken_header_gives_none():
    assert make_request(HTTP_COOKIE="a=1; b=two").cookies == {"a": "1", "b": "two"}
    assert make_request(HTTP_COOKIE='a="unterminated').cookies == {}


def test_signed_cookie_uses_the_app_secret_and_rejects_forgeries():
    token = cookies.sign("app-secret", "session", {"user": 1})
    good = make_request(app=App(), HTTP_COOKIE=f"session={token}")
    assert good.get_signed_cookie("session") == {"user": 1}
    forged = make_request(app=App(), HTTP_COOKIE=f"session={token[:-2]}xx")
    assert forged.get_signed_cookie("session") is None
    assert good.get_signed_cookie("other") is None


def test_remote_addr_comes_from_the_server_not_from_headers():
    request = make_request(REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert request.remote_addr == "10.0.0.7"


def test_body_stops_at_content_length():
    stream = RecordingInput(b"hello, and more that belongs to the next request")
    request = make_request(**{"wsgi.input": stream, "CONTENT_LENGTH": "5"})
    assert request.body == b"hello"
    assert stream.tell() == 5


def test_body_without_length_is_empty_and_input_is_not_read():
    stream = RecordingInput(b"unexpected")
    request = make_request(**{"wsgi.input": stream})
    assert request.body == b""
    assert stream.requested == []


def test_short_body_is_400():
    request = make_request(**{"wsgi.input": RecordingInput(b"abc"), "CONTENT_LENGTH": "10"})
    assert error_status(lambda: request.body) == 400


def test_oversized_content_length_is_413_before_reading():
    stream = RecordingInput(b"x" * 10)
    request = make_request(max_body_size=4, **{"wsgi.input": stream, "CONTENT_LENGTH": "10"})
    assert error_status(lambda: request.body) == 413
    assert stream.requested == []


def test_bad_content_length_is_400():
    assert error_status(lambda: make_request(CONTENT_LENGTH="ten").content_length) == 400


def test_chunked_body_is_read_to_the_end_within_the_limit():
    environ = {"wsgi.input": RecordingInput(b"x" * 100), "wsgi.input_terminated": True}
    assert make_request(max_body_size=100, **environ).body == b"x" * 100


def test_chunked_body_over_the_limit_is_413():
    environ = {"wsgi.input": RecordingInput(b"x" * 101), "wsgi.input_terminated": True}
    assert error_status(lambda: make_request(max_body_size=100, **environ).body) == 413


def test_json_body():
    request = make_request(body=b'{"a": [1, 2]}', CONTENT_TYPE="application/json; charset=utf-8")
    assert request.json == {"a": [1, 2]}


@pytest.mark.parametrize("content_type, body, status", [
    ("text/plain", b'{"a": 1}', 415),
    ("application/json", b'{"a": ', 400),
    ("application/problem+json", b"[1", 400),
])
def test_json_errors(content_type, body, status):
    assert error_status(lambda: make_request(body=body, CONTENT_TYPE=content_type).json) == status


def test_urlencoded_form():
    request = make_request(body=b"note=hi+there&tag=a&tag=%C3%A4",
                           CONTENT_TYPE="application/x-www-form-urlencoded")
    assert request.form["note"] == "hi there"
    assert request.form.getall("tag") == ["a", "ä"]
    assert len(request.files) == 0


def test_multipart_form_with_a_file():
    content_type, body = multipart_body([("title", "report")],
                                        [("file", "data.csv", b"a,b\n1,2\n")])
    request = make_request(body=body, CONTENT_TYPE=content_type)
    assert request.form["title"] == "report"
    upload = request.files["file"]
    assert (upload.filename, upload.size, upload.raw) == ("data.csv", 8, b"a,b\n1,2\n")


def test_multipart_is_streamed_from_the_input_in_chunks():
    content_type, body = multipart_body([], [("file", "big.bin", b"z" * 200_000)])
    stream = RecordingInput(body)
    request = make_request(max_body_size=len(body), CONTENT_TYPE=content_type, **{
        "wsgi.input": stream, "CONTENT_LENGTH": str(len(body))})
    assert request.files["file"].size == 200_000
    assert len(stream.requested) > 1 and max(stream.requested) < len(body)


def test_multipart_over_the_limit_is_413():
    content_type, body = multipart_body([], [("file", "big.bin", b"z" * 5000)])
    request = make_request(body=body, max_body_size=4000, CONTENT_TYPE=content_type)
    assert error_status(lambda: request.files) == 413


def test_chunked_multipart_over_the_limit_is_413():
    content_type, body = multipart_body([], [("file", "big.bin", b"z" * 5000)])
    environ = {"wsgi.input": RecordingInput(body), "wsgi.input_terminated": True}
    request = make_request(max_body_size=4000, CONTENT_TYPE=content_type, **environ)
    assert error_status(lambda: request.files) == 413


def test_broken_multipart_is_400():
    body = b"--BOUNDARY\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end"
    request = make_request(body=body, CONTENT_TYPE="multipart/form-data; boundary=BOUNDARY")
    assert error_status(lambda: request.form) == 400


def test_form_can_be_parsed_after_the_body_was_read():
    request = make_request(body=b"a=1", CONTENT_TYPE="application/x-www-form-urlencoded")
    assert request.body == b"a=1"
    assert request.form["a"] == "1"


def test_body_after_streamed_form_parsing_is_an_error():
    request = make_request(body=b"a=1", CONTENT_TYPE="application/x-www-form-urlencoded")
    assert request.form["a"] == "1"
    with pytest.raises(RuntimeError, match="already consumed"):
        _ = request.body


def test_nothing_is_read_until_asked_for():
    stream = RecordingInput(json.dumps({"a": 1}).encode())
    request = make_request(**{"wsgi.input": stream, "CONTENT_LENGTH": "8",
                              "CONTENT_TYPE": "application/json"})
    assert request.path == "/" and request.args is not None
    assert stream.requested == []


def test_url_root_from_host_header_or_server_name():
    assert make_request(HTTP_HOST="example.org:8080").url_root == "http://example.org:8080"
    request = make_request(SERVER_NAME="srv", SERVER_PORT="8443", **{"wsgi.url_scheme": "https"})
    request.environ.pop("HTTP_HOST", None)
    assert request.url_root == "https://srv:8443"


def test_url_for_adds_the_script_name():
    class Router:
        @staticmethod
        def url_for(name, **params):
            return f"/{name}/{params['n']}"

    request = make_request(app=Router(), SCRIPT_NAME="/mounted")
    assert request.url_for("thing", n=3) == "/mounted/thing/3"
