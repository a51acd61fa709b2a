"""The server-mechanics pieces on their own: pidfile, inherited sockets, the
upgrade's fork and exec, identity (umask, chdir, pythonpath, env, user/group),
titles, daemonize, and the settings' validators."""

import grp
import os
import pwd
import socket
import subprocess
import sys
import textwrap

import pytest

from tests.helpers import REPO, wait_until
from wsgiserver.errors import ConfigError
from wsgiserver.process import identity, title, upgrade
from wsgiserver.process.pidfile import Pidfile, holder
from wsgiserver.settings import Config
from wsgiserver.settings.mechanics import group_id, umask_value, user_id


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid  # reaped: no process has it now (pids are not reused this fast)


# -- pidfile --

def test_pidfile_written_whole_and_removed(tmp_path):
    path = tmp_path / "app.pid"
    pidfile = Pidfile(str(path))
    pidfile.create()
    assert path.read_text() == f"{os.getpid()}\n"
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)
    assert not [p for p in os.listdir(tmp_path) if p != "app.pid"]  # no temporary left
    pidfile.unlink()
    assert not path.exists()


def test_pidfile_held_by_a_live_process_is_refused(tmp_path):
    path = tmp_path / "app.pid"
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as other:
        try:
            path.write_text(f"{other.pid}\n")
            assert holder(str(path)) == other.pid
            with pytest.raises(ConfigError, match=f"held by running process {other.pid}"):
                Pidfile(str(path)).create()
            assert path.read_text() == f"{other.pid}\n"
        finally:
            other.kill()


@pytest.mark.parametrize("content", ["{dead}\n", "not a pid\n", "", "0\n"])
def test_stale_or_garbage_pidfile_is_replaced(tmp_path, content):
    path = tmp_path / "app.pid"
    path.write_text(content.format(dead=dead_pid()))
    assert holder(str(path)) is None
    Pidfile(str(path)).create()
    assert path.read_text() == f"{os.getpid()}\n"


def test_unlink_leaves_a_pidfile_someone_else_now_owns(tmp_path):
    path = tmp_path / "app.pid"
    pidfile = Pidfile(str(path))
    pidfile.create()
    path.write_text("12345\n")  # a new master took the name over
    pidfile.unlink()
    assert path.read_text() == "12345\n"


def test_move_to_renames_our_file_and_rewrites_a_lost_one(tmp_path):
    second, first = tmp_path / "app.pid.2", tmp_path / "app.pid"
    pidfile = Pidfile(str(second))
    pidfile.create()
    pidfile.move_to(str(first))
    assert not second.exists() and first.read_text() == f"{os.getpid()}\n"
    first.unlink()  # lost (an old master removed it): written again
    pidfile.move_to(str(second))
    assert second.read_text() == f"{os.getpid()}\n"


def test_pidfile_in_a_missing_folder_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="is not a folder"):
        Pidfile(str(tmp_path / "nowhere" / "app.pid")).create()


# -- inherited sockets and the upgrade's exec --

def test_inherited_sockets_from_the_environment():
    listener = socket.create_server(("127.0.0.1", 0))
    fd = os.dup(listener.fileno())
    os.set_inheritable(fd, True)
    environ = {upgrade.FDS_VARIABLE: str(fd)}
    try:
        [sock] = upgrade.inherited_sockets(environ)
        assert upgrade.FDS_VARIABLE not in environ
        assert sock.fileno() == fd and not os.get_inheritable(fd)
        assert sock.getsockname() == listener.getsockname()
        assert sock.family == socket.AF_INET and sock.type == socket.SOCK_STREAM
        sock.close()
    finally:
        listener.close()
    assert upgrade.inherited_sockets({}) is None


NEW_MASTER = textwrap.dedent("""
    import os, socket, sys
    sys.path.insert(0, os.environ["REPO"])
    from wsgiserver.process import upgrade
    parent = upgrade.old_master()
    [sock] = upgrade.inherited_sockets()
    client, _ = sock.accept()
    client.sendall(f"{os.getpid()} {parent} {upgrade.FDS_VARIABLE in os.environ}".encode())
    client.close()
""")


def test_start_new_master_execs_with_the_sockets(tmp_path, monkeypatch):
    script = tmp_path / "new_master.py"
    script.write_text(NEW_MASTER)
    marker = tmp_path / "pre_exec"
    environ = {**os.environ, "REPO": REPO}
    monkeypatch.setattr(upgrade, "_start", upgrade.StartContext(
        sys.executable, (sys.executable, str(script)), str(tmp_path), environ))
    listener = socket.create_server(("127.0.0.1", 0))
    assert not os.get_inheritable(listener.fileno())
    pid = upgrade.start_new_master([listener], lambda: marker.write_text(str(os.getpid())))
    try:
        with socket.create_connection(listener.getsockname(), timeout=10) as client:
            client.settimeout(10)
            answer = client.recv(200).decode()
        assert answer == f"{pid} {os.getpid()} False"
        assert marker.read_text() == str(pid)  # pre_exec ran in the child, before exec
        assert not os.get_inheritable(listener.fileno())  # the parent's fd is untouched
    finally:
        listener.close()
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_old_master_and_promotion():
    assert upgrade.old_master({}) == 0
    assert upgrade.old_master({upgrade.PARENT_VARIABLE: "42"}) == 42
    assert not upgrade.promoted(0)
    assert not upgrade.promoted(os.getppid())
    assert upgrade.promoted(dead_pid())


# -- identity --

def test_umask_applied(tmp_path):
    old = os.umask(0o022)
    try:
        identity.apply_umask(0o077)
        (tmp_path / "f").write_text("x")
        assert (tmp_path / "f").stat().st_mode & 0o777 == 0o600
        identity.apply_umask(None)
        assert os.umask(0o022) == 0o077
    finally:
        os.umask(old)


@pytest.mark.parametrize("text, mask", [("0o22", 0o22), ("022", 0o22), ("18", 18),
                                        ("0x12", 0o22), ("0", 0), (0o77, 0o77), ("0777", 0o777)])
def test_umask_values(text, mask):
    assert umask_value(text) == mask


@pytest.mark.parametrize("text", ["089", "abc", "-1", "0o1000", ""])
def test_bad_umask_values(text):
    with pytest.raises(ConfigError):
        umask_value(text)


def test_change_directory_and_sys_path(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(sys, "path", list(sys.path))
    identity.change_directory(str(tmp_path))
    assert os.getcwd() == str(tmp_path) and sys.path[0] == str(tmp_path)


def test_pythonpath_prepended_in_order(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", ["/usr/lib/python3", str(tmp_path / "b")])
    monkeypatch.chdir(tmp_path)
    identity.prepend_pythonpath("a, b,,/abs")
    assert sys.path == [str(tmp_path / "a"), str(tmp_path / "b"), "/abs", "/usr/lib/python3"]


def test_env_entries(monkeypatch):
    monkeypatch.delenv("MECH_A", raising=False)
    monkeypatch.delenv("MECH_B", raising=False)
    identity.apply_env(["MECH_A=1", "MECH_B=x=y"])
    assert os.environ["MECH_A"] == "1" and os.environ["MECH_B"] == "x=y"
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        Config.from_options(raw_env=["NOEQUALS"])
    assert Config.from_options(raw_env="A=1").raw_env == ["A=1"]


def test_user_and_group_names_and_numbers():
    assert user_id("root") == 0 and user_id("0") == 0 and user_id(12345) == 12345
    assert user_id("nobody") == pwd.getpwnam("nobody").pw_uid
    assert group_id("root") == 0 and group_id(grp.getgrgid(0).gr_name) == 0
    with pytest.raises(ConfigError, match="no such user: 'no-such-user-here'"):
        user_id("no-such-user-here")
    with pytest.raises(ConfigError, match="no such group"):
        group_id("no-such-group-here")


def test_switching_identity_needs_root(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr(os, "getegid", lambda: 1000)
    with pytest.raises(ConfigError, match="need the server to start as root"):
        identity.check_can_switch(0, None)
    identity.check_can_switch(1000, 1000)  # staying who it is needs nothing
    identity.check_can_switch(None, None)


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping privileges needs root")
def test_drop_privileges_in_a_child():
    nobody = pwd.getpwnam("nobody").pw_uid
    nogroup = grp.getgrnam("nogroup").gr_gid
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            identity.drop_privileges(nobody, nogroup)
            os.write(write, repr((os.getuid(), os.geteuid(), os.getgid(),
                                  os.getegid(), os.getgroups())).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read) as answer:
        assert answer.read() == repr((nobody, nobody, nogroup, nogroup, [nogroup]))


# -- titles --

def test_title_text_and_no_name():
    assert title.title_for("worker", "shop") == "wsgiserver: worker [shop]"
    assert title.set_title("master", None) is False


def test_title_without_setproctitle_says_how(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "setproctitle", None)  # import fails
    caplog.set_level("INFO", logger="wsgiserver.error")
    assert title.set_title("master", "shop") is False
    title.announce_titles("shop")
    assert [r.getMessage() for r in caplog.records] == [title.MISSING]
    title.announce_titles(None)
    assert len(caplog.records) == 1


# -- daemonize --

DAEMON = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, os.environ["REPO"])
    from wsgiserver.process.daemon import daemonize
    out = sys.argv[1]
    daemonize(out + ".log")
    print("to the log")
    with open(out + ".tmp", "w") as f:
        tty = os.ttyname(0) if os.isatty(0) else "-"
        f.write(f"{os.getpid()} {os.getppid()} {os.getsid(0)} {os.getpgrp()} {tty}")
    os.rename(out + ".tmp", out)
""")


def test_daemonize_detaches(tmp_path):
    script, out = tmp_path / "daemon.py", tmp_path / "out"
    script.write_text(DAEMON)
    proc = subprocess.Popen([sys.executable, str(script), str(out)],
                            env={**os.environ, "REPO": REPO}, stdout=subprocess.PIPE)
    stdout, _ = proc.communicate(timeout=20)  # the pipe closes: the daemon let go of it
    assert proc.returncode == 0 and stdout == b""  # the first process just exits
    assert wait_until(out.exists, 10)
    pid, parent, session, group, tty = out.read_text().split()
    assert int(pid) != proc.pid and int(parent) != proc.pid
    assert int(session) != os.getsid(0) and int(session) != int(pid)  # not a leader
    assert tty == "-"
    assert wait_until(lambda: "to the log" in (tmp_path / "out.log").read_text(), 5)
