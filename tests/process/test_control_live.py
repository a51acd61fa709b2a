"""`wsgiserver ctl` against a live master started with --control-socket."""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
import urllib.request

import pytest

from tests.helpers import children_of, free_port, run_cli, server_process, wait_until
from tests.process.test_control import _as_nobody


def get(port: int, path: str = "/") -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return response.read().decode()


def ctl(path: str, *words: str):
    return run_cli(["ctl", "-s", path, *words])


def ctl_json(path: str, *words: str):
    result = ctl(path, "-j", *words)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def read(folder: str, name: str) -> str:
    try:
        with open(os.path.join(folder, name)) as log:
            return log.read()
    except FileNotFoundError:
        return ""


def worker_pids(path: str) -> set[int]:
    return {w["pid"] for w in ctl_json(path, "show", "workers")["workers"]}


@pytest.fixture
def master():
    folder = tempfile.mkdtemp(prefix="ctl-live-", dir="/tmp")
    path = os.path.join(folder, "master.ctl")
    port = free_port()
    args = ["tests.data.pidapp:application", "-b", f"127.0.0.1:{port}", "-w", "2",
            "--threads", "0", "--static-root", "/nonexistent", "--control-socket", path,
            "--access-logfile", os.path.join(folder, "access.log"),
            "--error-logfile", os.path.join(folder, "error.log")]
    try:
        with server_process(args) as server:
            server.wait_for_port(port)
            assert wait_until(lambda: os.path.exists(path)), read(folder, "error.log")
            assert wait_until(lambda: len(children_of(server.proc.pid, live_only=False)) == 2)
            yield server, port, path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_the_socket_is_the_owners_alone(master):
    _, _, path = master
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_show_workers_stats_and_config(master):
    server, port, path = master
    served = {int(get(port)) for _ in range(6)}
    workers = ctl_json(path, "show", "workers")
    assert workers["count"] == 2
    children = children_of(server.proc.pid, live_only=False)
    assert {w["pid"] for w in workers["workers"]} == set(children)
    assert served <= {w["pid"] for w in workers["workers"]}
    assert all(w["state"] == "ready" and w["last_heartbeat"] < 5 for w in workers["workers"])
    # each worker's own count, from its scoreboard slot (published once per tick)
    assert wait_until(lambda: sum(w["requests"] for w in ctl_json(
        path, "show", "workers")["workers"]) == 6, timeout=5)
    # workers publish their counters once per loop tick (about a second)
    assert wait_until(lambda: ctl_json(path, "show", "stats")["requests"] >= 6, timeout=5)
    assert ctl_json(path, "show", "stats")["master_pid"] == server.proc.pid
    assert ctl_json(path, "show", "config")["workers"] == 2
    text = ctl(path, "show", "workers").stdout.splitlines()
    assert text[0].split()[:3] == ["PID", "AGE", "STATE"] and text[-1] == "2 workers"


def test_worker_add_remove_and_reload(master):
    server, port, path = master
    assert "adding 1 worker" in ctl(path, "worker", "add").stdout
    assert wait_until(lambda: len(worker_pids(path)) == 3, timeout=10)
    assert ctl(path, "worker", "remove", "2").returncode == 0
    assert wait_until(lambda: len(worker_pids(path)) == 1, timeout=10)
    before = worker_pids(path)
    assert ctl(path, "reload").returncode == 0
    # A reload re-reads the settings, as gunicorn's HUP: the count is -w's 2 again.
    assert wait_until(lambda: (p := worker_pids(path)) and not p & before and len(p) == 2,
                      timeout=10)
    assert int(get(port)) in worker_pids(path)


def test_reopen_reopens_the_master_and_worker_logs(master):
    server, port, path = master
    folder = os.path.dirname(path)
    get(port)
    assert wait_until(lambda: "GET / " in read(folder, "access.log"))
    for name in ("access.log", "error.log"):  # what logrotate does before it signals
        os.rename(os.path.join(folder, name), os.path.join(folder, name + ".1"))
    assert ctl(path, "reopen").returncode == 0
    # the master's log line about the signal, then both workers' access lines, go to
    # new files (a worker reopens on its own loop: ask until one answers from there)
    assert wait_until(lambda: "master got SIGUSR1" in read(folder, "error.log.1"))
    assert wait_until(lambda: get(port) and "GET / " in read(folder, "access.log"))
    assert ctl(path, "worker", "add").returncode == 0
    assert wait_until(lambda: "master got SIGTTIN" in read(folder, "error.log"))


def test_another_uid_is_refused(master):
    server, _, path = master
    before = worker_pids(path)
    assert _as_nobody(path) == "refused"  # 0600: the file system says no
    os.chmod(path, 0o666)  # opened up by mistake: the master checks the peer's uid
    assert _as_nobody(path) == "permission denied"
    assert wait_until(lambda: "refused a client with uid" in read(
        os.path.dirname(path), "error.log"))
    assert worker_pids(path) == before  # the `reload` it sent was not acted on


def test_no_worker_holds_the_control_socket(master):
    server, _, path = master
    inode = _unix_socket_inode(path)
    # A worker seen just after fork has not reached after_fork yet: each must let go
    # of its copy soon (one that never closes it keeps it for good).
    for pid in children_of(server.proc.pid, live_only=False):
        assert wait_until(lambda pid=pid: f"socket:[{inode}]" not in _fds_of(pid)), pid
    assert f"socket:[{inode}]" in {os.readlink(f"/proc/{server.proc.pid}/fd/{fd}")
                                    for fd in os.listdir(f"/proc/{server.proc.pid}/fd")}


def _fds_of(pid: int) -> set[str]:
    try:
        return {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
    except FileNotFoundError:  # gone (or one of its fds closed as we looked)
        return set()


def _unix_socket_inode(path: str) -> str:
    with open("/proc/net/unix") as table:
        for line in table:
            fields = line.split()
            if fields[-1] == path:
                return fields[6]
    raise AssertionError(f"{path} is not in /proc/net/unix")


def test_a_mistake_is_one_line(master):
    _, _, path = master
    result = ctl(path, "worker", "fly")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "wsgiserver ctl: unknown command 'worker fly' (try: help)\n"


@pytest.mark.parametrize("mode", ["graceful", "quick"])
def test_shutdown_stops_the_master_and_removes_the_socket(master, mode):
    server, _, path = master
    assert ctl(path, "shutdown", mode).returncode == 0
    assert server.wait(15) == 0
    assert not os.path.exists(path)
    result = ctl(path, "show", "workers")
    assert result.returncode == 1 and result.stderr == f"wsgiserver ctl: no server at {path}\n"
