"""--workers N: pre-forked worker processes sharing the listening socket."""

import os
import signal
import threading
import urllib.error
import urllib.request

import pytest

from tests.helpers import children_of, free_port, server_process, wait_until


def children_of_any(pid):
    return children_of(pid, live_only=False)  # zombies too


def get(port, path="/"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return response.read().decode()


@pytest.fixture
def two_workers(tmp_path):
    port = free_port()
    booted = tmp_path / "booted"
    args = ["tests.data.pidapp:application", "-b", f"127.0.0.1:{port}", "-w", "2",
            "--threads", "0", "--static-root", "/nonexistent"]
    with server_process(args, env={"PIDAPP_BOOTED": str(booted)}) as server:
        server.wait_for_port(port)
        assert wait_until(lambda: len(children_of_any(server.proc.pid)) == 2)
        # Both have loaded the app (after fork), so both can accept.
        assert wait_until(lambda: booted.exists() and len(booted.read_text().split()) == 2)
        yield server, port


def test_requests_are_spread_over_worker_processes(two_workers):
    server, port = two_workers
    pids, threads = set(), []

    def fetch():
        pids.add(get(port, "/slow"))

    for _ in range(6):
        threads.append(threading.Thread(target=fetch))
        threads[-1].start()
    for thread in threads:
        thread.join(15)
    # Each worker runs the app inline and sleeps, so a busy worker cannot accept.
    assert pids == {str(pid) for pid in children_of_any(server.proc.pid)}
    assert len(pids) == 2


def test_a_dead_worker_is_replaced(two_workers):
    server, port = two_workers
    before = set(children_of_any(server.proc.pid))
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        get(port, "/die")
    assert wait_until(lambda: len(set(children_of_any(server.proc.pid)) - before) == 1, 10)
    assert len(children_of_any(server.proc.pid)) == 2
    assert get(port).isdigit()
    assert "exited (exit code 3); starting a new one" in server.stderr_text


def test_sigterm_stops_parent_and_workers(two_workers):
    server, port = two_workers
    workers = children_of_any(server.proc.pid)
    server.signal(signal.SIGTERM)
    assert server.wait() == 0
    assert all(not os.path.exists(f"/proc/{pid}") or _is_zombie(pid) for pid in workers)
    assert "Traceback" not in server.stderr_text


def _is_zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
