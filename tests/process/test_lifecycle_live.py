"""The master's lifecycle through the real CLI (issue 10): SIGTERM under 50 kept-alive
clients for one and two workers, an app call hanging past --timeout with threads,
every server hook live from a config file, and --worker-connections under a master.

Each test counts its failed requests and wants none: the count is in the
assertion's message when it is not 0.
"""

from __future__ import annotations

import json
import os
import signal

import pytest

from tests.helpers import Client, children_of, free_port, make_request, server_process, wait_until
from tests.net.test_graceful_stop import CLIENTS, term_under_kept_alive_clients
from tests.process.loadgen import Load, alive
from tests.process.test_arbiter import QUIET, wait_for_workers, wait_ready
from wsgiserver.testing import live_server

# -- 1. SIGTERM while 50 kept-alive clients are mid-request --

@pytest.mark.parametrize("workers", [1, 2])
def test_term_under_50_kept_alive_clients_loses_nothing(tmp_path, workers):
    port = free_port()
    started = tmp_path / "started"
    args = ["tests.data.lifecycle_app:application", "-b", f"127.0.0.1:{port}",
            "-w", str(workers), "--threads", "16", "--graceful-timeout", "5",
            "--keep-alive", "30", "--static-root", str(tmp_path)]
    with server_process(args, env={"STARTED_FILE": str(started), **QUIET}) as server:
        wait_ready(server, port)
        wait_for_workers(server, workers)
        failures = term_under_kept_alive_clients(server, port, started)
        assert failures == [], f"{len(failures)} of {CLIENTS} clients failed: {failures[:3]}"
        assert server.wait(15) == 0
        assert "Traceback" not in server.stderr_text


# -- 2. an app call hanging past --timeout, with threads, under the master --

HANGING_APP = '''
import os, time

def sleep_far_past_the_timeout():
    time.sleep(8)

def application(environ, start_response):
    if environ["PATH_INFO"] == "/hang":
        sleep_far_past_the_timeout()
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
'''


def test_a_hanging_threaded_call_gets_504_its_stack_and_a_new_worker(tmp_path):
    (tmp_path / "hangapp.py").write_text(HANGING_APP)
    port = free_port()
    args = ["hangapp:application", "-b", f"127.0.0.1:{port}", "-w", "1", "--threads", "4",
            "--timeout", "2", "--graceful-timeout", "3", "--keep-alive", "30",
            "--static-root", "/nonexistent"]
    with server_process(args, cwd=str(tmp_path), env=QUIET) as server:
        wait_ready(server, port)
        [old] = wait_for_workers(server, 1)
        with Load(port, clients=2, max_requests=50_000, max_seconds=30) as load, \
                Client("127.0.0.1", port) as kept, Client("127.0.0.1", port) as stuck:
            assert kept.request("/").body == str(old).encode()
            assert wait_until(lambda: load.ok >= 20, 10)
            stuck.send(make_request("/hang"))
            response = stuck.read_response()
            assert response.status == 504, response
            # The same worker serves its kept connection while its thread is stuck.
            assert kept.request("/").body == str(old).encode()
            assert wait_until(lambda: [p for p in children_of(server.proc.pid) if p != old], 10)
            [fresh] = [p for p in children_of(server.proc.pid) if p != old]
            # The old one exits once its connections are done or after the grace.
            assert wait_until(lambda: not alive(old), 10), server.stderr_text
            done = load.done
            assert wait_until(lambda: load.done >= done + 50, 10), (
                load.done, load.finished(), load.failures[:3], server.stderr_text)
            assert str(fresh).encode() in load.last_bodies
        assert load.failures == [], f"{len(load.failures)} failed: {load.failures[:5]}"
        assert "sleep_far_past_the_timeout" in server.stderr_text  # the thread's stack
        assert "over --timeout 2" in server.stderr_text
        assert "wants replacing: stuck app threads" in server.stderr_text
        assert wait_for_workers(server, 1) == [fresh]


# -- 3. the hooks, live, from a config file --

HOOKS_CONF = '''
import json, os

_LOG = os.environ["HOOK_LOG"]

def _line(name, **fields):
    with open(_LOG, "a") as file:
        file.write(json.dumps(dict(hook=name, pid=os.getpid(), **fields)) + "\\n")

def _server(server):
    server.log.info("hook sees server %s", type(server).__name__)
    return dict(server=type(server).__name__, server_cfg=server.cfg.graceful_timeout)

def _worker(worker):
    worker.log.info("hook sees worker %s", worker.pid)
    return dict(worker=type(worker).__name__, worker_pid=worker.pid, age=worker.age)

def on_starting(server): _line("on_starting", **_server(server))
def on_reload(server): _line("on_reload", **_server(server))
def when_ready(server): _line("when_ready", **_server(server))
def pre_fork(server, worker): _line("pre_fork", **_server(server), **_worker(worker))
def post_fork(server, worker): _line("post_fork", **_server(server), **_worker(worker))
def post_worker_init(worker): _line("post_worker_init", **_worker(worker))
def worker_int(worker): _line("worker_int", **_worker(worker))
def worker_abort(worker): _line("worker_abort", **_worker(worker))
def child_exit(server, worker): _line("child_exit", **_server(server), **_worker(worker))
def worker_exit(server, worker): _line("worker_exit", **_server(server), **_worker(worker))
def on_exit(server): _line("on_exit", **_server(server))

def pre_request(worker, req):
    _line("pre_request", **_worker(worker), method=req.method, target=req.target.decode())

def post_request(worker, req, environ, resp):
    _line("post_request", **_worker(worker), target=req.target.decode(),
          path=environ["PATH_INFO"], status=resp.status_code)
    if req.target == b"/boom":
        raise RuntimeError("post_request blew up")

def nworkers_changed(server, new_value, old_value):
    _line("nworkers_changed", **_server(server), new=new_value, old=old_value)
    raise RuntimeError("nworkers_changed blew up")
'''

SLEEPY_APP = '''
import os, time

def application(environ, start_response):
    if environ["PATH_INFO"] == "/sleep":
        time.sleep(30)
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
'''

MASTER_HOOKS = ("on_starting", "on_reload", "when_ready", "pre_fork", "child_exit",
                "nworkers_changed", "on_exit")
WORKER_HOOKS = ("post_fork", "post_worker_init", "worker_int", "worker_abort", "pre_request",
                "post_request", "worker_exit")


def read_hooks(path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def named(lines: list[dict], hook: str) -> list[dict]:
    return [line for line in lines if line["hook"] == hook]


def get(port: int, target: str) -> int:
    with Client("127.0.0.1", port) as client:
        return client.request(target).status


def _drive_through_the_lifecycle(server, port: int, log) -> int:
    """Requests, TTIN, HUP, a watchdog abort, INT to a worker; the INT'd worker's pid."""
    wait_ready(server, port)
    [first] = wait_for_workers(server, 1)
    assert get(port, "/a") == 200
    assert get(port, "/boom") == 200  # post_request raises after the response went out
    assert get(port, "/b") == 200  # and the worker goes on serving
    server.signal(signal.SIGTTIN)  # nworkers_changed raises: the master goes on
    two = wait_for_workers(server, 2)
    server.signal(signal.SIGHUP)  # back to -w 1, as gunicorn's HUP
    assert wait_until(lambda: len(children_of(server.proc.pid)) == 1
                      and not set(two) & set(children_of(server.proc.pid)), 15), (
        two, children_of(server.proc.pid), server.stderr_text)
    with Client("127.0.0.1", port) as blocker:  # --threads 0: the loop blocks
        blocker.send(make_request("/sleep"))
        assert wait_until(lambda: named(read_hooks(log), "worker_abort"), 15), server.stderr_text
    [aborted] = named(read_hooks(log), "worker_abort")
    assert wait_until(lambda: not alive(aborted["pid"]), 10)
    [victim] = wait_for_workers(server, 1)
    assert victim != aborted["pid"]
    # Its signals are the worker's own once it has loaded the app (post_worker_init).
    assert wait_until(lambda: victim in {line["pid"] for line in
                                         named(read_hooks(log), "post_worker_init")}, 10)
    os.kill(victim, signal.SIGINT)
    assert wait_until(lambda: not alive(victim), 10)
    wait_for_workers(server, 1)
    assert get(port, "/c") == 200
    assert first not in children_of(server.proc.pid)
    return victim


def test_every_hook_runs_in_its_process_with_gunicorns_arguments(tmp_path):
    (tmp_path / "sleepyapp.py").write_text(SLEEPY_APP)
    (tmp_path / "hooks.conf.py").write_text(HOOKS_CONF)
    log = tmp_path / "hooks.log"
    port = free_port()
    args = ["sleepyapp:application", "-c", "hooks.conf.py", "-b", f"127.0.0.1:{port}",
            "-w", "1", "--threads", "0", "--timeout", "2", "--graceful-timeout", "3",
            "--static-root", "/nonexistent"]
    with server_process(args, cwd=str(tmp_path), env={"HOOK_LOG": str(log), **QUIET}) as server:
        victim = _drive_through_the_lifecycle(server, port, log)
        server.signal(signal.SIGTERM)
        assert server.wait(15) == 0, server.stderr_text
    master = server.proc.pid
    lines = read_hooks(log)
    for hook in MASTER_HOOKS + WORKER_HOOKS:
        assert named(lines, hook), f"{hook} never ran"
    for line in lines:
        if line["hook"] in MASTER_HOOKS:
            assert line["pid"] == master, line
        else:
            assert line["pid"] != master, line
        if "server" in line:
            assert line["server"] == "Arbiter" and line["server_cfg"] == 3, line
        if line["hook"] in WORKER_HOOKS:  # the worker handle is the process's own
            assert line["worker"] == "Worker" and line["worker_pid"] == line["pid"], line
    worker_pids = {line["pid"] for line in named(lines, "post_fork")}
    assert [line["worker_pid"] for line in named(lines, "pre_fork")] == [0] * len(worker_pids)
    assert {line["age"] for line in named(lines, "post_fork")} == set(
        range(1, len(worker_pids) + 1))
    assert {line["worker_pid"] for line in named(lines, "child_exit")} <= worker_pids
    assert victim in {line["worker_pid"] for line in named(lines, "child_exit")}
    assert [line["pid"] for line in named(lines, "worker_int")] == [victim]
    [abort] = named(lines, "worker_abort")
    assert abort["pid"] in worker_pids
    # gunicorn's: set at start (old None), TTIN, then HUP back to the configured -w 1.
    changes = [(line["new"], line["old"]) for line in named(lines, "nworkers_changed")]
    assert changes == [(1, None), (2, 1), (1, 2)], changes
    assert len(named(lines, "on_reload")) == 1 and len(named(lines, "on_exit")) == 1
    targets = [line["target"] for line in named(lines, "pre_request")]
    assert targets[:3] == ["/a", "/boom", "/b"] and "/c" in targets
    assert {line["method"] for line in named(lines, "pre_request")} == {"GET"}
    posted = {line["target"]: line["status"] for line in named(lines, "post_request")}
    assert posted["/a"] == 200 and posted["/boom"] == 200 and posted["/c"] == 200
    # Every worker that exited by itself ran worker_exit (the aborted one too).
    exited = {line["pid"] for line in named(lines, "worker_exit")}
    assert abort["pid"] in exited and victim in exited
    assert worker_pids - exited == set(), (worker_pids, exited)
    stderr = server.stderr_text
    assert "error in the post_request hook" in stderr and "post_request blew up" in stderr
    assert "error in the nworkers_changed hook" in stderr
    assert "hook sees server Arbiter" in stderr and "hook sees worker" in stderr


def test_a_standalone_server_gives_its_hooks_log_and_cfg():
    seen = []

    def when_ready(server):
        server.log.info("ready with %d threads", server.cfg.threads)
        seen.append((server.cfg.threads, server.log.name))

    with live_server(None, threads=3, when_ready=when_ready) as live:
        assert wait_until(lambda: seen, 5)
        assert seen == [(3, "wsgiserver.error")]
        with Client.to(live) as client:
            assert client.request("/").status == 404


# -- 5. --worker-connections under the master --

def _unanswered(client: Client, seconds: float) -> bool:
    client.sock.settimeout(seconds)
    try:
        client.sock.recv(1)  # any byte, or EOF, means it was answered or closed
        return False
    except TimeoutError:
        return True
    finally:
        client.sock.settimeout(10)


def test_worker_connections_under_the_master(tmp_path):
    port = free_port()
    args = ["tests.data.lifecycle_app:application", "-b", f"127.0.0.1:{port}", "-w", "1",
            "--worker-connections", "2", "--keep-alive", "30", "--static-root", str(tmp_path)]
    with server_process(args, env=QUIET) as server:
        wait_ready(server, port)
        wait_for_workers(server, 1)
        held = [Client("127.0.0.1", port) for _ in range(2)]
        try:
            for client in held:
                assert client.request("/").status == 200
            with Client("127.0.0.1", port) as third:  # the handshake completes: backlog
                third.send(make_request("/third"))
                assert _unanswered(third, 1.0), "a third connection was served at the cap"
                assert held[0].request("/again").status == 200  # the held are served
                held.pop(0).close()
                response = third.read_response()
                assert response.status == 200 and response.body.startswith(b"/third")
        finally:
            for client in held:
                client.close()
