"""HUP after the config file changed: a new --bind (new addresses served, dropped ones
refused once the old workers stop, unchanged ones never miss a request) and new
logging settings take effect; a setting that cannot take effect fails the reload."""

from __future__ import annotations

import signal
import socket

import pytest

from tests.helpers import Client, children_of, free_port, server_process, wait_until
from tests.process.loadgen import Load, refused
from tests.process.test_arbiter import APP_V1, QUIET


def write_config(folder, *ports: int, workers: int, extra: str = "") -> None:
    binds = [f"127.0.0.1:{port}" for port in ports]
    (folder / "conf.py").write_text(f"bind = {binds!r}\nworkers = {workers}\n{extra}")


def serves(port: int) -> bool:
    try:
        with Client("127.0.0.1", port) as client:
            return client.request("/").status == 200
    except OSError:
        return False


@pytest.fixture
def started(tmp_path, request):
    """A master whose --bind comes from conf.py; yields (server, folder, first port)."""
    workers = request.param
    (tmp_path / "reloadapp.py").write_text(APP_V1)
    port = free_port()
    write_config(tmp_path, port, workers=workers)
    args = ["reloadapp:application", "-c", str(tmp_path / "conf.py"), "--static-root",
            "/nonexistent", "--graceful-timeout", "3"]
    with server_process(args, cwd=str(tmp_path), env=QUIET) as server:
        server.wait_for_port(port)
        assert server.wait_for_stderr("listening at"), server.stderr_text
        assert wait_until(lambda: len(children_of(server.proc.pid)) == workers)
        yield server, tmp_path, port, workers


@pytest.mark.parametrize("started", [1, 2], indirect=True)
def test_an_added_address_is_served_and_the_kept_one_loses_nothing(started):
    server, folder, port, workers = started
    old = set(children_of(server.proc.pid))
    added = free_port()
    with Load(port, max_requests=50_000, max_seconds=30) as load:
        assert wait_until(lambda: load.ok >= 50, 10)
        write_config(folder, port, added, workers=workers)
        server.signal(signal.SIGHUP)
        assert wait_until(lambda: serves(added), 10), server.stderr_text
        assert wait_until(lambda: not old & set(children_of(server.proc.pid)), 10)
        done = load.done
        assert wait_until(lambda: load.done >= done + 50, 10)
    assert load.failures == [], load.failures[:5]
    assert f"listening at http://127.0.0.1:{port}, http://127.0.0.1:{added} from now on" \
        in server.stderr_text


@pytest.mark.parametrize("started", [1, 2], indirect=True)
def test_a_dropped_address_is_refused_once_the_old_workers_stop(started):
    server, folder, port, workers = started
    moved = free_port()
    write_config(folder, moved, workers=workers)
    server.signal(signal.SIGHUP)
    assert wait_until(lambda: serves(moved), 10), server.stderr_text
    assert wait_until(lambda: refused(port), 10), server.stderr_text
    with Load(moved, max_requests=200, max_seconds=20) as load:
        assert wait_until(load.finished, 20)
    assert load.ok == 200, load.failures[:5]


@pytest.mark.parametrize("started", [2], indirect=True)
def test_an_address_in_use_fails_the_reload_and_changes_nothing(started):
    server, folder, port, workers = started
    old = set(children_of(server.proc.pid))
    with socket.create_server(("127.0.0.1", 0)) as taken:
        busy = taken.getsockname()[1]
        write_config(folder, port, busy, workers=workers)
        server.signal(signal.SIGHUP)
        assert server.wait_for_stderr("reload failed, keeping the current settings: "
                                      f"cannot listen on 127.0.0.1:{busy}"), server.stderr_text
    server.signal(signal.SIGTTIN)  # the master has gone round its loop since
    assert wait_until(lambda: len(children_of(server.proc.pid)) == workers + 1, 10)
    assert old <= set(children_of(server.proc.pid))  # the old workers were kept
    assert serves(port)


@pytest.mark.parametrize("started", [1, 2], indirect=True)
def test_a_reload_whose_code_is_broken_closes_the_new_address_again(started):
    server, folder, port, workers = started
    added = free_port()
    (folder / "reloadapp.py").write_text("def application(:\n")
    write_config(folder, port, added, workers=workers)
    server.signal(signal.SIGHUP)
    assert server.wait_for_stderr("reload failed: a new worker could not boot"), \
        server.stderr_text
    assert wait_until(lambda: refused(added), 10), server.stderr_text
    assert serves(port)


@pytest.mark.parametrize("started", [1, 2], indirect=True)
def test_new_logging_settings_take_effect(started):
    server, folder, port, workers = started
    old = set(children_of(server.proc.pid))
    access, errors = folder / "access.log", folder / "error.log"
    write_config(folder, port, workers=workers, extra=(
        f"accesslog = {str(access)!r}\nerrorlog = {str(errors)!r}\nloglevel = 'debug'\n"))
    server.signal(signal.SIGHUP)
    assert wait_until(lambda: not old & set(children_of(server.proc.pid)), 10)
    assert serves(port)
    assert wait_until(lambda: access.exists() and '"GET / HTTP/1.1" 200' in access.read_text())
    # the master's own lines, at debug level, now go to the new error log
    assert wait_until(lambda: errors.exists() and "[DEBUG] worker" in errors.read_text()), \
        (errors.read_text() if errors.exists() else "no error log", server.stderr_text)


@pytest.mark.parametrize("started", [2], indirect=True)
def test_a_log_file_that_cannot_be_opened_fails_the_reload(started):
    server, folder, port, workers = started
    old = set(children_of(server.proc.pid))
    write_config(folder, port, workers=workers, extra="errorlog = '/nonexistent/dir/e.log'\n")
    server.signal(signal.SIGHUP)
    assert server.wait_for_stderr("reload failed, keeping the current settings: cannot open "
                                  "log file /nonexistent/dir/e.log"), server.stderr_text
    server.signal(signal.SIGTTIN)  # the master has gone round its loop since
    assert wait_until(lambda: len(children_of(server.proc.pid)) == workers + 1, 10)
    assert old <= set(children_of(server.proc.pid))
    assert "master got SIGTTIN" in server.stderr_text  # still logging to stderr
