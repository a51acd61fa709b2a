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
    assert f"http://127.0.0.1:{added} from now on" in server.stderr_text  # it was bound
    assert wait_until(lambda: refused(added), 10), server.stderr_text
    assert serves(port)


@pytest.mark.parametrize("started", [1, 2], indirect=True)
def test_a_dropped_address_comes_back_when_the_new_code_is_broken(started):
    server, folder, port, workers = started
    old = set(children_of(server.proc.pid))
    moved = free_port()
    (folder / "reloadapp.py").write_text("def application(:\n")
    write_config(folder, moved, workers=workers)
    server.signal(signal.SIGHUP)
    assert server.wait_for_stderr("reload failed: a new worker could not boot"), \
        server.stderr_text
    assert wait_until(lambda: refused(moved), 10), server.stderr_text
    with Load(port, max_requests=200, max_seconds=20) as load:  # the old address, served
        assert wait_until(load.finished, 20)
    assert load.ok == 200, load.failures[:5]
    assert wait_until(lambda: set(children_of(server.proc.pid)) == old, 10)


SLOW_V2 = "import time\ntime.sleep(3)  # still booting when the next HUP comes\n"


@pytest.mark.parametrize("started", [1, 2], indirect=True)
def test_two_pending_reloads_that_fail_return_to_the_first_state(started):
    """A HUP whose workers are still booting, then a HUP to broken code: the master
    returns to the workers and address from before both."""
    server, folder, port, workers = started
    old = set(children_of(server.proc.pid))
    added = free_port()
    (folder / "reloadapp.py").write_text(SLOW_V2 + APP_V1.replace('b"v1"', 'b"v2"'))
    write_config(folder, added, workers=workers)
    server.signal(signal.SIGHUP)
    assert server.wait_for_stderr(f"http://127.0.0.1:{added} from now on"), server.stderr_text
    (folder / "reloadapp.py").write_text("def application(:\n")
    server.signal(signal.SIGHUP)
    assert server.wait_for_stderr("reload failed: a new worker could not boot", timeout=15), \
        server.stderr_text
    assert wait_until(lambda: set(children_of(server.proc.pid)) == old, 15), (
        children_of(server.proc.pid), server.stderr_text)
    assert wait_until(lambda: refused(added), 10), server.stderr_text
    with Client("127.0.0.1", port) as client:
        assert client.request("/").body.split()[0] == b"v1"


def test_hup_while_stopping_is_ignored_and_binds_nothing(tmp_path):
    (tmp_path / "reloadapp.py").write_text(APP_V1)
    port, added = free_port(), free_port()
    write_config(tmp_path, port, workers=1)
    args = ["reloadapp:application", "-c", str(tmp_path / "conf.py"), "--static-root",
            "/nonexistent", "--graceful-timeout", "5"]
    with server_process(args, cwd=str(tmp_path), env=QUIET) as server:
        server.wait_for_port(port)
        assert server.wait_for_stderr("listening at"), server.stderr_text
        with Client("127.0.0.1", port) as sleeper:
            sleeper.send(b"GET /sleep HTTP/1.1\r\nHost: x\r\n\r\n")  # keeps it draining
            server.signal(signal.SIGTERM)
            assert wait_until(lambda: refused(port), 5)
            write_config(tmp_path, port, added, workers=1)
            server.signal(signal.SIGHUP)
            assert server.wait_for_stderr("master got SIGHUP while stopping: ignored"), \
                server.stderr_text
            assert refused(added) and refused(port)


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
