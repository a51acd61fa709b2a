"""--reload on a live server: an edit is served within 2 s, broken code is not."""

from __future__ import annotations

import os
import signal
import time
import urllib.request

import pytest

from tests.helpers import free_port, server_process, wait_until

APP = """\
import os

# each worker imports the app after fork: the test waits until every one has
with open(os.path.join(os.path.dirname(os.path.dirname(__file__)), "booted"), "a") as f:
    f.write(str(os.getpid()) + "\\n")


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [{body!r}]
"""


def get(port: int) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
        return response.read()


@pytest.fixture(params=["poll", "inotify"])
def reloading(request, tmp_path):
    if request.param == "inotify":
        pytest.importorskip("inotify_simple")
    package = tmp_path / "liveapp"
    package.mkdir()
    module = package / "__init__.py"
    module.write_text(APP.format(body=b"v1"))
    port = free_port()
    # two workers: a failed reload must be reported once, not once per new worker
    args = ["liveapp", "-b", f"127.0.0.1:{port}", "-w", "2", "--threads", "0", "--static-root",
            "/nonexistent", "--reload", "--reload-engine", request.param]
    with server_process(args, cwd=str(tmp_path)) as server:
        server.wait_for_port(port)
        assert server.wait_for_stderr("--reload: watching"), server.stderr_text
        # The port takes connections from the master's bind on; the worker imports the
        # app after fork: an edit before that import would be its first code.
        assert get(port) == b"v1"
        booted = tmp_path / "booted"
        assert wait_until(lambda: booted.read_text().count("\n") == 2), server.stderr_text
        yield server, port, module


def _served_within(port: int, body: bytes, seconds: float) -> bool:
    def serves() -> bool:
        try:
            return get(port) == body
        except OSError:
            return False
    return wait_until(serves, timeout=seconds, interval=0.05)


def test_an_edit_is_served_within_2_seconds(reloading):
    server, port, module = reloading
    module.write_text(APP.format(body=b"v2"))
    assert _served_within(port, b"v2", 2.0), server.stderr_text


def test_a_syntax_error_keeps_the_last_good_code_until_it_is_fixed(reloading):
    server, port, module = reloading
    module.write_text("def application(:\n")
    assert server.wait_for_stderr("does not compile"), server.stderr_text
    module.write_text("def application(:\n")  # saved again, still broken
    time.sleep(1.0)  # twice the poll interval: the second save has been seen
    assert [get(port) for _ in range(3)] == [b"v1"] * 3
    assert server.stderr_text.count("SyntaxError") == 1
    module.write_text(APP.format(body=b"v3"))
    assert _served_within(port, b"v3", 2.0), server.stderr_text


def test_an_import_time_error_keeps_the_old_workers_until_it_is_fixed(reloading):
    server, port, module = reloading
    # compiles, so the reloader asks for a reload; only importing it fails
    module.write_text(APP.format(body=b"v2") + "undefined_name\n")
    assert server.wait_for_stderr("reload failed"), server.stderr_text
    assert [get(port) for _ in range(4)] == [b"v1"] * 4
    # an old worker dies while the code on disk is broken: its replacement cannot
    # boot, and neither can the retry after the back-off
    first_worker = int((module.parent.parent / "booted").read_text().split()[0])
    os.kill(first_worker, signal.SIGKILL)
    assert server.wait_for_stderr("trying again in 2 s"), server.stderr_text
    assert get(port) == b"v1"
    error = "NameError: name 'undefined_name' is not defined"
    assert server.stderr_text.count(error) == 1, server.stderr_text
    assert "could not boot (the same error as before); trying again in 1 s" \
        in server.stderr_text
    assert f"__init__.py:{APP.count(chr(10)) + 1}" in server.stderr_text  # where, too
    module.write_text(APP.format(body=b"v3"))
    assert _served_within(port, b"v3", 2.0), server.stderr_text
