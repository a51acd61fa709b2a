"""HEAD of a response whose length the server does not know (issue 12).

RFC 9110 §8.6: a HEAD response may carry Content-Length only if it equals
what the GET would send. An app that skips its body for HEAD (every Werkzeug
response does) or streams one of unknown length gave `Content-Length: 0`,
which a proxy in front passes on as the GET's length. Now such a HEAD has
no Content-Length (and, as gunicorn's, no Transfer-Encoding); an app's own
Content-Length is passed through, and the connection stays open.
"""

from __future__ import annotations

import flask
import pytest
from helpers import Client

from wsgiserver.testing import live_server

BODY = b"hello, streamed world\n"


def skips_body_for_head(environ, start_response):
    """A generator that yields nothing for HEAD, as careful apps do."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    if environ["REQUEST_METHOD"] != "HEAD":
        yield BODY


def empty_list_for_head(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [] if environ["REQUEST_METHOD"] == "HEAD" else [BODY]


def own_length(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(BODY)))])
    return [] if environ["REQUEST_METHOD"] == "HEAD" else [BODY]


def make_flask_app() -> flask.Flask:
    app = flask.Flask(__name__)

    @app.route("/stream")
    def stream():
        def generate():
            yield BODY[:5]
            yield BODY[5:]
        return flask.Response(flask.stream_with_context(generate()), mimetype="text/plain")

    @app.route("/plain-generator")
    def plain_generator():
        return flask.Response((part for part in (BODY[:5], BODY[5:])), mimetype="text/plain")

    @app.route("/fixed")
    def fixed():
        return flask.Response(BODY, mimetype="text/plain")  # Werkzeug sets Content-Length

    return app


FLASK = make_flask_app()


def route(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/generator":
        return skips_body_for_head(environ, start_response)
    if path == "/empty-list":
        return empty_list_for_head(environ, start_response)
    if path == "/own-length":
        return own_length(environ, start_response)
    return FLASK.wsgi_app(environ, start_response)


@pytest.fixture(params=[4, 0], ids=["threads4", "threads0"])
def client(request):
    with live_server(route, threads=request.param) as server, Client.to(server) as client:
        yield client


UNKNOWN_LENGTH = ["/generator", "/empty-list", "/stream", "/plain-generator"]


@pytest.mark.parametrize("path", UNKNOWN_LENGTH)
def test_head_of_an_unknown_length_has_no_content_length(client, path):
    head = client.request(path, method="HEAD")
    assert head.status == 200
    assert head.header("Content-Length") is None, head.headers
    assert head.header("Transfer-Encoding") is None  # as gunicorn: HEAD has no framing
    assert head.header("Content-Type").startswith("text/plain")
    # Nothing followed the head, and the connection carries on.
    after = client.request("/own-length")
    assert (after.status, after.body) == (200, BODY)


@pytest.mark.parametrize("path", UNKNOWN_LENGTH)
def test_get_of_the_same_resource_still_sends_its_body(client, path):
    response = client.request(path)
    assert response.status == 200
    assert response.body == BODY
    assert not response.closes


def test_flask_stream_is_chunked_for_get(client):
    assert client.request("/stream").framing == "chunked"


@pytest.mark.parametrize("path", ["/own-length", "/fixed"])
def test_an_apps_own_content_length_is_passed_through_on_head(client, path):
    head = client.request(path, method="HEAD")
    assert head.header("Content-Length") == str(len(BODY))
    get = client.request(path)
    assert get.header("Content-Length") == str(len(BODY))
    assert get.body == BODY


def test_http10_head_of_a_stream_keeps_alive_without_a_length(client):
    client.send(b"HEAD /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    head = client.read_response("HEAD")
    assert head.header("Content-Length") is None
    assert head.header("Connection").lower() == "keep-alive"
    assert client.request("/own-length").body == BODY


def test_pipelined_heads_of_streams_come_apart(client):
    client.send(b"HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\n"
                b"HEAD /generator HTTP/1.1\r\nHost: x\r\n\r\n"
                b"GET /own-length HTTP/1.1\r\nHost: x\r\n\r\n")
    for _ in range(2):
        head = client.read_response("HEAD")
        assert head.status == 200 and head.header("Content-Length") is None
    assert client.read_response().body == BODY
