"""Trailer fields: kept for the app, but never ones that frame, route or describe content.

The refused ones are cases of tests/http/corpus.py (trailer-*), for the parser and live.
"""


from tests.helpers import Client
from wsgiserver.http.parser import RequestParser
from wsgiserver.testing import live_server

CHUNKED = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"


def feed(parser, data, split):
    events = []
    for piece in split(data):
        events += parser.feed(piece)
    return events


def test_other_trailer_fields_reach_the_request(split):
    (request,) = feed(RequestParser(), CHUNKED + b"X-Checksum: 1\r\n\r\n", split)
    assert request.trailers == [("X-Checksum", "1")]
    assert request.body.read() == b"abc"


def echo(environ, start_response):
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]


def test_a_host_trailer_gets_400_and_the_connection_closes():
    with live_server(echo) as server, Client.to(server) as client:
        client.send(CHUNKED + b"Host: evil\r\n\r\n")
        response = client.read_response()
        assert response.status == 400
        assert response.header("Connection") == "close"
        assert client.is_closed()
