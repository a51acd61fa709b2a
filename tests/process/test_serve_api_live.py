"""serve(app, **settings) from Python: a master and workers, as the command line
starts them, and every keyword acts (logging and --env too, not only the sockets)."""

from __future__ import annotations

import signal

from tests.helpers import Client, children_of, free_port, server_process, wait_until

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
