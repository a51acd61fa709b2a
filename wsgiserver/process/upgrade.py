"""Binary upgrade (USR2): the master forks, and the child execs a new master on
the same command line that inherits the listening sockets instead of binding.

The sockets travel as file descriptors kept open across exec (O_CLOEXEC
cleared), named in WSGISERVER_FD ("5,6"), as gunicorn's GUNICORN_FD; the old
master's pid goes in WSGISERVER_PID, so the new master knows it is one (it
writes FILE.2 as its pidfile) and notices when it has been promoted (its
parent, the old master, has exited). Both masters' workers accept on the same
sockets meanwhile, so no connection is refused at any point.
"""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import dataclass, field
from typing import Callable, Mapping, MutableMapping, Optional

FDS_VARIABLE = "WSGISERVER_FD"
PARENT_VARIABLE = "WSGISERVER_PID"


@dataclass(frozen=True)
class StartContext:
    """How this server was started, so an upgrade can start it again: the
    interpreter, its full command line, the folder and the environment before
    --chdir and --env changed them."""

    executable: str
    argv: tuple[str, ...]
    cwd: str
    environ: dict[str, str] = field(default_factory=dict)


_start: Optional[StartContext] = None


def remember_start() -> StartContext:
    """Record the start context once, before anything changes it (cli.main)."""
    global _start
    if _start is None:
        argv = tuple(getattr(sys, "orig_argv", None) or (sys.executable, *sys.argv))
        _start = StartContext(sys.executable, argv, os.getcwd(), dict(os.environ))
    return _start


def inherited_sockets(environ: MutableMapping[str, str] = os.environ
                      ) -> Optional[list[socket.socket]]:
    """The listening sockets an upgrading master passed on, or None when this is not
    an upgrade. The variable is removed, so the app and the workers never see it."""
    text = environ.pop(FDS_VARIABLE, None)
    if text is None:
        return None
    sockets = []
    for item in text.split(","):
        fd = int(item)
        sock = socket.socket(fileno=fd)  # family and type are read from the fd
        os.set_inheritable(fd, False)  # until the next upgrade asks for it
        sockets.append(sock)
    return sockets


def old_master(environ: Mapping[str, str] = os.environ) -> int:
    """The pid of the master that started this one by USR2; 0 when none did."""
    text = environ.get(PARENT_VARIABLE, "")
    return int(text) if text.isdigit() else 0


def promoted(old_pid: int) -> bool:
    """True once the old master has gone: this process was reparented."""
    return old_pid != 0 and os.getppid() != old_pid


def forget_old_master(environ: MutableMapping[str, str] = os.environ) -> None:
    environ.pop(PARENT_VARIABLE, None)


def upgrade_environment(base: Mapping[str, str], sockets: list[socket.socket],
                        master_pid: int) -> dict[str, str]:
    environ = dict(base)
    environ[FDS_VARIABLE] = ",".join(str(sock.fileno()) for sock in sockets)
    environ[PARENT_VARIABLE] = str(master_pid)
    return environ


def start_new_master(sockets: list[socket.socket],
                     pre_exec: Callable[[], None] = lambda: None) -> int:
    """Fork; in the child run `pre_exec`, then exec the start command with the
    sockets inherited. Returns the child's pid (in the parent only)."""
    start = remember_start()
    master_pid = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    try:
        pre_exec()
        for sock in sockets:
            os.set_inheritable(sock.fileno(), True)
        os.chdir(start.cwd)
        environ = upgrade_environment(start.environ, sockets, master_pid)
        os.execve(start.executable, list(start.argv), environ)
    except BaseException as error:  # never return into the old master's loop
        print(f"wsgiserver: error: cannot start the new master: {error}", file=sys.stderr)
    os._exit(127)
