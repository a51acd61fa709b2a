"""The command line, run as `python -m wsgiserver ...` subprocesses."""

from __future__ import annotations

import signal
import socket
import textwrap
import threading

import pytest
from helpers import REPO, Client, free_port, make_request, run_cli, server_process

from wsgiserver import __version__


def assert_one_error_line(result) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("wsgiserver: error:"), lines[0]


def get(port: int, path: str = "/", host: str = "127.0.0.1"):
    with Client(host, port) as client:
        return client.request(path)


@pytest.fixture
def app_dir(tmp_path):
    """A folder with small app modules, used as the current directory."""
    (tmp_path / "myapps.py").write_text(textwrap.dedent("""
        import os, time

        def application(environ, start_response):
            body = b"myapps " + environ["PATH_INFO"].encode()
            start_response("200 OK", [("Content-Type", "text/plain"),
                                      ("Content-Length", str(len(body)))])
            return [body]

        def create_app():
            def app(environ, start_response):
                body = b"made by the factory"
                start_response("200 OK", [("Content-Type", "text/plain"),
                                          ("Content-Length", str(len(body)))])
                return [body]
            return app

        def slow(environ, start_response):
            open(os.environ["STARTED_FILE"], "w").close()
            time.sleep(1.5)
            body = b"slow but complete"
            start_response("200 OK", [("Content-Type", "text/plain"),
                                      ("Content-Length", str(len(body)))])
            return [body]

        not_callable = 42
    """))
    (tmp_path / "broken_import.py").write_text("import no_such_dependency_xyz\n")
    return tmp_path


# -- help and version --

def test_help_exits_0():
    result = run_cli(["--help"])
    assert result.returncode == 0
    for option in ("--bind", "--threads", "--keep-alive", "--limit-request-line",
                   "--limit-request-fields", "--limit-request-field_size", "--log-level",
                   "--access-logfile", "--static-root", "--version"):
        assert option in result.stdout, option
    assert result.stderr == ""


def test_version_exits_0():
    result = run_cli(["--version"])
    assert result.returncode == 0
    assert __version__ in result.stdout + result.stderr


# -- a person's mistakes: one line, non-zero exit, no traceback --

@pytest.mark.parametrize("args", [
    ["no_such_module_xyz:application"],
    ["no_such_module_xyz"],
    ["apps.no_such_module:application"],
    ["apps.hello:no_such_attribute"],
    ["myapps:missing"],
    ["myapps:not_callable"],
    ["myapps:application", "abc"],
    ["myapps:application", "70000"],
    ["myapps:application", "--bind", "127.0.0.1:abc"],
    ["myapps:application", "--bogus-option"],
    ["myapps:application", "--threads", "many"],
    ["myapps:application", "--log-level", "loud"],
    ["myapps:application", "1234", "5678"],
], ids=["unknown-module", "unknown-module-alone", "unknown-submodule", "missing-attribute",
        "missing-attribute-local", "not-callable", "port-abc", "port-70000", "bind-bad-port",
        "unknown-option", "bad-threads", "bad-log-level", "two-ports"])
def test_mistakes_give_one_error_line(app_dir, args):
    result = run_cli([*args, "--static-root", str(app_dir)], cwd=str(app_dir))
    assert_one_error_line(result)


def test_port_already_in_use(app_dir):
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("0.0.0.0", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run_cli(["myapps:application", str(port)], cwd=str(app_dir))
    assert_one_error_line(result)
    assert "in use" in result.stderr


def test_import_error_inside_the_app_module_is_reported(app_dir):
    # Not a person's typo but the app's own import failing: it must be reported,
    # and must not be mistaken for "no module named broken_import".
    result = run_cli(["broken_import:application"], cwd=str(app_dir))
    assert result.returncode != 0
    assert "no_such_dependency_xyz" in result.stderr


# -- running --

def test_app_then_port(app_dir):
    port = free_port()
    with server_process(["myapps:application", str(port)], cwd=str(app_dir)) as server:
        server.wait_for_port(port)
        assert get(port, "/x").body == b"myapps /x"


def test_tutorial_order_port_then_app():
    port = free_port()
    with server_process([str(port), "apps.hello:application"]) as server:
        server.wait_for_port(port)
        response = get(port, "/hello")  # "/" is ./html/index.html
        assert response.status == 200
        assert response.body == b"Hello, World!\n"


def test_module_alone_means_module_application(app_dir):
    port = free_port()
    with server_process(["myapps", str(port)], cwd=str(app_dir)) as server:
        server.wait_for_port(port)
        assert get(port, "/alone").body == b"myapps /alone"


def test_factory_and_cwd_on_sys_path(app_dir):
    port = free_port()
    # -P: python itself does not put the current folder on sys.path; the server must.
    with server_process(["myapps:create_app()", str(port)], cwd=str(app_dir),
                        python_flags=["-P"]) as server:
        server.wait_for_port(port)
        assert get(port).body == b"made by the factory"


def test_bind_host_port(app_dir):
    port = free_port()
    with server_process(["myapps:application", "-b", f"127.0.0.1:{port}"],
                        cwd=str(app_dir)) as server:
        server.wait_for_port(port)
        assert get(port).body == b"myapps /"
        assert server.wait_for_stderr(f"http://127.0.0.1:{port}")


def test_bind_twice(app_dir):
    port1, port2 = free_port(), free_port()
    with server_process(["myapps:application", "-b", f"127.0.0.1:{port1}",
                         "--bind", f"127.0.0.1:{port2}"], cwd=str(app_dir)) as server:
        server.wait_for_port(port1)
        server.wait_for_port(port2)
        assert get(port1).body == get(port2).body == b"myapps /"


def test_bind_unix_socket(app_dir, tmp_path):
    path = str(tmp_path / "x.sock")
    with server_process(["myapps:application", "-b", f"unix:{path}"],
                        cwd=str(app_dir)) as server:
        assert server.wait_for_stderr("listening"), server.stderr_text
        with Client(unix_path=path) as client:
            response = client.request("/unix")
            assert response.status == 200
            assert response.body == b"myapps /unix"
        assert f"unix:{path}" in server.stderr_text


def test_port_from_environment(app_dir):
    port = free_port()
    with server_process(["myapps:application"], cwd=str(app_dir),
                        env={"PORT": str(port)}) as server:
        server.wait_for_port(port)
        assert get(port).body == b"myapps /"


def test_startup_line_names_url_app_and_static_root():
    port = free_port()
    with server_process(["apps.hello:application", str(port)]) as server:
        server.wait_for_port(port)
        assert server.wait_for_stderr("listening")
        lines = [line for line in server.stderr if f":{port}" in line]
        assert len(lines) == 1, server.stderr_text
        line = lines[0]
        assert f"http://0.0.0.0:{port}" in line
        assert "apps.hello:application" in line
        assert f"{REPO}/html" in line


def test_missing_static_root_is_a_warning_and_the_app_is_served(app_dir):
    port = free_port()
    missing = str(app_dir / "no-such-folder")
    with server_process(["myapps:application", str(port), "--static-root", missing],
                        cwd=str(app_dir)) as server:
        server.wait_for_port(port)
        assert get(port, "/index.html").body == b"myapps /index.html"
        assert "WARNING" in server.stderr_text.upper()
        assert "no-such-folder" in server.stderr_text
        assert "error:" not in server.stderr_text.lower()


def test_static_only_mode_serves_the_static_root(tmp_path):
    (tmp_path / "index.html").write_bytes(b"<p>static</p>")
    port = free_port()
    with server_process([str(port), "--static-root", str(tmp_path)]) as server:
        server.wait_for_port(port)
        assert get(port, "/").body == b"<p>static</p>"
        assert get(port, "/nothing-here").status == 404


def test_access_log_to_stdout(app_dir):
    port = free_port()
    with server_process(["myapps:application", str(port), "--access-logfile", "-"],
                        cwd=str(app_dir)) as server:
        server.wait_for_port(port)
        with Client("127.0.0.1", port) as client:
            for path in ("/one", "/two", "/three"):
                assert client.request(path, headers=[("User-Agent", "cli-test")]).status == 200
        assert server.wait_for_stdout_lines(3), server.stdout
        lines = [line for line in server.stdout if "cli-test" in line]
        assert len(lines) == 3, server.stdout
        for path, line in zip(("/one", "/two", "/three"), lines, strict=True):
            assert f'"GET {path} HTTP/1.1" 200' in line


def test_options_are_applied(app_dir):
    port = free_port()
    with server_process(["myapps:application", str(port), "--limit-request-line", "50",
                         "--threads", "0", "--log-level", "warning"],
                        cwd=str(app_dir)) as server:
        server.wait_for_port(port)
        assert get(port, "/short").status == 200
        assert get(port, "/" + "x" * 80).status == 414


# -- stopping --

@pytest.mark.parametrize("threads", ["4", "0"])
@pytest.mark.parametrize("signum", [signal.SIGTERM], ids=["TERM"])  # INT is a quick stop:
def test_signal_stops_cleanly_after_in_flight_request(app_dir, threads, signum):  # test_arbiter
    port = free_port()
    started = app_dir / "started"
    with server_process(["myapps:slow", str(port), "--threads", threads],
                        cwd=str(app_dir), env={"STARTED_FILE": str(started)}) as server:
        server.wait_for_port(port)
        result = {}

        def client():
            try:
                with Client("127.0.0.1", port) as conn:
                    conn.send(make_request("/"))
                    result["response"] = conn.read_response()
            except Exception as error:  # reported by the assertions below
                result["error"] = error

        thread = threading.Thread(target=client)
        thread.start()
        for _ in range(500):
            if started.exists():
                break
            thread.join(0.01)
        assert started.exists(), "the slow request never reached the app"
        server.signal(signum)
        thread.join(15)
        code = server.wait(15)
        assert "error" not in result, result.get("error")
        assert result["response"].status == 200
        assert result["response"].body == b"slow but complete"
        assert code == 0, server.stderr_text
        assert "Traceback" not in server.stderr_text
        assert "KeyboardInterrupt" not in server.stderr_text


def test_sigterm_when_idle_exits_0(app_dir):
    port = free_port()
    with server_process(["myapps:application", str(port)], cwd=str(app_dir)) as server:
        server.wait_for_port(port)
        with Client("127.0.0.1", port) as idle:  # an idle keep-alive connection
            assert idle.request("/").status == 200
            server.signal(signal.SIGTERM)
            assert server.wait(10) == 0
            assert idle.is_closed()
        assert "Traceback" not in server.stderr_text


def test_bind_ipv6(app_dir):
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
            port = probe.getsockname()[1]
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with server_process(["myapps:application", "-b", f"[::1]:{port}"],
                        cwd=str(app_dir)) as server:
        assert server.wait_for_stderr("listening"), server.stderr_text
        assert get(port, "/v6", host="::1").body == b"myapps /v6"
        assert f"http://[::1]:{port}" in server.stderr_text
