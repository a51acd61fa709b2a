"""The master process, live: signals under load, respawn, orphans, the watchdog, boot errors.

Each test starts the real server (`python -m wsgiserver`) in its own session,
puts it under a bounded load from threads in the test and counts the failed
requests (refused, reset, short, non-2xx).
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.helpers import Client, children_of, free_port, run_cli, server_process, wait_until
from tests.process.loadgen import Load, alive, refused

APP_V1 = '''
import os, time
VERSION = b"v1"
def application(environ, start_response):
    if environ["PATH_INFO"] == "/sleep":
        time.sleep(30)
    body = VERSION + b" " + str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
'''
HANGING_IMPORT = "import time\ntime.sleep(60)  # a database that never answers, say\n"
QUIET = {"PYTHONDONTWRITEBYTECODE": "1"}  # a rewritten module is never read from a stale .pyc


def write_app(folder, version: str = "v1") -> None:
    (folder / "reloadapp.py").write_text(APP_V1.replace('b"v1"', f'b"{version}"'))


def start(tmp_path, workers: int, *extra: str):
    write_app(tmp_path)
    port = free_port()
    args = ["reloadapp:application", "-b", f"127.0.0.1:{port}", "-w", str(workers),
            "--static-root", "/nonexistent", "--graceful-timeout", "3", *extra]
    return port, server_process(args, cwd=str(tmp_path), env=QUIET)


def wait_ready(server, port: int) -> None:
    server.wait_for_port(port)
    assert server.wait_for_stderr("listening at"), server.stderr_text  # a worker serves


def wait_for_workers(server, count: int, timeout: float = 10.0) -> list[int]:
    assert wait_until(lambda: len(children_of(server.proc.pid)) == count, timeout), (
        children_of(server.proc.pid), server.stderr_text)
    return children_of(server.proc.pid)


def served_by(bodies) -> set[int]:
    """The pids of the workers that answered these bodies ("v1 <pid>")."""
    return {int(body.split()[1]) for body in bodies}


def versions(load: Load) -> set[bytes]:
    return {body.split()[0] for body in load.bodies}


@pytest.mark.parametrize("workers", [1, 2])
def test_hup_loads_new_code_and_no_request_fails(tmp_path, workers):
    port, process = start(tmp_path, workers)
    with process as server:
        wait_ready(server, port)
        old = set(wait_for_workers(server, workers))
        with Load(port, max_requests=50_000, max_seconds=30) as load:
            assert wait_until(lambda: load.ok >= 50, 10)
            write_app(tmp_path, "v2")
            server.signal(signal.SIGHUP)
            assert wait_until(lambda: b"v2" in {b.split()[0] for b in load.last_bodies}, 15)
            assert wait_until(lambda: not (old & set(children_of(server.proc.pid))), 10)
            done = load.done
            assert wait_until(lambda: load.done >= done + 50, 10)
        assert load.failures == [], load.failures[:5]
        assert versions(load) == {b"v1", b"v2"}
        assert len(children_of(server.proc.pid)) == workers
        assert "Traceback" not in server.stderr_text


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize(("source", "extra", "logged", "wait"), [
    ("def application(:\n", (), "syntax error", 10),
    (HANGING_IMPORT + APP_V1, ("--timeout", "2"),
     "had not loaded the app after --timeout 2 s", 15),
], ids=["syntax-error", "import-hangs"])
def test_hup_to_code_that_cannot_load_keeps_the_old_workers(tmp_path, workers, source, extra,
                                                           logged, wait):
    port, process = start(tmp_path, workers, *extra)
    with process as server:
        wait_ready(server, port)
        old = set(wait_for_workers(server, workers))
        with Load(port, max_requests=50_000, max_seconds=30) as load:
            # Every old worker has loaded v1 before the code breaks: one still booting
            # would load the broken code too (the failure this test once showed).
            assert wait_until(lambda: served_by(load.bodies) == old, 10), load.bodies
            (tmp_path / "reloadapp.py").write_text(source)
            server.signal(signal.SIGHUP)
            assert server.wait_for_stderr("reload failed", timeout=wait), server.stderr_text
            load.forget_bodies()
            assert wait_until(lambda: served_by(load.last_bodies) == old, 10), load.last_bodies
        assert load.failures == [], load.failures[:5]
        assert versions(load) == {b"v1"}
        assert logged in server.stderr_text
        # the other new worker was stopped with the revert and may still be exiting
        assert wait_until(lambda: set(children_of(server.proc.pid)) == old, 10), (
            children_of(server.proc.pid), server.stderr_text)
        assert server.proc.poll() is None


@pytest.mark.parametrize("workers", [1, 2])
def test_ttin_then_ttou_under_load(tmp_path, workers):
    port, process = start(tmp_path, workers)
    with process as server:
        wait_ready(server, port)
        wait_for_workers(server, workers)
        with Load(port, max_requests=50_000, max_seconds=30) as load:
            server.signal(signal.SIGTTIN)
            wait_for_workers(server, workers + 1)
            assert wait_until(lambda: len({b.split()[1] for b in load.bodies}) == workers + 1, 10)
            server.signal(signal.SIGTTOU)
            wait_for_workers(server, workers)
            done = load.done
            assert wait_until(lambda: load.done >= done + 50, 10)
        assert load.failures == [], load.failures[:5]


def test_ttou_never_goes_below_one_worker(tmp_path):
    port, process = start(tmp_path, 1)
    with process as server:
        wait_ready(server, port)
        [worker] = wait_for_workers(server, 1)
        server.signal(signal.SIGTTOU)
        assert server.wait_for_stderr("keeping the last worker")
        assert children_of(server.proc.pid) == [worker]


def test_max_requests_recycles_workers_and_nothing_fails(tmp_path):
    port, process = start(tmp_path, 2, "--max-requests", "50", "--max-requests-jitter", "10")
    with process as server:
        wait_ready(server, port)
        wait_for_workers(server, 2)
        with Load(port, max_requests=2000, max_seconds=60) as load:
            assert wait_until(load.finished, 60)
        assert load.ok == 2000, load.failures[:5]
        assert load.failures == []
        assert len(served_by(load.bodies)) > 4, load.bodies  # workers were replaced
        assert "wants replacing" in server.stderr_text  # the server asked, the master acted
        assert "Traceback" not in server.stderr_text


@pytest.mark.parametrize("workers", [1, 2])
def test_kill_9_of_the_master_leaves_no_worker(tmp_path, workers):
    port, process = start(tmp_path, workers)
    with process as server:
        wait_ready(server, port)
        pids = wait_for_workers(server, workers)
        server.proc.kill()
        server.proc.wait(5)
        time.sleep(3)
        assert [pid for pid in pids if alive(pid)] == []


@pytest.mark.parametrize("workers", [1, 2])
def test_kill_9_of_a_worker_costs_only_its_requests(tmp_path, workers):
    port, process = start(tmp_path, workers)
    with process as server:
        wait_ready(server, port)
        victim, *survivors = wait_for_workers(server, workers)
        with Load(port, clients=4, max_requests=50_000, max_seconds=30) as load:
            assert wait_until(lambda: load.ok >= 100, 10)
            os.kill(victim, signal.SIGKILL)
            assert wait_until(
                lambda: len(set(children_of(server.proc.pid)) - {victim}) == workers, 10)
            done = load.done
            assert wait_until(lambda: load.done >= done + 100, 10)
        # At most the requests in flight on the victim: one per client.
        assert len(load.failures) <= 4, load.failures
        assert set(survivors) <= set(children_of(server.proc.pid))
        assert "starting a new one" in server.stderr_text


@pytest.mark.parametrize("workers", [1, 2])
def test_watchdog_replaces_a_worker_whose_loop_is_blocked(tmp_path, workers):
    port, process = start(tmp_path, workers, "--threads", "0", "--timeout", "2")
    with process as server:
        wait_ready(server, port)
        pids = wait_for_workers(server, workers)
        blocker = Client("127.0.0.1", port)
        blocker.send(b"GET /sleep HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            assert wait_until(lambda: any(not alive(pid) for pid in pids), 10), \
                server.stderr_text
            assert blocker.is_closed(5)
        finally:
            blocker.close()
        [stuck] = [pid for pid in pids if not alive(pid)]  # only the blocked one
        fresh = wait_for_workers(server, workers)
        assert stuck not in fresh and set(pids) - {stuck} <= set(fresh)
        with Client("127.0.0.1", port) as client:
            assert client.request("/").status == 200
        assert "silent" in server.stderr_text and "aborting" in server.stderr_text
        assert "time.sleep(30)" in server.stderr_text  # the stack of the blocked loop


@pytest.mark.parametrize("workers", [1, 2])
def test_term_refuses_new_connections_and_finishes_in_flight_ones(tmp_path, workers):
    (tmp_path / "slowapp.py").write_text(
        "import time\n"
        "def application(environ, start_response):\n"
        "    time.sleep(1.5)\n"
        "    start_response('200 OK', [('Content-Length', '4')])\n"
        "    return [b'done']\n")
    port = free_port()
    args = ["slowapp:application", "-b", f"127.0.0.1:{port}", "-w", str(workers),
            "--static-root", "/nonexistent", "--graceful-timeout", "5"]
    with server_process(args, cwd=str(tmp_path), env=QUIET) as server:
        wait_ready(server, port)
        wait_for_workers(server, workers)
        with Client("127.0.0.1", port) as slow:
            slow.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(0.3)
            server.signal(signal.SIGTERM)
            assert wait_until(lambda: refused(port), 1.0)
            assert slow.read_response().body == b"done"
        assert server.wait(10) == 0
        assert "Traceback" not in server.stderr_text


@pytest.mark.parametrize("workers", [1, 2])
def test_int_is_a_quick_stop(tmp_path, workers):
    port, process = start(tmp_path, workers, "--graceful-timeout", "20")
    with process as server:
        wait_ready(server, port)
        wait_for_workers(server, workers)
        with Client("127.0.0.1", port) as sleeper:
            sleeper.send(b"GET /sleep HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(0.3)
            server.signal(signal.SIGINT)
            assert server.wait(8) == 0  # not the 20 s a graceful stop would wait
        assert "Traceback" not in server.stderr_text


@pytest.mark.parametrize("workers", [1, 2])
def test_winch_stops_the_workers_and_keeps_the_master(tmp_path, workers):
    port, process = start(tmp_path, workers)
    with process as server:
        wait_ready(server, port)
        wait_for_workers(server, workers)
        server.signal(signal.SIGWINCH)
        wait_for_workers(server, 0)
        assert server.proc.poll() is None
        server.signal(signal.SIGTTIN)
        wait_for_workers(server, 1)
        with Client("127.0.0.1", port) as client:
            assert client.request("/").status == 200


@pytest.mark.parametrize("workers", [1, 2])
def test_usr1_reopens_the_access_log(tmp_path, workers):
    log = tmp_path / "access.log"
    port, process = start(tmp_path, workers, "--access-logfile", str(log))
    with process as server:
        wait_ready(server, port)
        wait_for_workers(server, workers)
        with Client("127.0.0.1", port) as client:
            assert client.request("/before").status == 200
        assert wait_until(lambda: "/before" in log.read_text())
        log.rename(tmp_path / "access.log.1")
        server.signal(signal.SIGUSR1)
        assert wait_until(log.exists), server.stderr_text
        for _ in range(4):  # whichever worker answers, its file was reopened
            with Client("127.0.0.1", port) as client:
                assert client.request("/after").status == 200
        assert wait_until(lambda: log.read_text().count("/after") == 4)


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("source", ["def application(:\n", "x = 1\n", "import no_such_xyz\n"],
                         ids=["syntax-error", "missing-attribute", "import-error"])
def test_an_app_that_cannot_load_gives_one_line_and_exit_2(tmp_path, workers, source):
    (tmp_path / "badapp.py").write_text(source)
    result = run_cli(["badapp:application", str(free_port()), "-w", workers],
                     cwd=str(tmp_path), env=QUIET)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wsgiserver: error:"), result.stderr



@pytest.mark.parametrize("workers", ["1", "2"])
def test_an_app_import_that_hangs_is_one_line_and_exit_2(tmp_path, workers):
    (tmp_path / "hangs.py").write_text(HANGING_IMPORT + "def application(e, s): pass\n")
    result = run_cli(["hangs:application", str(free_port()), "-w", workers, "--timeout", "2"],
                     cwd=str(tmp_path), env=QUIET)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("wsgiserver: error: worker "), result.stderr
    assert lines[-1].endswith("had not loaded the app after --timeout 2 s"), result.stderr
    assert 'hangs.py", line 2, in <module>' in result.stderr  # where the import hung
    assert "Traceback" not in result.stderr
