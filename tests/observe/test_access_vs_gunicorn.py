"""Side by side: the same app, format and requests give gunicorn's access lines.

A real gunicorn and wsgiserver serve tests/observe/log_app.py on loopback with
the same --access-logformat (every atom); after the atoms that are times or
pids are masked, the lines must be equal.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile

import pytest

from tests.helpers import (
    REPO,
    Client,
    free_port,
    make_request,
    port_open,
    server_process,
    wait_until,
)

pytest.importorskip("gunicorn")

APP = "tests.observe.log_app:application"
FORMAT = ('%(h)s %(l)s %(u)s t=%(t)s "%(r)s" %(s)s %(m)s %(U)s q=%(q)s %(H)s %(b)s %(B)s '
          '"%(f)s" "%(a)s" T=%(T)s D=%(D)s M=%(M)s L=%(L)s p=%(p)s '
          'i=%({x-req}i)s o=%({x-resp}o)s ct="%({content-type}o)s" '
          'e=%({query_string}e)s %({request_method}e)s %(Z)s')
MASKS = [(re.compile(r"t=\[[^\]]*\]"), "t=[T]"), (re.compile(r"([TDML])=[\d.]+"), r"\1=N"),
         (re.compile(r"p=<\d+>"), "p=<PID>")]

AUTH = "Basic " + __import__("base64").b64encode(b"alice:secret").decode()
REQUESTS = [
    make_request("/"),
    make_request("/path/to?x=1&y=two"),
    make_request("/missing"),
    make_request("/submit", method="POST", body=b"a posted body"),
    make_request("/h", headers=[("X-Req", "custom"), ("Referer", "http://ref.example/"),
                                ("User-Agent", "agent/1.0")]),
    make_request("/", method="HEAD"),
    make_request("/static/site.css"),
    make_request("/private", headers=[("Authorization", AUTH)]),
    make_request("/q", headers=[("User-Agent", 'say "hi"')]),
    make_request("/caf%C3%A9/x%20y?q=%20z"),
    make_request("/old", version="HTTP/1.0"),
    make_request("/stream"),
    make_request("/put", method="PUT", body=b"5\r\nhello\r\n0\r\n\r\n",
                 headers=[("Transfer-Encoding", "chunked")]),
    make_request("/twice", headers=[("X-Req", "first"), ("x-req", "last")]),
    make_request("/d?", method="DELETE"),
    make_request("/empty?"),
    make_request("/long?" + "k=v&" * 20),
    make_request("/opt", method="OPTIONS"),
    make_request("/ref", headers=[("referer", "lower-case-name")]),
    make_request("/x?a=%22quoted%22"),
]


@contextlib.contextmanager
def gunicorn(port: int, log_path: str):
    env = {**os.environ, "PYTHONPATH": REPO, "PYTHONUNBUFFERED": "1"}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}",
             "--access-logfile", "-", "--access-logformat", FORMAT, "--log-level", "warning",
             APP], cwd=REPO, env=env, stdout=log, stderr=subprocess.DEVNULL,
            start_new_session=True)
    try:
        assert wait_until(lambda: port_open(port) or proc.poll() is not None, 20)
        assert proc.poll() is None, "gunicorn did not start"
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


# gunicorn logs no request its parser refused; wsgiserver does (after the others).
REFUSED = b"GET /bad HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"


def send_all(port: int) -> None:
    for data in [*REQUESTS, REFUSED]:
        with Client("127.0.0.1", port) as client:
            client.send(data)
            method = data.split(b" ", 1)[0].decode()
            assert client.read_response(method).status is not None


def masked(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        for pattern, replacement in MASKS:
            line = pattern.sub(replacement, line)
        out.append(line.rstrip("\n"))
    return out


def test_the_same_requests_give_gunicorns_access_lines(tmp_path):
    log_path = str(tmp_path / "gunicorn.log")
    port = free_port()
    with gunicorn(port, log_path):
        send_all(port)
        assert wait_until(lambda: _line_count(log_path) >= len(REQUESTS), 10)
        wait_until(lambda: _line_count(log_path) > len(REQUESTS), 0.3)  # it must not come
    theirs = masked(open(log_path, encoding="utf-8").read().splitlines())

    port = free_port()
    with server_process([APP, "-b", f"127.0.0.1:{port}", "--access-logfile", "-",
                         "--access-logformat", FORMAT, "--static-root", tempfile.gettempdir()
                         + "/no-such-root"]) as server:
        server.wait_for_port(port)
        send_all(port)
        assert server.wait_for_stdout_lines(len(REQUESTS) + 1), server.stderr_text
    ours = masked(server.stdout)
    assert len(theirs) == len(REQUESTS) and len(ours) == len(REQUESTS) + 1
    for mine, gunicorns in zip(ours[:-1], theirs, strict=True):
        assert mine == gunicorns
    assert ours[-1].startswith('127.0.0.1 - - t=[T] "GET /bad HTTP/1.1" 400 GET /bad q= '
                               'HTTP/1.1 ')
    assert ours[-1].endswith(" e= GET -")  # the environ an app would have had


def _line_count(path: str) -> int:
    with open(path, encoding="utf-8") as file:
        return len(file.read().splitlines())
