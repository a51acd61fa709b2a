"""A real gunicorn.conf.py, unchanged, runs wsgiserver: each setting it holds takes
effect, or (a gunicorn setting we lack) is named in one warning line."""

from __future__ import annotations

import os
import textwrap

from tests.helpers import REPO, Client, free_port, run_cli, server_process, wait_until
from wsgiserver.settings.gunicorn import ours

CONF = '''
import os

_here = os.path.dirname(os.path.abspath(__file__))

bind = "127.0.0.1:{port}"
workers = 1
threads = 2
timeout = 30
graceful_timeout = 5
keepalive = 2
max_requests = 0
accesslog = os.path.join(_here, "access.log")
access_log_format = '%(h)s "%(r)s" %(s)s'
errorlog = os.path.join(_here, "error.log")
loglevel = "debug"
pidfile = os.path.join(_here, "server.pid")
raw_env = ["CONF_GREETING=hello from the conf"]
forwarded_allow_ips = "10.9.9.9"
limit_request_line = 200
limit_request_fields = 10
limit_request_field_size = 300


def when_ready(server):
    with open(os.path.join(_here, "ready"), "w") as file:
        file.write(str(os.getpid()))
'''

APP = '''
import os

def app(environ, start_response):
    body = "{{}} {{}}".format(os.environ.get("CONF_GREETING", "-"),
                              environ["wsgi.url_scheme"]).encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
'''
SETTING_NAMES = ("bind", "workers", "threads", "timeout", "graceful_timeout", "keepalive",
                 "max_requests", "accesslog", "access_log_format", "errorlog", "loglevel",
                 "pidfile", "raw_env", "forwarded_allow_ips", "limit_request_line",
                 "limit_request_fields", "limit_request_field_size", "when_ready")
ENV = {"WSGISERVER_CMD_ARGS": "", "WEB_CONCURRENCY": "", "PORT": "",
       "CONF_GREETING": ""}


def unsupported_warning(stderr: str, name: str) -> bool:
    return f"gunicorn's setting {name!r} is not supported" in stderr


def test_every_setting_of_the_file_is_taken_or_named_unsupported(tmp_path):
    (tmp_path / "gunicorn.conf.py").write_text(CONF.format(port=free_port()))
    result = run_cli(["-c", "gunicorn.conf.py", "--print-config"], cwd=str(tmp_path), env=ENV)
    assert result.returncode == 0, result.stderr
    for name in SETTING_NAMES:
        if ours(name):
            assert f"{ours(name)} = " in result.stdout
            line = next(line for line in result.stdout.splitlines()
                        if line.startswith(f"{ours(name)} = "))
            assert line.endswith("# file gunicorn.conf.py"), line
        else:
            assert unsupported_warning(result.stderr, name), name


def check_requests(port: int) -> bytes:
    with Client("127.0.0.1", port) as client:
        response = client.request("/", headers=[("X-Forwarded-Proto", "https")])
        assert response.status == 200
    with Client("127.0.0.1", port) as client:  # limit_request_line = 200
        assert client.request("/" + "a" * 250).status == 414
    with Client("127.0.0.1", port) as client:  # limit_request_fields = 10
        assert client.request("/", headers=[(f"X-{i}", "v") for i in range(12)]).status == 431
    with Client("127.0.0.1", port) as client:  # limit_request_field_size = 300
        assert client.request("/", headers=[("X-Big", "v" * 400)]).status == 431
    return response.body


def test_a_gunicorn_conf_py_runs_unchanged(tmp_path):
    port = free_port()
    (tmp_path / "gunicorn.conf.py").write_text(CONF.format(port=port))
    (tmp_path / "confapp.py").write_text(textwrap.dedent(APP.format()))
    with server_process(["-c", "gunicorn.conf.py", "confapp:app"], cwd=str(tmp_path),
                        env={**ENV, "PYTHONPATH": f"{REPO}{os.pathsep}{tmp_path}"}) as server:
        server.wait_for_port(port)  # bind
        body = check_requests(port)
        ready = tmp_path / "ready"
        assert wait_until(ready.exists)  # the when_ready hook
        assert ready.read_text() == str(server.proc.pid)
        log = tmp_path / "access.log"  # accesslog
        assert wait_until(lambda: log.exists() and "GET / HTTP/1.1" in log.read_text())
        error_log = tmp_path / "error.log"  # where the announcement goes once errorlog exists
        announced = server.stderr_text + (error_log.read_text() if error_log.exists() else "")
        assert "threads: 2" in announced  # threads
        greeting, scheme = body.decode().rsplit(" ", 1)
        assert scheme == "http"  # forwarded_allow_ips: 127.0.0.1 is no longer trusted
        check_unowned_settings(tmp_path, server, greeting)


def check_unowned_settings(tmp_path, server, greeting: str) -> None:
    """Settings others are building: checked once they exist, else named as unsupported."""
    stderr = server.stderr_text
    if ours("raw_env"):
        assert greeting == "hello from the conf"
    else:
        assert unsupported_warning(stderr, "raw_env")
    if ours("pidfile"):
        assert (tmp_path / "server.pid").read_text().strip() == str(server.proc.pid)
    else:
        assert unsupported_warning(stderr, "pidfile")
    if ours("errorlog"):
        assert "threads: 2" in (tmp_path / "error.log").read_text()
    else:
        assert unsupported_warning(stderr, "errorlog")
    if ours("access_log_format"):
        assert '127.0.0.1 "GET / HTTP/1.1" 200' in (tmp_path / "access.log").read_text()
    else:
        assert unsupported_warning(stderr, "access_log_format")
