"""apps/echo.py through WebTest (whose lint checks PEP 3333); hello has its own test."""

import base64

from webtest import TestApp

from apps.echo import application as echo


def test_echo_returns_the_environ_and_the_body():
    response = TestApp(echo).post("/echo/path?x=1", b"payload", content_type="text/plain")
    report = response.json
    assert response.headers["X-Echo"] == "1"
    assert report["environ"]["PATH_INFO"] == "/echo/path"
    assert report["environ"]["QUERY_STRING"] == "x=1"
    assert report["body_length"] == 7
    assert base64.b64decode(report["body_b64"]) == b"payload"
