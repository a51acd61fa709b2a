"""Live HTTP/1.x behaviour of the real server on a loopback port.

Keep-alive, pipelining, request and response body framing, 100-continue,
HEAD, HTTP/1.0, big bodies both ways, and the limits and strictness rules
(every refused request gets an error with `Connection: close`, the connection
is closed and nothing pipelined after it reaches the app). The refused requests
are tests/http/corpus.py's, sent whole, byte by byte and in random pieces.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time

import pytest
from helpers import Client, chunked, make_request, read_all

from tests.http.corpus import BY_NAME, CASES, split_whole
from wsgiserver.testing import live_server


class Counter:
    """A hello app that counts the requests that reach it."""

    def __init__(self) -> None:
        self.calls = 0
        self.lock = threading.Lock()
        self.paths: list[str] = []

    def __call__(self, environ, start_response):
        with self.lock:
            self.calls += 1
            number = self.calls
            self.paths.append(environ["PATH_INFO"])
        body = f"hello {number} {environ['PATH_INFO']}".encode()
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", str(len(body)))])
        return [body]


def echo_app(environ, start_response):
    """Echo the body; report what the environ said about it."""
    body = read_all(environ["wsgi.input"])
    headers = [("Content-Type", "application/octet-stream"),
               ("Content-Length", str(len(body))),
               ("X-Input-Terminated", str(environ.get("wsgi.input_terminated"))),
               ("X-Content-Length", environ.get("CONTENT_LENGTH", "<absent>") or "<empty>"),
               ("X-Method", environ["REQUEST_METHOD"])]
    start_response("200 OK", headers)
    return [body]


def stream_app(environ, start_response):
    """A generator body with no Content-Length: the server picks the framing."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return (b"part %d;" % i for i in range(5))


STREAM_BODY = b"".join(b"part %d;" % i for i in range(5))


# -- keep-alive and pipelining --

def test_keep_alive_100_requests_on_one_connection(threads, wrap):
    app = Counter()
    with live_server(wrap(app), threads=threads) as server, Client.to(server) as client:
        for i in range(100):
            response = client.request(f"/r{i}")
            assert response.status == 200
            assert response.body == f"hello {i + 1} /r{i}".encode()
            assert not response.closes
        assert app.calls == 100
        assert not client.is_closed(timeout=0.2)


def test_pipelining_10_requests_in_one_packet_answered_in_order(threads, wrap):
    app = Counter()
    with live_server(wrap(app), threads=threads) as server, Client.to(server) as client:
        client.send(b"".join(make_request(f"/p{i}") for i in range(10)))
        for i in range(10):
            response = client.read_response()
            assert response.status == 200
            assert response.body == f"hello {i + 1} /p{i}".encode()
        assert app.paths == [f"/p{i}" for i in range(10)]


def test_pipelining_flood_of_300_requests(threads):
    app = Counter()
    with live_server(app, threads=threads) as server, Client.to(server) as client:
        client.send(b"".join(make_request(f"/f{i}") for i in range(300)))
        for i in range(300):
            assert client.read_response().body == f"hello {i + 1} /f{i}".encode()


def test_keep_alive_0_closes_after_each_response():
    app = Counter()
    with live_server(app, keepalive=0) as server, Client.to(server) as client:
        client.send(make_request("/") + make_request("/second"))
        response = client.read_response()
        assert response.status == 200
        assert response.closes
        assert client.is_closed()
        assert app.calls == 1


def test_pipelined_requests_with_bodies_are_kept_apart(threads):
    with live_server(echo_app, threads=threads) as server, Client.to(server) as client:
        bodies = [b"first body", b"", b"x" * 70000, b"last"]
        packet = b"".join(make_request("/e", method="POST", body=b) for b in bodies)
        packet += make_request("/e", method="POST", body=b"chunky",
                               headers=[("Transfer-Encoding", "chunked")])[:-len(b"chunky")]
        packet += chunked([b"chu", b"nky"])
        client.send(packet)
        for body in [*bodies, b"chunky"]:
            response = client.read_response()
            assert response.status == 200
            assert response.body == body


# -- request bodies --

def test_chunked_upload_is_echoed_back_intact(threads, wrap):
    parts = [b"a" * 10, b"\r\n0\r\n\r\n", bytes(range(256)) * 40, b"z"]
    expected = b"".join(parts)
    with live_server(wrap(echo_app), threads=threads) as server, Client.to(server) as client:
        client.send(make_request("/upload", method="PUT",
                                 headers=[("Transfer-Encoding", "chunked")]))
        body = chunked(parts, trailers=b"X-Trailer: yes\r\n")
        for i in range(0, len(body), 1000):  # the body arrives in many small packets
            client.send(body[i:i + 1000])
            time.sleep(0.001)
        response = client.read_response()
        assert response.status == 200
        assert response.body == expected
        assert response.header("X-Input-Terminated") == "True"
        assert response.header("X-Content-Length") in ("<absent>", "<empty>")
        # the connection is still usable afterwards
        assert client.request("/", method="POST", body=b"again").body == b"again"


def test_content_length_body_sent_byte_by_byte(threads):
    payload = b"byte by byte"
    with live_server(echo_app, threads=threads) as server, Client.to(server) as client:
        for byte in make_request("/", method="POST", body=payload):
            client.send(bytes([byte]))
        response = client.read_response()
        assert response.body == payload
        assert response.header("X-Content-Length") == str(len(payload))


def hash_app(environ, start_response):
    stream = environ["wsgi.input"]
    digest, size = hashlib.sha256(), 0
    for _ in range(10_000_000):
        data = stream.read(65536)
        if not data:
            break
        digest.update(data)
        size += len(data)
    body = f"{size} {digest.hexdigest()}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_20mb_upload_arrives_whole(threads, framing):
    block = hashlib.sha256(b"seed").digest() * 2048  # 64 KiB
    payload = b"".join(block[i % 7:] + block[:i % 7] for i in range(320))  # 20 MiB
    expected = f"{len(payload)} {hashlib.sha256(payload).hexdigest()}".encode()
    with live_server(hash_app, threads=threads) as server, Client.to(server) as client:
        if framing == "length":
            client.send(make_request("/", method="POST", body=payload))
        else:
            client.send(make_request("/", method="POST",
                                     headers=[("Transfer-Encoding", "chunked")]))
            step = 1 << 20
            client.send(chunked(payload[i:i + step] for i in range(0, len(payload), step)))
        response = client.read_response()
        assert response.status == 200
        assert response.body == expected


# -- Expect: 100-continue --

def test_expect_100_continue(threads, wrap):
    payload = b"body after continue"
    with live_server(wrap(echo_app), threads=threads) as server, Client.to(server) as client:
        client.send(make_request("/", method="POST", body=b"",
                                 headers=[("Content-Length", str(len(payload))),
                                          ("Expect", "100-continue")]))
        interim = client.read_response()  # the client waits: nothing is sent yet
        assert (interim.status, interim.reason) == (100, "Continue")
        assert interim.raw_head == b"HTTP/1.1 100 Continue\r\n\r\n"
        client.send(payload)
        response = client.read_response()
        assert response.status == 200
        assert response.body == payload
        assert client.request("/", method="POST", body=b"next").body == b"next"


def test_expect_100_continue_with_chunked_body(threads):
    with live_server(echo_app, threads=threads) as server, Client.to(server) as client:
        client.send(make_request("/", method="POST",
                                 headers=[("Transfer-Encoding", "chunked"),
                                          ("Expect", "100-continue")]))
        assert client.read_response().status == 100
        client.send(chunked([b"one", b"two"]))
        response = client.read_response()
        assert (response.status, response.body) == (200, b"onetwo")


def test_expect_100_continue_too_large_gets_413_at_once(threads):
    app = Counter()
    with live_server(app, threads=threads, limit_request_body=1000) as server, \
            Client.to(server) as client:
        client.send(make_request("/", method="POST",
                                 headers=[("Content-Length", "1001"),
                                          ("Expect", "100-continue")]))
        response = client.read_response()  # no body sent: must not wait for it
        assert response.status == 413
        assert response.closes
        assert client.is_closed()
        assert app.calls == 0


def test_expect_100_continue_app_that_never_reads_gets_no_100():
    # The threaded server runs the app before the body comes: an app that answers
    # without reading gets its final response out with no 100 before it, and as the
    # body may still be on its way, the connection is closed after it.
    app = Counter()
    with live_server(app, threads=4) as server, Client.to(server) as client:
        client.send(make_request("/", method="POST",
                                 headers=[("Content-Length", "5"),
                                          ("Expect", "100-continue")]))
        response = client.read_response()
        assert response.status == 200
        assert response.closes
        assert client.is_closed()


def reading_app(environ, start_response):
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def test_expect_continue_client_that_never_sends_its_body_gets_408():
    with live_server(reading_app, threads=2, read_timeout=1) as server, \
            Client.to(server) as client:
        client.send(make_request("/", method="POST", headers=[
            ("Content-Length", "10"), ("Expect", "100-continue")]))
        interim = client.read_response()
        assert interim.status == 100
        final = client.read_response()
        assert final.status == 408
        assert client.is_closed()


def test_inline_100_continue_comes_after_the_earlier_pipelined_response():
    with live_server(reading_app, threads=0) as server, Client.to(server) as client:
        client.send(make_request("/first", method="POST", body=b"one")
                    + make_request("/second", method="POST", headers=[
                        ("Content-Length", "3"), ("Expect", "100-continue")]))
        assert client.read_response().body == b"one"
        assert client.read_response().status == 100
        client.send(b"two")
        assert client.read_response().body == b"two"


# -- HEAD --

def test_head_has_no_body_and_same_headers_as_get(threads):
    app = Counter()
    with live_server(app, threads=threads) as server, Client.to(server) as client:
        get = client.request("/same")
        head = client.request("/same", method="HEAD")
        assert head.status == 200
        assert head.body == b""

        def names(response):
            return sorted((k.lower(), v) for k, v in response.headers if k.lower() != "date")

        # The counter is in the body, so the length is the same for both.
        assert names(head) == names(get)
        # Nothing after the HEAD response head: the next response follows directly.
        assert client.request("/after").body.startswith(b"hello 3")


def test_head_on_streaming_app_sends_no_body(threads):
    with live_server(stream_app, threads=threads) as server, Client.to(server) as client:
        head = client.request("/", method="HEAD")
        assert head.status == 200
        assert not client.buf
        response = client.request("/")
        assert response.body == STREAM_BODY


# -- response framing --

def test_chunked_response_for_streaming_app_on_http11(threads):
    with live_server(stream_app, threads=threads) as server, Client.to(server) as client:
        response = client.request("/")
        assert response.framing == "chunked"
        assert response.body == STREAM_BODY
        assert not response.closes
        assert client.request("/").body == STREAM_BODY


def test_http10_closes_by_default(threads):
    app = Counter()
    with live_server(app, threads=threads) as server, Client.to(server) as client:
        response = client.request("/", version="HTTP/1.0", host=None)
        assert response.status == 200
        assert response.version == "HTTP/1.1"
        assert response.body == b"hello 1 /"
        assert response.header("Connection") in (None, "close")
        assert client.is_closed()


def test_http10_keep_alive_on_request(threads):
    app = Counter()
    with live_server(app, threads=threads) as server, Client.to(server) as client:
        for i in range(3):
            response = client.request("/", version="HTTP/1.0", host=None,
                                      headers=[("Connection", "keep-alive")])
            assert response.status == 200
            assert response.body == f"hello {i + 1} /".encode()
            assert (response.header("Connection") or "").lower() == "keep-alive"
        assert not client.is_closed(timeout=0.2)


def test_http10_streaming_body_is_close_delimited(threads):
    with live_server(stream_app, threads=threads) as server, Client.to(server) as client:
        response = client.request("/", version="HTTP/1.0", host=None,
                                  headers=[("Connection", "keep-alive")])
        assert response.framing == "close"
        assert response.header("Transfer-Encoding") is None
        assert response.body == STREAM_BODY
        assert client.is_closed()


def test_connection_close_request_is_honoured(threads):
    app = Counter()
    with live_server(app, threads=threads) as server, Client.to(server) as client:
        client.send(make_request("/", headers=[("Connection", "close")]) + make_request("/2"))
        response = client.read_response()
        assert response.status == 200
        assert response.closes
        assert client.is_closed()
        assert app.calls == 1


def test_date_and_server_headers():
    with live_server(Counter()) as server, Client.to(server) as client:
        response = client.request("/")
        assert response.header("Date").endswith(" GMT")
        assert response.header("Server").startswith("wsgiserver")


# -- big responses --

BLOCK = hashlib.sha256(b"block").digest() * 32768  # 1 MiB
BIG_SIZE = 50 * len(BLOCK)


def big_body_parts():
    return (BLOCK[i:] + BLOCK[:i] for i in range(50))


def big_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(BIG_SIZE))])
    return big_body_parts()


def big_stream_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return big_body_parts()


def expected_big_digest() -> str:
    digest = hashlib.sha256()
    for part in big_body_parts():
        digest.update(part)
    return digest.hexdigest()


def test_50mb_response_read_slowly_arrives_whole(threads):
    with live_server(big_app, threads=threads) as server, Client.to(server) as client:
        client.send(make_request("/big"))
        _, status, _, headers, _ = client.read_head()
        assert status == 200
        assert dict((k.lower(), v) for k, v in headers)["content-length"] == str(BIG_SIZE)
        digest, received = hashlib.sha256(), 0
        digest.update(client.buf)
        received += len(client.buf)
        client.buf.clear()
        deadline = time.monotonic() + 120
        while received < BIG_SIZE and time.monotonic() < deadline:
            data = client.sock.recv(65536)
            if not data:
                break
            digest.update(data)
            received += len(data)
            time.sleep(0.001)
        assert received == BIG_SIZE
        assert digest.hexdigest() == expected_big_digest()
        # keep-alive survives the big response
        client.send(make_request("/big", method="HEAD"))
        assert client.read_response("HEAD").status == 200


def test_50mb_chunked_response_arrives_whole(threads):
    with live_server(big_stream_app, threads=threads) as server, Client.to(server) as client:
        response = client.request("/")
        assert response.framing == "chunked"
        assert len(response.body) == BIG_SIZE
        assert hashlib.sha256(response.body).hexdigest() == expected_big_digest()


def test_other_clients_are_served_while_one_does_not_read(threads):
    with live_server(big_app, threads=threads) as server, Client.to(server) as stalled:
        stalled.send(make_request("/big"))
        time.sleep(0.2)  # its output backs up in the socket buffers
        with Client.to(server) as other:
            response = other.request("/", method="HEAD")
            assert response.status == 200


# -- cut-off requests --

def test_request_cut_off_mid_body_never_reaches_the_app(threads):
    app = Counter()
    with live_server(app, threads=threads) as server:
        with Client.to(server) as client:
            client.send(make_request("/", method="POST", body=b"",
                                     headers=[("Content-Length", "100")]) + b"x" * 50)
            client.sock.shutdown(1)  # EOF
            assert client.is_closed()
        with Client.to(server) as client:
            client.send(make_request("/", method="POST",
                                     headers=[("Transfer-Encoding", "chunked")])
                        + b"5\r\nhello\r\n")
            client.sock.shutdown(1)
            assert client.is_closed()
        time.sleep(0.1)
        assert app.calls == 0


def test_request_cut_off_mid_head_never_reaches_the_app(threads):
    app = Counter()
    with live_server(app, threads=threads) as server:
        with Client.to(server) as client:
            client.send(b"GET / HTTP/1.1\r\nHost: x\r\n")
            client.sock.shutdown(1)
            assert client.is_closed()
        assert app.calls == 0


# -- limits and strictness --

GOOD = make_request("/after-the-bad-one")


def send_in_pieces(client: Client, pieces: list[bytes]) -> None:
    """Send piece by piece with no delay; stop once the server has shut the connection
    (it refused the request before the last piece; its answer is waiting)."""
    client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for piece in pieces:
        try:
            client.send(piece)
        except (BrokenPipeError, ConnectionResetError):
            return


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_request_is_refused_and_closes(case, split):
    """Each case of tests/http/corpus.py, with a good request pipelined after it."""
    app = Counter()
    with live_server(app, **case.limits) as server, Client.to(server) as client:
        if split is split_whole:
            client.send(case.data + GOOD)
        else:
            send_in_pieces(client, split(case.data + GOOD))
        response = client.read_response()
        assert response.raw_head.startswith(b"HTTP/1.1 %d " % case.status), response
        assert response.status == case.status and response.reason, response
        assert response.closes
        assert response.header("Content-Length") is not None
        assert client.is_closed()
        time.sleep(0.05)
        assert app.calls == 0


@pytest.mark.parametrize("name", ["long-target", "body-too-large", "ctl-in-value"])
def test_bad_request_after_good_ones_on_same_connection(name, threads):
    data, status = BY_NAME[name].data, BY_NAME[name].status
    app = Counter()
    with live_server(app, threads=threads) as server, Client.to(server) as client:
        assert client.request("/one").status == 200
        client.send(make_request("/two") + data + GOOD)
        assert client.read_response().body == b"hello 2 /two"
        response = client.read_response()
        assert response.status == status
        assert response.closes
        assert client.is_closed()
        assert app.calls == 2


def test_limits_are_configurable():
    app = Counter()
    options = dict(limit_request_line=100, limit_request_fields=5,
                   limit_request_field_size=100)
    with live_server(app, **options) as server:
        with Client.to(server) as client:
            assert client.request("/" + "a" * 90).status == 200
        with Client.to(server) as client:
            assert client.request("/" + "a" * 150).status == 414
        with Client.to(server) as client:
            headers = [(f"X-{i}", "v") for i in range(10)]
            assert client.request("/", headers=headers).status == 431
        with Client.to(server) as client:
            assert client.request("/", headers=[("X-A", "v" * 200)]).status == 431


def test_absolute_form_target():
    app = Counter()
    with live_server(app) as server, Client.to(server) as client:
        response = client.request("http://test.local/abs?q=1")
        assert response.status == 200
        assert response.body == b"hello 1 /abs"


def test_request_head_arriving_byte_by_byte(threads):
    app = Counter()
    with live_server(app, threads=threads) as server, Client.to(server) as client:
        for byte in make_request("/slowly", headers=[("X-A", "b")]):
            client.send(bytes([byte]))
        assert client.read_response().body == b"hello 1 /slowly"


def test_idle_keep_alive_connection_is_closed_after_the_timeout():
    app = Counter()
    with live_server(app, keepalive=1) as server, Client.to(server) as client:
        assert client.request("/").status == 200
        assert client.is_closed(timeout=5)


def test_stalled_request_gets_408_and_close():
    app = Counter()
    with live_server(app, read_timeout=1) as server, Client.to(server) as client:
        client.send(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and then nothing
        response = client.read_response()
        assert response.status == 408
        assert response.closes
        assert client.is_closed()
        assert app.calls == 0
