"""apps/hello.py driven by WebTest, in-process and through the real server."""

import pytest
import webtest

from apps.hello import application
from wsgiserver.testing import live_server


@pytest.fixture(params=["in-process", "live-server"])
def hello(request):
    if request.param == "in-process":
        yield webtest.TestApp(application)  # lint=True: PEP 3333 checked on every call
        return
    with live_server(application) as server:
        yield webtest.TestApp(server.url)


def test_hello_says_hello(hello):
    response = hello.get("/")
    assert response.status_int == 200
    assert response.content_type == "text/plain"
    assert response.text == "Hello, World!\n"
    assert response.headers["Content-Length"] == str(len(response.body))


def test_hello_answers_any_path_and_method(hello):
    assert hello.post("/anything", {"a": "1"}).text == "Hello, World!\n"


def test_live_server_adds_date_and_server_headers():
    with live_server(application) as server:
        response = webtest.TestApp(server.url).get("/")
    assert response.headers["Server"].startswith("wsgiserver/")
    assert response.headers["Date"].endswith("GMT")
