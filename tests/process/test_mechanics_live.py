"""Server mechanics, live: --pid, --chdir, --pythonpath, -e, --umask, -u/-g,
-n and -D on a running server started from the command line."""

import contextlib
import grp
import os
import pwd
import signal
import urllib.request

import pytest

from tests.helpers import children_of, free_port, run_cli, server_process, wait_until

APP = "tests.data.mechanics_app:application"


def get(port, path="/"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return response.read().decode()


def children_of_any(pid):
    return children_of(pid, live_only=False)  # zombies too


def _stat(pid):
    """(state, parent pid) from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return fields[0], int(fields[1])


def alive(pid):
    try:
        return _stat(pid)[0] != "Z"
    except (OSError, IndexError, ValueError):
        return False


def ids_of(pid):
    """(real uid, real gid) from /proc/PID/status."""
    with open(f"/proc/{pid}/status") as status:
        lines = dict(line.split(":", 1) for line in status if ":" in line)
    return int(lines["Uid"].split()[0]), int(lines["Gid"].split()[0])


def cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as file:
        return file.read().replace(b"\0", b" ").decode().strip()


def read_pid(path):
    try:
        text = open(path).read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def kill_by_pidfile(path):
    """Stop a server that escaped the test's process group, and its workers."""
    pid = read_pid(path)
    if pid is None or not alive(pid):
        return
    workers = children_of_any(pid)
    os.kill(pid, signal.SIGTERM)
    if not wait_until(lambda: not alive(pid), 15):
        for victim in [pid, *workers]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)


def serve_args(port, *extra):
    return [APP, "-b", f"127.0.0.1:{port}", "--static-root", "/nonexistent", *extra]


# -- --pid --

def test_pidfile_written_after_bind_and_removed_at_exit(tmp_path):
    port, pidfile = free_port(), tmp_path / "app.pid"
    with server_process(serve_args(port, "-w", "2", "-p", str(pidfile))) as server:
        server.wait_for_port(port)
        assert wait_until(pidfile.exists)
        assert read_pid(pidfile) == server.proc.pid
        server.signal(signal.SIGTERM)
        assert server.wait() == 0
        assert not pidfile.exists()


def test_pidfile_with_one_worker_names_its_master(tmp_path):
    port, pidfile = free_port(), tmp_path / "app.pid"
    with server_process(serve_args(port, "-p", str(pidfile))) as server:
        server.wait_for_port(port)
        assert wait_until(lambda: read_pid(pidfile) == server.proc.pid)
        assert int(get(port)) in children_of_any(server.proc.pid)  # always a master
        server.signal(signal.SIGTERM)
        assert server.wait() == 0
        assert not pidfile.exists()


def test_pidfile_held_by_a_live_process_is_one_line_and_exit_2(tmp_path):
    pidfile = tmp_path / "app.pid"
    pidfile.write_text(f"{os.getpid()}\n")  # this test process is alive
    result = run_cli(serve_args(free_port(), "-p", str(pidfile)))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"wsgiserver: error: pidfile {pidfile} is held by running process {os.getpid()} "
        "(another server? stop it or choose another --pid)"]
    assert read_pid(pidfile) == os.getpid()


# -- --chdir, --pythonpath, -e, --umask --

def test_chdir_pythonpath_and_env_reach_the_app(tmp_path):
    home, libs = tmp_path / "home", tmp_path / "libs"
    home.mkdir()
    libs.mkdir()
    (home / "homeapp.py").write_text("from tests.data.mechanics_app import application\n")
    (libs / "libmarker.py").write_text("")
    port = free_port()
    args = ["homeapp:application", "-b", f"127.0.0.1:{port}", "--chdir", str(home),
            "--pythonpath", f"{libs},/nonexistent-too", "-e", "MECH_VAR=from -e",
            "--static-root", "/nonexistent"]
    with server_process(args) as server:
        server.wait_for_port(port)
        assert get(port, "/cwd") == str(home)  # and homeapp imported from there
        assert get(port, "/env") == "from -e"
        path = get(port, "/syspath").splitlines()
        assert path[:2] == [str(libs), "/nonexistent-too"]
        assert str(home) in path


def test_bad_chdir_is_one_line_and_exit_2(tmp_path):
    result = run_cli(serve_args(free_port(), "--chdir", str(tmp_path / "missing")))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "can't chdir" in result.stderr


@pytest.mark.parametrize("mask, mode", [("0o077", "0o600"), ("022", "0o644"), ("2", "0o664")])
def test_umask_sets_the_mode_of_files_the_app_creates(tmp_path, mask, mode):
    port = free_port()
    with server_process(serve_args(port, "-w", "2", "-m", mask)) as server:
        server.wait_for_port(port)
        assert get(port, f"/touch?{tmp_path}/made") == mode


# -- -u / -g --

@pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")
def test_workers_run_as_user_and_group_the_master_keeps_root(tmp_path):
    port, pidfile = free_port(), tmp_path / "app.pid"
    nobody = pwd.getpwnam("nobody").pw_uid
    nogroup = grp.getgrnam("nogroup").gr_gid
    args = serve_args(port, "-w", "2", "-u", "nobody", "-g", "nogroup", "-p", str(pidfile))
    with server_process(args) as server:
        server.wait_for_port(port)
        assert wait_until(lambda: len(children_of_any(server.proc.pid)) == 2)
        for worker in children_of_any(server.proc.pid):
            assert wait_until(lambda w=worker: ids_of(w) == (nobody, nogroup))
        assert ids_of(server.proc.pid) == (0, 0)
        worker = int(get(port))
        assert worker in children_of_any(server.proc.pid) and ids_of(worker) == (nobody, nogroup)
        server.signal(signal.SIGTERM)
        assert server.wait() == 0
        assert not pidfile.exists()  # the master, still root, removed it


def test_unknown_user_is_one_line_and_exit_2():
    result = run_cli(serve_args(free_port(), "-u", "no-such-user-here"))
    assert result.returncode == 2
    assert result.stderr.strip() == "wsgiserver: error: -u: no such user: 'no-such-user-here'"


# -- -n --

def test_name_sets_master_and_worker_titles():
    pytest.importorskip("setproctitle")
    port = free_port()
    with server_process(serve_args(port, "-w", "2", "-n", "shop")) as server:
        server.wait_for_port(port)
        assert wait_until(lambda: cmdline(server.proc.pid) == "wsgiserver: master [shop]")
        assert wait_until(lambda: len(children_of_any(server.proc.pid)) == 2)
        for worker in children_of_any(server.proc.pid):
            assert wait_until(lambda w=worker: cmdline(w) == "wsgiserver: worker [shop]")


def test_without_name_the_command_line_stays():
    port = free_port()
    with server_process(serve_args(port, "-w", "2")) as server:
        server.wait_for_port(port)
        assert "wsgiserver" in cmdline(server.proc.pid)
        assert "master [" not in cmdline(server.proc.pid)


# -- -D --

def test_daemon_detaches_and_keeps_serving(tmp_path):
    port, pidfile = free_port(), tmp_path / "app.pid"
    try:
        result = run_cli(serve_args(port, "-w", "2", "-D", "-p", str(pidfile)))
        assert result.returncode == 0, result.stderr
        assert wait_until(lambda: read_pid(pidfile) is not None, 10)
        daemon = read_pid(pidfile)
        assert alive(daemon)
        assert _stat(daemon)[1] != os.getpid()
        assert os.getsid(daemon) != os.getsid(0)  # its own session, no terminal
        assert wait_until(lambda: len(children_of_any(daemon)) == 2, 10)
        assert int(get(port)) in children_of_any(daemon)
        os.kill(daemon, signal.SIGTERM)
        assert wait_until(lambda: not alive(daemon), 15)
        assert wait_until(lambda: not pidfile.exists(), 5)
    finally:
        kill_by_pidfile(pidfile)


WHEN_READY = '''
import os, threading, time
def when_ready(server):
    pidfile = {pidfile!r}
    with open({seen!r}, "w") as seen:
        seen.write(f"{{os.getpid()}} {{open(pidfile).read().strip()}}\\n")
    def later():
        time.sleep(0.5)
        with open({seen!r}, "a") as seen:
            seen.write("thread alive\\n")
    threading.Thread(target=later, daemon=True).start()
'''


def test_when_ready_runs_in_the_daemon_once_its_pidfile_is_written(tmp_path):
    port, pidfile, seen = free_port(), tmp_path / "app.pid", tmp_path / "seen"
    conf = tmp_path / "conf.py"
    conf.write_text(WHEN_READY.format(pidfile=str(pidfile), seen=str(seen)))
    try:
        result = run_cli(serve_args(port, "-D", "-p", str(pidfile), "-c", str(conf)))
        assert result.returncode == 0, result.stderr
        assert wait_until(lambda: seen.exists() and "thread alive" in seen.read_text(), 10)
        hook_pid, pid_in_file = seen.read_text().split("\n")[0].split()
        assert hook_pid == pid_in_file == str(read_pid(pidfile))  # the detached master
    finally:
        kill_by_pidfile(pidfile)


def test_daemon_with_capture_output_lets_its_caller_see_the_end_of_output(tmp_path):
    """The daemon keeps no copy of the caller's stdout or stderr (a pipe here: `$(...)`
    or ssh would wait forever), --capture-output or not."""
    port, pidfile, errors = free_port(), tmp_path / "app.pid", tmp_path / "error.log"
    try:
        result = run_cli(serve_args(port, "-D", "-p", str(pidfile), "--capture-output",
                                    "--error-logfile", str(errors)), timeout=20)
        assert result.returncode == 0, result.stderr  # run_cli read both pipes to EOF
        assert wait_until(lambda: read_pid(pidfile) is not None, 10)
        assert get(port)
    finally:
        kill_by_pidfile(pidfile)
