"""The control socket against a fake master: protocol, commands, `wsgiserver ctl`, permissions."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

import pytest

from tests.helpers import REPO
from wsgiserver import ctl
from wsgiserver.errors import ConfigError
from wsgiserver.process import control
from wsgiserver.process.commands import json_safe
from wsgiserver.process.control import ControlServer, encode, peer_allowed, read_line
from wsgiserver.process.scoreboard import READY, Scoreboard
from wsgiserver.settings import Config

NOBODY = 65534


class FakeWorker:
    def __init__(self, slot, age: int) -> None:
        self.slot = slot
        self.age = age
        self.started = slot.get("started")


class FakeArbiter:
    """What the control commands read and call on the real Arbiter."""

    def __init__(self, workers: int = 2) -> None:
        self.scoreboard = Scoreboard(slots=8)
        self.workers = {}
        for age in range(1, workers + 1):
            slot = self.scoreboard.claim(pid=1000 + age)
            slot.set("state", READY)
            slot.set("requests", 10 * age)
            slot.set("status_2xx", 10 * age)
            self.workers[1000 + age] = FakeWorker(slot, age)
        self.cfg = Config.from_options(workers=workers, bind=["127.0.0.1:8123"])
        self.counters = {"reloads": 3}
        self.signals: list[int] = []

    def queue_signal(self, signum: int) -> None:
        self.signals.append(signum)


@pytest.fixture
def short_dir():
    # A unix socket path must fit in 108 bytes; pytest's tmp_path may not.
    path = tempfile.mkdtemp(prefix="ctl-", dir="/tmp")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def served(short_dir):
    arbiter = FakeArbiter()
    server = ControlServer(os.path.join(short_dir, "app.ctl"))
    server.start(arbiter)
    try:
        yield server, arbiter
    finally:
        server.stop()


def run_ctl(capsys, path: str, *words: str) -> tuple[int, str, str]:
    try:
        ctl.main(["-s", path, *words])
        code = 0
    except SystemExit as exit:
        code = exit.code
    out, err = capsys.readouterr()
    return code, out, err


def test_show_workers_as_json_and_as_text(served, capsys):
    server, _ = served
    code, out, _ = run_ctl(capsys, server.path, "-j", "show", "workers")
    data = json.loads(out)
    assert code == 0 and data["count"] == 2
    assert [(w["pid"], w["age"], w["state"], w["requests"]) for w in data["workers"]] == [
        (1001, 1, "ready", 10), (1002, 2, "ready", 20)]
    assert all(0 <= w["last_heartbeat"] < 60 for w in data["workers"])
    code, out, _ = run_ctl(capsys, server.path, "show", "workers")
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["PID", "AGE", "STATE", "REQUESTS"]
    assert lines[1].split()[:4] == ["1001", "1", "ready", "10"]
    assert lines[-1] == "2 workers"


def test_show_stats_sums_the_scoreboard_and_adds_the_masters_counters(served, capsys):
    server, _ = served
    _, out, _ = run_ctl(capsys, server.path, "-j", "show", "stats")
    stats = json.loads(out)
    assert stats["requests"] == 30 and stats["status_2xx"] == 30
    assert stats["workers"] == 2 and stats["reloads"] == 3
    assert stats["master_pid"] == os.getpid()
    _, out, _ = run_ctl(capsys, server.path, "show", "stats")
    assert any(line.split() == ["requests", "30"] for line in out.splitlines())


def test_show_config_lists_every_setting_as_json(served, capsys):
    server, _ = served
    _, out, _ = run_ctl(capsys, server.path, "-j", "show", "config")
    config = json.loads(out)
    assert config["workers"] == 2 and config["bind"] == ["127.0.0.1:8123"]
    assert config["threads"] == 4 and config["when_ready"] is None


def test_a_hook_in_the_config_is_shown_by_name():
    assert json_safe(os.path.join) == "posixpath:join"
    assert json_safe(("a", 1)) == ["a", 1]


@pytest.mark.parametrize("words, signals", [
    (["reload"], [signal.SIGHUP]),
    (["reopen"], [signal.SIGUSR1]),
    (["shutdown"], [signal.SIGTERM]),
    (["shutdown", "graceful"], [signal.SIGTERM]),
    (["shutdown", "quick"], [signal.SIGINT]),
    (["worker", "add"], [signal.SIGTTIN]),
    (["worker", "add", "3"], [signal.SIGTTIN] * 3),
    (["worker", "remove"], [signal.SIGTTOU]),
])
def test_actions_queue_the_masters_signals(served, capsys, words, signals):
    server, arbiter = served
    code, out, _ = run_ctl(capsys, server.path, *words)
    assert code == 0 and out.strip()
    assert arbiter.signals == signals


def test_worker_add_and_remove_use_the_arbiters_methods_where_it_has_them(short_dir):
    arbiter = FakeArbiter(workers=3)
    calls = []
    arbiter.add_workers = lambda n: calls.append(("add", n))
    arbiter.remove_workers = lambda n: calls.append(("remove", n))
    server = ControlServer(os.path.join(short_dir, "a.ctl"))
    server.start(arbiter)
    try:
        assert ctl.request(server.path, ["worker", "add", "2"]) == {"message": "adding 2 workers"}
        ctl.request(server.path, ["worker", "remove", "2"])
    finally:
        server.stop()
    assert calls == [("add", 2), ("remove", 2)] and arbiter.signals == []


@pytest.mark.parametrize("words, message", [
    (["frobnicate"], "unknown command 'frobnicate' (try: help)"),
    (["show", "nothing"], "unknown command 'show nothing' (try: help)"),
    (["worker", "add", "x"], "usage: worker add [N], N a whole number from 1 to 64"),
    (["worker", "add", "0"], "usage: worker add [N], N a whole number from 1 to 64"),
    (["worker", "remove", "2"], "cannot remove 2 of 2 workers: at least one must stay "
                                "(use shutdown)"),
    (["shutdown", "now"], "usage: shutdown [graceful|quick]"),
    (["reload", "please"], "reload takes no arguments, got 'please'"),
])
def test_a_mistake_is_one_line_on_stderr_and_exit_1(served, capsys, words, message):
    server, arbiter = served
    code, out, err = run_ctl(capsys, server.path, *words)
    assert (code, out, err) == (1, "", f"wsgiserver ctl: {message}\n")
    assert arbiter.signals == []


def test_help_lists_the_commands(served, capsys):
    server, _ = served
    code, out, _ = run_ctl(capsys, server.path, "help")
    assert code == 0 and "show workers" in out and "shutdown [graceful|quick]" in out


def test_no_server_at_the_socket_is_one_line(short_dir, capsys):
    path = os.path.join(short_dir, "none.ctl")
    assert run_ctl(capsys, path, "show", "workers") == (
        1, "", f"wsgiserver ctl: no server at {path}\n")


def test_no_socket_given_is_one_line(capsys, monkeypatch):
    monkeypatch.delenv(ctl.ENV_SOCKET, raising=False)
    with pytest.raises(SystemExit) as exit:
        ctl.main(["show", "workers"])
    err = capsys.readouterr().err
    assert exit.value.code == 2 and err.count("\n") == 1 and "-s PATH" in err


def test_python_m_wsgiserver_ctl_runs_the_client(short_dir):
    path = os.path.join(short_dir, "none.ctl")
    result = subprocess.run([sys.executable, "-m", "wsgiserver", "ctl", "-s", path, "reload"],
                            cwd=REPO, capture_output=True, text=True, timeout=30)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"wsgiserver ctl: no server at {path}\n"


def test_a_bad_request_line_gets_an_error_answer(served):
    server, _ = served
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(5)
        sock.connect(server.path)
        for line in (b"not json\n", b'{"command": "reload"}\n', b"{}\n"):
            sock.sendall(line)
            assert json.loads(read_line(sock)) == {
                "ok": False, "error": 'expected {"command": ["word", ...]}'}
        sock.sendall(encode({"command": ["show", "stats"]}))  # the connection still works
        assert json.loads(read_line(sock))["ok"] is True


def test_an_endless_line_is_dropped(served):
    server, _ = served
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(5)
        sock.connect(server.path)
        try:
            sock.sendall(b"x" * (control.MAX_LINE + 70000))
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            assert sock.recv(100) == b""  # closed without an answer
        except ConnectionResetError:
            pass  # or reset, with the unread rest of the line
    assert ctl.request(server.path, ["help"])["commands"]  # still answering others


def test_the_socket_is_0600_from_the_moment_it_exists(short_dir, monkeypatch):
    # Without the chmod that follows bind(), the umask alone must give 0600.
    monkeypatch.setattr(control.os, "chmod", lambda path, mode: None)
    sock = control.bind_control_socket(os.path.join(short_dir, "m.ctl"), 0o600)
    try:
        assert stat.S_IMODE(os.stat(os.path.join(short_dir, "m.ctl")).st_mode) == 0o600
    finally:
        sock.close()


def test_the_umask_is_put_back(short_dir):
    before = os.umask(0o027)
    os.umask(before)
    control.bind_control_socket(os.path.join(short_dir, "u.ctl"), 0o600).close()
    after = os.umask(before)
    assert after == before


def test_another_uid_cannot_connect(served):
    server, arbiter = served
    assert _as_nobody(server.path) == "refused"
    assert arbiter.signals == []


def test_another_uid_gets_no_answer_even_if_the_file_is_opened_up(served):
    # Someone chmods the socket wide: the peer's uid is still checked (SO_PEERCRED).
    server, arbiter = served
    os.chmod(server.path, 0o666)
    assert _as_nobody(server.path) == "permission denied"
    assert ctl.request(server.path, ["help"])  # its owner still gets in
    assert arbiter.signals == []


def test_a_mode_for_everyone_lets_another_uid_in(short_dir):
    arbiter = FakeArbiter()
    server = ControlServer(os.path.join(short_dir, "wide.ctl"), mode=0o666)
    server.start(arbiter)
    try:
        assert _as_nobody(server.path) == "answered"
    finally:
        server.stop()
    assert arbiter.signals == [signal.SIGHUP]


def _as_nobody(path: str) -> str:
    """Try `reload` from a child running as uid nobody; what happened, as a word."""
    if os.geteuid() != 0:
        pytest.skip("needs root to switch to another uid")
    os.chmod(os.path.dirname(path), 0o755)  # the folder is not what stops it
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no pytest, no exceptions out of here
        outcome = b"crashed"
        try:
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            try:
                ctl.request(path, ["reload"], timeout=5)
                outcome = b"answered"
            except ctl.CtlError as error:
                outcome = b"refused" if "permission denied: " in str(error) else str(
                    error).encode()  # "permission denied" alone: the server's answer
        finally:
            os.write(write_end, outcome)
            os._exit(0)
    os.close(write_end)
    try:
        os.waitpid(pid, 0)
        return os.read(read_end, 200).decode()
    finally:
        os.close(read_end)


def test_peer_allowed_follows_the_mode():
    me, group = os.geteuid(), os.getegid()
    assert peer_allowed(me, 12345, 0o600) and peer_allowed(0, 12345, 0o600)
    other = NOBODY if me != NOBODY else NOBODY - 1
    assert not peer_allowed(other, other, 0o600)
    assert peer_allowed(other, group, 0o660) and not peer_allowed(other, other, 0o660)
    assert peer_allowed(other, other, 0o666)


def test_a_stale_socket_is_replaced_and_a_live_one_is_not(short_dir):
    path = os.path.join(short_dir, "s.ctl")
    left = socket.socket(socket.AF_UNIX)
    left.bind(path)
    left.close()  # the file stays, nobody listens: a master that died
    sock = control.bind_control_socket(path, 0o600)
    try:
        with pytest.raises(ConfigError, match="another server is listening there"):
            control.bind_control_socket(path, 0o600)
    finally:
        sock.close()
    open(os.path.join(short_dir, "f"), "w").close()
    with pytest.raises(ConfigError, match="exists and is not a socket"):
        control.bind_control_socket(os.path.join(short_dir, "f"), 0o600)


def test_stop_removes_the_socket_and_ends_the_thread(short_dir):
    server = ControlServer(os.path.join(short_dir, "t.ctl"))
    server.start(FakeArbiter())
    thread = server._thread
    server.stop()
    deadline = time.monotonic() + 5
    while thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not thread.is_alive() and not os.path.exists(server.path)
    server.stop()  # twice is harmless
