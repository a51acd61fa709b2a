"""USR2, live: a binary upgrade under load, then TERM to the old master, loses no
request; the pidfiles move as a runbook expects; a new master that dies leaves
the old one serving with its pidfile."""

import os
import signal
import threading
import time

from tests.helpers import Client, free_port, server_process, wait_until
from tests.process.test_mechanics_live import alive, children_of_any, kill_by_pidfile, read_pid

MAX_REQUESTS = 20_000
MAX_SECONDS = 60.0


class Load(threading.Thread):
    """Requests the whole time, bounded in count and time: on one keep-alive
    connection, and each on a new connection, by turns. Every answer must be a 200
    with a worker's pid. The one retry is what every HTTP client does (RFC 9112
    9.3.1): a kept-alive connection the server closed while the request was on
    its way, before any byte of an answer, is retried on a new connection; those
    are counted apart, not as failures."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.stop = threading.Event()
        self.ok = 0
        self.failures = []
        self.retried = 0
        self.pids = []  # (time, worker pid) of each answer
        self.deadline = time.monotonic() + MAX_SECONDS

    def run(self):
        client = None
        while not self.stop.is_set() and self.ok + len(self.failures) < MAX_REQUESTS \
                and time.monotonic() < self.deadline:
            if client is None:
                client = Client("127.0.0.1", self.port)
            client = self._keep_alive(client)
            self._fresh()
            time.sleep(0.002)  # two cores for everyone: no need to flood
        if client is not None:
            client.close()

    def _keep_alive(self, client):
        try:
            self._check(client.request("/"))
            return client
        except (EOFError, ConnectionResetError, BrokenPipeError) as error:
            client.close()
            if client.buf:
                self.failures.append(f"keep-alive cut mid-answer: {error!r}")
                return None
            self.retried += 1
            self._fresh()
            return None
        except Exception as error:  # noqa: BLE001 - every failure is counted
            client.close()
            self.failures.append(f"keep-alive: {error!r}")
            return None

    def _fresh(self):
        try:
            with Client("127.0.0.1", self.port) as client:
                self._check(client.request("/", headers=[("Connection", "close")]))
        except Exception as error:  # noqa: BLE001
            self.failures.append(f"new connection: {error!r}")

    def _check(self, response):
        if response.status != 200 or not response.body.isdigit():
            self.failures.append(f"answer {response.status} {response.body[:80]!r}")
            return
        self.ok += 1
        self.pids.append((time.monotonic(), int(response.body)))


CONFIG = """
import os

def pre_exec(server):
    with open(os.environ["MECH_MARK"], "w") as mark:
        mark.write(f"{os.getpid()} {type(server).__name__}")
"""


def upgrade_server(port, pidfile):
    """A master of two workers whose config file's pre_exec hook leaves a mark."""
    folder = pidfile.parent
    (folder / "upgrade.conf.py").write_text(CONFIG)
    return server_process(["tests.data.pidapp:application", "-b", f"127.0.0.1:{port}",
                           "-w", "2", "--threads", "2", "--static-root", "/nonexistent",
                           "-p", str(pidfile), "--graceful-timeout", "5",
                           "-c", str(folder / "upgrade.conf.py")],
                          env={"MECH_MARK": str(folder / "pre_exec")})


def upgrade_to_new_master(server, pidfile, old: int) -> int:
    """USR2 to the master `old`: the new master's pid, once it wrote PIDFILE.2 and its
    two workers run."""
    second = f"{pidfile}.2"
    server.signal(signal.SIGUSR2)
    assert wait_until(lambda: read_pid(second) not in (None, old), 20), server.stderr_text
    new = read_pid(second)
    assert wait_until(lambda: len(children_of_any(new)) == 2, 20), server.stderr_text
    return new


def test_usr2_upgrade_under_load_then_term_loses_no_request(tmp_path):
    port, pidfile = free_port(), tmp_path / "app.pid"
    second = tmp_path / "app.pid.2"
    load = Load(port)
    try:
        with upgrade_server(port, pidfile) as server:
            server.wait_for_port(port)
            old = server.proc.pid
            assert wait_until(lambda: read_pid(pidfile) == old)
            assert wait_until(lambda: len(children_of_any(old)) == 2)
            old_workers = set(children_of_any(old))
            load.start()
            assert wait_until(lambda: load.ok >= 50, 20)

            server.signal(signal.SIGUSR2)
            assert wait_until(lambda: read_pid(second) not in (None, old), 20), \
                server.stderr_text
            new = read_pid(second)
            assert new in children_of_any(old)  # the old master forked it
            assert read_pid(pidfile) == old  # FILE still names the old master
            # pre_exec ran in the new master's process, before its exec
            assert (tmp_path / "pre_exec").read_text() == f"{new} Arbiter"
            assert wait_until(lambda: len(children_of_any(new)) == 2, 20)
            new_workers = set(children_of_any(new))
            # Both sets of workers wait on the same sockets now (the kernel tends to
            # wake the old ones first, so the new ones may not answer yet).
            assert wait_until(lambda: load.ok >= 100, 20)

            server.signal(signal.SIGTERM)  # the old master goes, gracefully
            assert server.wait(30) == 0
            gone = time.monotonic()
            assert wait_until(lambda: read_pid(pidfile) == new, 10)
            assert wait_until(lambda: not second.exists(), 10)
            assert alive(new)
            ok_before = load.ok
            assert wait_until(lambda: load.ok >= ok_before + 200, 20)
            load.stop.set()
            load.join(30)
            assert not load.is_alive()

            after = {p for t, p in load.pids if t > gone}  # its workers exited before it
            assert after and after <= new_workers
            assert not after & old_workers
            assert "this is the master now" in open_log(server)
            print(f"USR2 under load: {load.ok} answered, {len(load.failures)} failed, "
                  f"{load.retried} retried on a new connection")
            assert load.failures == []

            kill_by_pidfile(pidfile)  # the new master, gracefully: it removes FILE
            assert wait_until(lambda: not alive(new), 15)
            assert wait_until(lambda: not pidfile.exists(), 5)
    finally:
        load.stop.set()
        kill_by_pidfile(second)
        kill_by_pidfile(pidfile)


def open_log(server):
    # The new master inherited the old one's stderr pipe: its lines arrive there too.
    wait_until(lambda: "this is the master now" in server.stderr_text, 5)
    return server.stderr_text


def test_new_master_that_dies_leaves_the_old_one_serving(tmp_path):
    port, pidfile = free_port(), tmp_path / "app.pid"
    second = tmp_path / "app.pid.2"
    try:
        with upgrade_server(port, pidfile) as server:
            server.wait_for_port(port)
            old = server.proc.pid
            assert wait_until(lambda: read_pid(pidfile) == old)
            new = upgrade_to_new_master(server, pidfile, old)
            for victim in [*children_of_any(new), new]:
                signal_quietly(victim, signal.SIGKILL)
            assert server.wait_for_stderr(f"new master {new} exited", 10), server.stderr_text
            assert wait_until(lambda: not second.exists(), 5)
            assert read_pid(pidfile) == old and server.proc.poll() is None
            with Client("127.0.0.1", port) as client:
                assert int(client.request("/").body) in children_of_any(old)
            server.signal(signal.SIGUSR2)  # the old master may try again
            assert wait_until(lambda: read_pid(second) not in (None, old, new), 20)
    finally:
        kill_by_pidfile(second)
        kill_by_pidfile(pidfile)


def signal_quietly(pid, signum):
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def ask_unix(path):
    with Client(unix_path=str(path)) as client:
        return int(client.request("/").body)


def test_winch_then_term_on_a_unix_socket_leaves_the_new_master_serving(tmp_path):
    """The runbook with a rollback point: USR2, WINCH (the old workers stop, the old
    master stays), TERM to the old master. The socket file is the new master's
    too: the old master going must not remove it."""
    pidfile, path = tmp_path / "app.pid", tmp_path / "app.sock"
    args = ["tests.data.pidapp:application", "-b", f"unix:{path}", "-w", "2",
            "--static-root", "/nonexistent", "-p", str(pidfile), "--graceful-timeout", "5"]
    try:
        with server_process(args) as server:
            assert wait_until(lambda: read_pid(pidfile) == server.proc.pid, 10)
            old = server.proc.pid
            assert wait_until(lambda: len(children_of_any(old)) == 2, 10)
            new = upgrade_to_new_master(server, pidfile, old)
            new_workers = set(children_of_any(new))

            server.signal(signal.SIGWINCH)
            assert wait_until(lambda: children_of_any(old) == [new], 20), server.stderr_text
            assert all(ask_unix(path) in new_workers for _ in range(5))

            server.signal(signal.SIGTERM)
            assert server.wait(30) == 0
            assert wait_until(lambda: read_pid(pidfile) == new, 10)
            assert path.exists()
            assert ask_unix(path) in new_workers

            kill_by_pidfile(pidfile)  # the promoted master owns the socket file now
            assert wait_until(lambda: not alive(new), 15)
            assert wait_until(lambda: not path.exists(), 5)
    finally:
        kill_by_pidfile(f"{pidfile}.2")
        kill_by_pidfile(pidfile)


def test_workers_of_a_killed_new_master_stop_by_themselves(tmp_path):
    port, pidfile = free_port(), tmp_path / "app.pid"
    try:
        with upgrade_server(port, pidfile) as server:
            server.wait_for_port(port)
            old = server.proc.pid
            assert wait_until(lambda: read_pid(pidfile) == old)
            new = upgrade_to_new_master(server, pidfile, old)
            orphans = children_of_any(new)
            os.kill(new, signal.SIGKILL)  # its workers alone: they notice their parent gone
            assert server.wait_for_stderr(f"new master {new} exited", 10), server.stderr_text
            assert wait_until(lambda: not any(alive(pid) for pid in orphans), 15)
            assert not os.path.exists(f"{pidfile}.2")
            assert read_pid(pidfile) == old
            with Client("127.0.0.1", port) as client:
                assert int(client.request("/").body) in children_of_any(old)
    finally:
        kill_by_pidfile(f"{pidfile}.2")
        kill_by_pidfile(pidfile)
