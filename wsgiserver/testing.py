"""Run the real server in a background thread, for tests.

    with live_server(app) as server:
        urllib.request.urlopen(server.url + "/")

or, with pytest, use the `live_server_factory` fixture (see `pytest_fixture`).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any, Callable, Iterator, Optional

from .server import WSGIServer


class LiveServer:
    """A WSGIServer on a free 127.0.0.1 port, serving from a daemon thread."""

    def __init__(self, app: Optional[Callable], **options: Any) -> None:
        options.setdefault("bind", ["127.0.0.1:0"])
        options.setdefault("static_root", None)
        self.server = WSGIServer(app, **options)
        self.host = "127.0.0.1"
        self.port = self.server.port
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        name="wsgiserver-live", daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        wait_for_port(self.host, self.port)
        return self

    def stop(self) -> None:
        self.server.shutdown(wait=True)
        self._thread.join(10)


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    """Return once something accepts connections on host:port."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


@contextlib.contextmanager
def live_server(app: Optional[Callable], **options: Any) -> Iterator[LiveServer]:
    server = LiveServer(app, **options).start()
    try:
        yield server
    finally:
        server.stop()


def pytest_fixture():
    """Build a pytest fixture: `live_server_factory = pytest_fixture()` in a conftest.

    The fixture is a function `start(app, **options) -> LiveServer`; every
    server it started is stopped when the test ends.
    """
    import pytest

    @pytest.fixture
    def live_server_factory():
        started: list[LiveServer] = []

        def start(app: Optional[Callable], **options: Any) -> LiveServer:
            server = LiveServer(app, **options).start()
            started.append(server)
            return server

        yield start
        for server in started:
            server.stop()

    return live_server_factory
