"""The master's pidfile (`--pid FILE`): written whole (a temporary file renamed
into place, so a reader never sees half a number), refused while a live process
holds it, and removed only by the process it names."""

from __future__ import annotations

import errno
import os
import tempfile
from typing import Optional

from ..errors import ConfigError


def holder(path: str) -> Optional[int]:
    """The pid in `path` if that process is alive; None if the file is absent, not
    a pid, or stale (its process is gone)."""
    pid = _read_pid(path)
    return pid if pid and _alive(pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as error:
        return error.errno == errno.EPERM  # alive, only not ours to signal
    return True


class Pidfile:
    """One pidfile path and the pid this process wrote into it."""

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(path)
        self.pid: Optional[int] = None

    def check(self) -> None:
        """ConfigError if a live process other than this one holds the file (a second
        server on the same pidfile is a mistake; a stale file is simply replaced)."""
        pid = holder(self.path)
        if pid is not None and pid != os.getpid():
            raise ConfigError(f"pidfile {self.path} is held by running process {pid} "
                              "(another server? stop it or choose another --pid)")

    def create(self, pid: Optional[int] = None) -> None:
        self.check()
        self.pid = os.getpid() if pid is None else pid
        _write_whole(self.path, f"{self.pid}\n")

    def unlink(self) -> None:
        """Remove the file if it still names our pid (a new master may own it now)."""
        if self.pid is not None and _read_pid(self.path) == self.pid:
            _remove(self.path)

    def move_to(self, path: str) -> None:
        """Become `path` (an upgraded master promoted from FILE.2 to FILE): atomic
        when this file still holds our pid, rewritten otherwise."""
        path = os.path.abspath(path)
        if self.pid is not None and _read_pid(self.path) == self.pid:
            os.replace(self.path, path)
        else:
            _write_whole(path, f"{self.pid or os.getpid()}\n")
        self.path = path


def _write_whole(path: str, text: str) -> None:
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise ConfigError(f"cannot write pidfile {path}: {folder} is not a folder")
    try:
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".pid-")
    except OSError as error:
        raise ConfigError(f"cannot write pidfile {path}: {error.strerror}") from None
    try:
        os.write(fd, text.encode("ascii"))
        os.fchmod(fd, 0o644)
    finally:
        os.close(fd)
    os.replace(temporary, path)


def _read_pid(path: str) -> Optional[int]:
    try:
        with open(path, encoding="ascii", errors="replace") as file:
            text = file.read(64).strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
