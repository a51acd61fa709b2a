"""PEP 3333 behind the live server: environ, wsgi.input, write(), close(), errors,
wsgi.file_wrapper. Most apps also run wrapped in wsgiref.validate.validator."""

from __future__ import annotations

import io
import os
import sys
import threading
import time
from wsgiref.validate import validator

import pytest
from helpers import Client, chunked, make_request, read_all, wait_until

from wsgiserver.testing import live_server


def ok(start_response, body: bytes = b"", length: bool = True) -> None:
    headers = [("Content-Type", "text/plain")]
    if length:
        headers.append(("Content-Length", str(len(body))))
    start_response("200 OK", headers)


class Recorder:
    """Keeps a copy of each environ (and the body read) it is called with."""

    def __init__(self) -> None:
        self.environs: list[dict] = []

    def __call__(self, environ, start_response):
        body = read_all(environ["wsgi.input"])
        seen = dict(environ)
        seen["body"] = body
        seen["errors_has_write"] = callable(getattr(environ["wsgi.errors"], "write", None))
        self.environs.append(seen)
        ok(start_response, b"ok")
        return [b"ok"]


# -- the environ --

def test_environ_required_keys(threads, wrap):
    app = Recorder()
    with live_server(wrap(app), threads=threads) as server, Client.to(server) as client:
        target = "/caf%C3%A9/a%20b?x=1&y=%20&z=%2F"
        response = client.request(
            target, method="POST", host="example.com:8080", body=b"a=1",
            headers=[("Content-Type", "application/x-www-form-urlencoded"),
                     ("X-Multi", "one"), ("X-Multi", "two"), ("x-multi", "three"),
                     ("X_Spoof", "evil"), ("X-Custom-Header", "value"),
                     ("Cookie", "a=1"), ("User-Agent", "tester/1.0")])
        assert response.status == 200
        client_port = client.sock.getsockname()[1]
    (env,) = app.environs
    assert env["REQUEST_METHOD"] == "POST"
    assert env["SCRIPT_NAME"] == ""
    assert env["PATH_INFO"] == "/caf\xc3\xa9/a b"
    assert isinstance(env["PATH_INFO"], str)
    assert env["QUERY_STRING"] == "x=1&y=%20&z=%2F"
    assert env["RAW_URI"] == target
    assert env["CONTENT_TYPE"] == "application/x-www-form-urlencoded"
    assert env["CONTENT_LENGTH"] == "3"
    assert "HTTP_CONTENT_TYPE" not in env and "HTTP_CONTENT_LENGTH" not in env
    # As gunicorn: over TCP, SERVER_NAME/PORT are the listening address
    # (RFC 3875 §4.1.15); the Host header stays in HTTP_HOST.
    assert env["SERVER_NAME"] == "127.0.0.1"
    assert env["SERVER_PORT"] == str(server.port)
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["REMOTE_PORT"] == str(client_port)
    assert env["HTTP_HOST"] == "example.com:8080"
    assert env["HTTP_X_MULTI"] == "one,two,three"
    assert env["HTTP_X_CUSTOM_HEADER"] == "value"
    assert env["HTTP_COOKIE"] == "a=1"
    assert env["HTTP_USER_AGENT"] == "tester/1.0"
    assert "HTTP_X_SPOOF" not in env
    assert not any("spoof" in key.lower() for key in env)
    assert env["body"] == b"a=1"
    assert env["wsgi.version"] == (1, 0)
    assert env["wsgi.url_scheme"] == "http"
    assert env["wsgi.multithread"] is (threads > 0)
    assert env["wsgi.multiprocess"] is False
    assert env["wsgi.run_once"] is False
    assert env["errors_has_write"]
    assert callable(env["wsgi.file_wrapper"])
    for key, value in env.items():
        if key.isupper():
            assert isinstance(value, str), key


def test_environ_without_host_uses_the_bound_address():
    app = Recorder()
    with live_server(app) as server, Client.to(server) as client:
        response = client.request("/plain", version="HTTP/1.0", host=None)
        assert response.status == 200
        port = server.port
    (env,) = app.environs
    assert env["SERVER_NAME"] == "127.0.0.1"
    assert env["SERVER_PORT"] == str(port)
    assert env["SERVER_PROTOCOL"] == "HTTP/1.0"
    assert env["QUERY_STRING"] == ""
    assert env.get("CONTENT_LENGTH", "") in ("", "0")
    assert env["body"] == b""


def test_path_info_is_latin1_of_the_raw_bytes():
    app = Recorder()
    with live_server(app) as server, Client.to(server) as client:
        assert client.request("/%FF%00x/%2Fy%25").status == 200
    (env,) = app.environs
    assert env["PATH_INFO"] == "/\xff\x00x//y%"
    assert env["RAW_URI"] == "/%FF%00x/%2Fy%25"


def lines_app(environ, start_response):
    """Exercise every wsgi.input read method; report what each returned."""
    stream = environ["wsgi.input"]
    first = stream.readline()
    limited = stream.readline(3)
    rest_of_line = stream.readline()
    many = stream.readlines()
    after = stream.read(10)
    body = repr([first, limited, rest_of_line, many, after]).encode()
    ok(start_response, body)
    return [body]


def iter_app(environ, start_response):
    lines = list(environ["wsgi.input"])
    body = repr(lines).encode()
    ok(start_response, body)
    return [body]


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_wsgi_input_read_methods_never_read_past_the_body(threads, wrap, framing):
    data = b"line one\nabcdef\nthird\nlast no newline"
    expected = repr([b"line one\n", b"abc", b"def\n", [b"third\n", b"last no newline"], b""])
    if framing == "length":
        request = make_request("/", method="POST", body=data)
    else:
        request = make_request("/", method="POST", headers=[("Transfer-Encoding", "chunked")])
        request += chunked([data[:5], data[5:20], data[20:]])
    with live_server(wrap(lines_app), threads=threads) as server, Client.to(server) as client:
        client.send(request + make_request("/next", method="POST", body=b"x\ny"))
        assert client.read_response().body == expected.encode()
        assert client.read_response().body == repr(
            [b"x\n", b"y", b"", [], b""]).encode()


def test_wsgi_input_iteration(wrap):
    with live_server(wrap(iter_app)) as server, Client.to(server) as client:
        response = client.request("/", method="POST", body=b"a\nb\n\nc")
        assert response.body == repr([b"a\n", b"b\n", b"\n", b"c"]).encode()


# -- write() --

def write_app(environ, start_response):
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"hello ")
    write(b"")
    write(b"from write; ")
    return [b"and ", b"the iterable"]


WRITE_BODY = b"hello from write; and the iterable"


def write_with_length_app(environ, start_response):
    write = start_response("200 OK", [("Content-Type", "text/plain"),
                                      ("Content-Length", str(len(WRITE_BODY)))])
    write(WRITE_BODY[:10])
    return [WRITE_BODY[10:]]


def test_write_callable(threads, wrap):
    with live_server(wrap(write_app), threads=threads) as server, Client.to(server) as client:
        response = client.request("/")
        assert response.status == 200
        assert response.framing == "chunked"
        assert response.body == WRITE_BODY
        assert client.request("/").body == WRITE_BODY
        http10 = client.request("/", version="HTTP/1.0", host=None)
        assert http10.framing == "close"
        assert http10.body == WRITE_BODY


def test_write_callable_with_content_length(wrap):
    app = wrap(write_with_length_app)
    with live_server(app) as server, Client.to(server) as client:
        response = client.request("/")
        assert response.framing == "length"
        assert response.body == WRITE_BODY
        assert client.request("/").body == WRITE_BODY


# -- close() --

class ClosingBody:
    """An iterable with close(); optional failure after `fail_after` items."""

    def __init__(self, items, fail_after=None, on_close=None) -> None:
        self.items = list(items)
        self.fail_after = fail_after
        self.closed = threading.Event()
        self.close_calls = 0
        self.on_close = on_close

    def __iter__(self):
        for index, item in enumerate(self.items):
            if self.fail_after is not None and index == self.fail_after:
                raise RuntimeError("failure inside the iterable")
            yield item
        if self.fail_after is not None and self.fail_after >= len(self.items):
            raise RuntimeError("failure at the end of the iterable")

    def close(self) -> None:
        self.close_calls += 1
        self.closed.set()


class ClosingApp:
    def __init__(self, items=(b"a", b"b"), fail_after=None, length=None) -> None:
        self.items = items
        self.fail_after = fail_after
        self.length = length
        self.bodies: list[ClosingBody] = []
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        headers = [("Content-Type", "text/plain")]
        if self.length is not None:
            headers.append(("Content-Length", str(self.length)))
        start_response("200 OK", headers)
        body = ClosingBody(self.items, self.fail_after)
        self.bodies.append(body)
        return body


def test_close_is_called_after_a_normal_response(threads, wrap):
    app = ClosingApp()
    with live_server(wrap(app), threads=threads) as server, Client.to(server) as client:
        for _ in range(3):
            assert client.request("/").body == b"ab"
        assert client.request("/", method="HEAD").body == b""
        assert len(app.bodies) == 4
        assert wait_until(lambda: all(b.closed.is_set() for b in app.bodies))
        assert [b.close_calls for b in app.bodies] == [1, 1, 1, 1]


def test_close_is_called_when_the_iterable_raises_before_any_output(threads, wrap):
    app = ClosingApp(fail_after=0)
    with live_server(wrap(app), threads=threads) as server, Client.to(server) as client:
        response = client.request("/")
        assert response.status == 500
        assert response.closes
        assert client.is_closed()
        assert app.bodies[0].closed.wait(5)


def test_exception_after_headers_sent_closes_the_connection(threads, wrap):
    app = ClosingApp(items=[b"first part;"], fail_after=1)
    with live_server(wrap(app), threads=threads) as server, Client.to(server) as client:
        client.send(make_request("/"))
        raw = client.read_to_eof()  # bounded by the socket timeout: it must close
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ")
        assert b"transfer-encoding: chunked" in head.lower()
        assert b"first part;" in body
        assert not body.endswith(b"0\r\n\r\n"), "a truncated body must not look complete"
        assert b"500" not in body
        assert app.bodies[0].closed.wait(5)
        with Client.to(server) as again:  # the server still serves new connections
            again.send(make_request("/"))
            assert again.read_to_eof().startswith(b"HTTP/1.1 200 ")


def test_exception_after_headers_with_content_length_closes_short(threads):
    app = ClosingApp(items=[b"12345"], fail_after=1, length=10)
    with live_server(app, threads=threads) as server, Client.to(server) as client:
        client.send(make_request("/"))
        raw = client.read_to_eof()
        head, _, body = raw.partition(b"\r\n\r\n")
        assert b"content-length: 10" in head.lower()
        assert body == b"12345"
        assert app.bodies[0].closed.wait(5)


def test_close_is_called_when_the_client_disconnects(threads):
    big = b"x" * 65536
    app = ClosingApp(items=[big] * 2000)  # 125 MiB: far more than the socket buffers hold
    with live_server(app, threads=threads) as server:
        with Client.to(server) as client:
            client.send(make_request("/"))
            client.read_head()
            client.read_exact(200000)
        assert wait_until(lambda: app.bodies and app.bodies[0].closed.is_set(), timeout=10)
        time.sleep(0.2)
        assert app.bodies[0].close_calls == 1
        assert app.calls == 1  # one request, one call of the app
        with Client.to(server) as client:  # and the server still answers
            client.send(make_request("/", method="HEAD"))
            assert client.read_response("HEAD").status == 200


# -- errors in the app --

def failing_app(environ, start_response):
    if environ["PATH_INFO"] == "/fail":
        raise ValueError("the app failed")
    ok(start_response, b"fine")
    return [b"fine"]


def test_app_exception_gives_500_and_server_keeps_serving(threads, wrap, caplog):
    with live_server(wrap(failing_app), threads=threads) as server:
        with Client.to(server) as client:
            client.send(make_request("/fail") + make_request("/pipelined"))
            response = client.read_response()
            assert response.status == 500
            assert response.closes
            assert b"the app failed" not in response.body  # no traceback to the client
            assert client.is_closed()
        with Client.to(server) as client:
            assert client.request("/ok").body == b"fine"
    assert "the app failed" in caplog.text  # the traceback is logged


def test_exc_info_before_headers_replaces_the_response(wrap):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise KeyError("oops")
        except KeyError:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")],
                           sys.exc_info())
        return [b"custom error page"]

    with live_server(wrap(app)) as server, Client.to(server) as client:
        response = client.request("/")
        assert response.status == 503
        assert response.body == b"custom error page"


def test_exc_info_after_headers_reraises_and_closes():
    def app(environ, start_response):
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"started;")
        try:
            raise KeyError("late")
        except KeyError:
            start_response("500 Oops", [("Content-Type", "text/plain")], sys.exc_info())
        return [b"never sent"]

    with live_server(app) as server, Client.to(server) as client:
        client.send(make_request("/"))
        raw = client.read_to_eof()
        assert raw.startswith(b"HTTP/1.1 200 ")
        assert b"started;" in raw
        assert b"never sent" not in raw
        assert not raw.endswith(b"0\r\n\r\n")


def test_second_start_response_without_exc_info_is_an_error():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        start_response("201 Created", [("Content-Type", "text/plain")])
        return [b"x"]

    with live_server(app) as server, Client.to(server) as client:
        assert client.request("/").status == 500


def test_app_yielding_str_gives_500():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter(["text, not bytes"])

    with live_server(app) as server, Client.to(server) as client:
        response = client.request("/")
        assert response.status == 500
        assert client.is_closed()


def test_app_yielding_non_bytes_after_output_closes_the_connection():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter([b"ok", 3])

    with live_server(app) as server, Client.to(server) as client:
        client.send(make_request("/"))
        raw = client.read_to_eof()
        assert raw.startswith(b"HTTP/1.1 200 ")
        assert not raw.endswith(b"0\r\n\r\n")


def test_app_not_calling_start_response_gives_500():
    def app(environ, start_response):
        return [b"no start_response"]

    with live_server(app) as server, Client.to(server) as client:
        response = client.request("/")
        assert response.status == 500
        assert b"no start_response" not in response.body


def test_app_with_bad_headers_gives_500():
    def app(environ, start_response):
        start_response("200 OK", [("X-Bad", "a\r\nInjected: yes")])
        return [b"x"]

    with live_server(app) as server, Client.to(server) as client:
        response = client.request("/")
        assert response.status == 500
        assert response.header("Injected") is None


def test_app_connection_close_header_is_honoured():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Connection", "close"),
                                  ("Content-Length", "2")])
        return [b"ok"]

    with live_server(app) as server, Client.to(server) as client:
        client.send(make_request("/") + make_request("/"))
        response = client.read_response()
        assert response.body == b"ok"
        assert response.closes
        assert client.is_closed()


def test_empty_body_and_204():
    def app(environ, start_response):
        if environ["PATH_INFO"] == "/204":
            start_response("204 No Content", [])
            return []
        start_response("200 OK", [("Content-Type", "text/plain")])
        return []

    with live_server(app) as server, Client.to(server) as client:
        empty = client.request("/")
        assert empty.status == 200
        assert empty.body == b""
        assert empty.header("Content-Length") == "0"
        nothing = client.request("/204")
        assert nothing.status == 204
        assert nothing.header("Content-Length") is None
        assert nothing.header("Transfer-Encoding") is None
        assert client.request("/").status == 200


# -- wsgi.file_wrapper --

@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(os.urandom(3 * 2**20 + 17))
    return path


class FileApp:
    def __init__(self, path, offset=0, in_memory=False) -> None:
        self.path = path
        self.offset = offset
        self.in_memory = in_memory
        self.files: list = []

    def __call__(self, environ, start_response):
        handle = open(self.path, "rb")  # the server closes it
        if self.in_memory:
            data = handle.read()
            handle.close()
            handle = io.BytesIO(data)
        handle.seek(self.offset)
        self.files.append(handle)
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return environ["wsgi.file_wrapper"](handle, 32768)


@pytest.mark.parametrize("offset", [0, 1000])
def test_file_wrapper_sends_the_file(data_file, threads, wrap, offset):
    app = FileApp(data_file, offset=offset)
    expected = data_file.read_bytes()[offset:]
    with live_server(wrap(app), threads=threads) as server, Client.to(server) as client:
        response = client.request("/")
        assert response.status == 200
        assert response.body == expected
        if wrap is not validator:
            assert response.header("Content-Length") == str(len(expected))
        head = client.request("/", method="HEAD")
        assert head.status == 200
        assert client.request("/").body == expected
        assert wait_until(lambda: all(f.closed for f in app.files))


def test_file_wrapper_over_a_non_file(data_file, wrap):
    app = FileApp(data_file, in_memory=True)
    with live_server(wrap(app)) as server, Client.to(server) as client:
        response = client.request("/")
        assert response.body == data_file.read_bytes()
        assert wait_until(lambda: all(f.closed for f in app.files))


def test_file_wrapper_client_disconnect_closes_the_file(tmp_path, threads):
    path = tmp_path / "big.bin"
    with open(path, "wb") as handle:
        handle.truncate(64 * 2**20)  # sparse, 64 MiB
    app = FileApp(path)
    with live_server(app, threads=threads) as server:
        with Client.to(server) as client:
            client.send(make_request("/"))
            client.read_head()
            client.read_exact(100000)
        assert wait_until(lambda: app.files and app.files[0].closed, timeout=10)


def test_slow_app_does_not_block_other_connections():
    release = threading.Event()

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/slow":
            release.wait(10)
        ok(start_response, b"done")
        return [b"done"]

    with live_server(app, threads=4) as server, Client.to(server) as slow:
        slow.send(make_request("/slow"))
        time.sleep(0.05)
        with Client.to(server) as fast:
            assert fast.request("/fast").body == b"done"
        release.set()
        assert slow.read_response().body == b"done"


# -- trusted proxies --

def _scheme_seen(options, headers):
    app = Recorder()
    with live_server(app, **options) as server, Client.to(server) as client:
        assert client.request("/", headers=headers).status == 200
    return app.environs[0]["wsgi.url_scheme"]


def test_forwarded_proto_from_a_trusted_proxy_sets_https():
    assert _scheme_seen({}, [("X-Forwarded-Proto", "https")]) == "https"
    assert _scheme_seen({}, [("X-Forwarded-Ssl", "on")]) == "https"
    assert _scheme_seen({}, [("X-Forwarded-Proto", "http")]) == "http"


def test_forwarded_proto_from_an_untrusted_peer_is_ignored():
    options = {"forwarded_allow_ips": "10.9.9.9"}
    assert _scheme_seen(options, [("X-Forwarded-Proto", "https")]) == "http"


# -- apps that exit or misbehave, and what a response leaves behind --

def reading_app(environ, start_response):
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def sys_exit_app(environ, start_response):
    if environ["PATH_INFO"] == "/exit":
        raise SystemExit(3)
    return reading_app(environ, start_response)


@pytest.mark.parametrize("threads", [0, 2])
def test_system_exit_in_the_app_is_a_500_and_the_server_lives_on(threads):
    with live_server(sys_exit_app, threads=threads) as server:
        for _ in range(4):
            with Client.to(server) as client:
                assert client.request("/exit").status == 500
        with Client.to(server) as client:
            assert client.request("/ok", method="POST", body=b"fine").body == b"fine"


def test_pool_threads_survive_many_system_exits():
    with live_server(sys_exit_app, threads=2) as server:
        results = []

        def hit():
            with Client.to(server) as client:
                results.append(client.request("/exit").status)

        threads = [threading.Thread(target=hit) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(15)
        assert results == [500] * 8
        with Client.to(server) as client:
            assert client.request("/ok", method="POST", body=b"x").status == 200


def interim_app(environ, start_response):
    if environ["PATH_INFO"] == "/103":
        start_response("103 Early Hints", [("Link", "</a.css>; rel=preload")])
        return [b""]
    start_response("204 No Content", [("Content-Length", "5")])
    return [b""]


def test_an_app_cannot_send_a_1xx_as_its_answer_nor_a_length_on_204():
    with live_server(interim_app) as server, Client.to(server) as client:
        assert client.request("/103").status == 500
    with live_server(interim_app) as server, Client.to(server) as client:
        response = client.request("/204")
        assert response.status == 204
        assert response.header("Content-Length") is None


def deleted_temp_files():
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        count += target.endswith("(deleted)")
    return count


def test_spooled_upload_files_are_closed_after_the_response():
    before = deleted_temp_files()
    with live_server(reading_app, threads=2) as server, Client.to(server) as client:
        for _ in range(3):
            body = os.urandom(2 * 2**20)  # over the 1 MiB spool threshold
            assert client.request("/", method="POST", body=body).body == body
        assert wait_until(lambda: deleted_temp_files() <= before, 5)
