"""Fixtures for the apps' functional tests.

``stocks`` is a WebTest client for a fresh stocks app, once in-process (with
WebTest's lint checking every response) and once through the real server
(``wsgiserver.testing.live_server``, reached with ``webtest.TestApp(url)``).
"""

import pytest
from webtest import TestApp

from apps.notes import create_app as create_notes_app
from apps.stocks import create_app as create_stocks_app
from wsgiserver.testing import live_server


@pytest.fixture(params=["in-process", "live-server"])
def stocks(request, tmp_path):
    app = create_stocks_app(tmp_path / "stocks.sqlite3")
    if request.param == "in-process":
        yield TestApp(app)
        return
    with live_server(app) as server:
        yield TestApp(server.url)


@pytest.fixture
def notes(tmp_path):
    return TestApp(create_notes_app(tmp_path / "notes.sqlite3", max_upload=16 * 1024))
