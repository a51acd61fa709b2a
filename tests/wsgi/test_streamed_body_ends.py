"""A 100-continue body streamed to an app that keeps running after the body has ended.

Regression: once the streamed body was complete the parser let it go but still
reported it as streamed, so every loop tick and every partial send raised
AttributeError (error-log spam, truncated responses, shutdown not on time).
"""

import logging
import threading

from tests.helpers import Client, make_request
from wsgiserver.http.parser import RequestParser
from wsgiserver.testing import live_server
from wsgiserver.wsgi.input import StreamingBody


def test_the_parser_reports_no_streamed_body_once_it_ended():
    parser = RequestParser(streamed_body=StreamingBody)
    (request,) = parser.feed(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                             b"Expect: 100-continue\r\n\r\n")
    assert parser.streamed_body_in_progress is request.body
    parser.feed(b"hi")
    assert parser.streamed_body_in_progress is None


def test_an_app_running_on_after_its_streamed_body_answers_in_full(caplog):
    read_done, release = threading.Event(), threading.Event()
    chunk = b"x" * 100_000

    def app(environ, start_response):
        environ["wsgi.input"].read()
        read_done.set()
        release.wait(10)  # past at least one loop tick, with the body complete
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return (chunk for _ in range(5))

    with caplog.at_level(logging.ERROR, logger="wsgiserver.error"), \
            live_server(app, threads=2) as server, Client.to(server) as client:
        client.send(make_request("/", method="POST", headers=[
            ("Content-Length", "4"), ("Expect", "100-continue")]))
        assert client.read_response().status == 100
        client.send(b"body")
        assert read_done.wait(10)
        threading.Timer(1.5, release.set).start()
        response = client.read_response()
        assert response.status == 200 and len(response.body) == 500_000
        assert client.request("/").status == 200  # keep-alive survived
    assert "Traceback" not in caplog.text and "AttributeError" not in caplog.text
