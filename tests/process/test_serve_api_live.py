"""serve(app, **settings) from Python: a master and workers, as the command line
starts them, and every keyword acts (logging and --env too, not only the sockets)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from tests.helpers import REPO, Client, children_of, free_port, server_process, wait_until

SCRIPT = '''
import os, sys
from wsgiserver import serve

def app(environ, start_response):
    body = os.environ.get("GREETING", "unset").encode()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]

serve(app, host="127.0.0.1", port=int(sys.argv[1]), workers=2,
      access_logfile=sys.argv[2], raw_env=["GREETING=hello"])
'''


def test_serve_runs_workers_and_applies_logging_and_env(tmp_path):
    script, access, port = tmp_path / "serve_it.py", tmp_path / "access.log", free_port()
    script.write_text(SCRIPT)
    with server_process([str(port), str(access)], script=str(script), cwd=str(tmp_path)) \
            as server:
        server.wait_for_port(port)
        assert server.wait_for_stderr(f"Listening at http://127.0.0.1:{port}"), \
            server.stderr_text
        assert wait_until(lambda: len(children_of(server.proc.pid)) == 2)
        with Client("127.0.0.1", port) as client:
            response = client.request("/hi")
        assert (response.status, response.body) == (200, b"hello")
        assert wait_until(lambda: access.exists() and '"GET /hi HTTP/1.1" 200 5' in
                          access.read_text()), server.stderr_text
        server.signal(signal.SIGTERM)
        assert server.wait(10) == 0
        assert "master got SIGTERM" in server.stderr_text


IN_A_THREAD = '''
import sys, threading, time, urllib.request
from wsgiserver import serve

def app(environ, start_response):
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]

port, access = int(sys.argv[1]), sys.argv[2]
threading.Thread(target=serve, args=(app,), daemon=True,
                 kwargs={"host": "127.0.0.1", "port": port, "accesslog": access}).start()
for _ in range(200):
    try:
        print(urllib.request.urlopen(f"http://127.0.0.1:{port}/in-thread", timeout=5).read())
        break
    except OSError:
        time.sleep(0.05)
for _ in range(200):  # the access line is written after the response
    try:
        if "/in-thread" in open(access).read():
            break
    except OSError:
        pass
    time.sleep(0.05)
'''


def test_serve_in_a_thread_writes_the_access_log_it_was_given(tmp_path):
    access = tmp_path / "access.log"
    result = run_script(IN_A_THREAD, str(free_port()), str(access))
    assert "b'ok'" in result.stdout, result.stderr
    assert '"GET /in-thread HTTP/1.1" 200 2' in access.read_text()


def run_script(source: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", source, *args], capture_output=True,
                          text=True, timeout=30, env={**os.environ, "PYTHONPATH": REPO})
