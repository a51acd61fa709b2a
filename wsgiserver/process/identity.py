"""Where and as whom the server runs: --umask, --chdir, --pythonpath and --env in
the master before the app loads, and --user/--group in each worker after fork.

The master keeps its identity, as gunicorn's does: it may need root again to
bind a privileged port on HUP or USR2, to write its pidfile and to signal its
workers; only the processes that run the app give it up.
"""

from __future__ import annotations

import os
import sys
from typing import Iterable, Optional

from ..errors import ConfigError


def apply_umask(mask: Optional[int]) -> None:
    if mask is not None:
        os.umask(mask)


def change_directory(path: Optional[str]) -> None:
    """chdir, and put the folder first on sys.path so its modules import (gunicorn)."""
    if path is None:
        return
    os.chdir(path)
    if path not in sys.path:
        sys.path.insert(0, path)


def prepend_pythonpath(text: Optional[str]) -> None:
    """'a,b' -> sys.path starts a, b (each made absolute, each once)."""
    if not text:
        return
    folders = [os.path.abspath(part.strip()) for part in text.split(",") if part.strip()]
    for folder in reversed(folders):
        if folder in sys.path:
            sys.path.remove(folder)
        sys.path.insert(0, folder)


def apply_env(entries: Optional[Iterable[str]]) -> None:
    for entry in entries or ():
        name, _, value = entry.partition("=")
        os.environ[name] = value


def check_can_switch(uid: Optional[int], gid: Optional[int]) -> None:
    """Refuse at start-up (not in every worker) a switch only root may make."""
    wants_switch = (uid is not None and uid != os.geteuid()) or \
                   (gid is not None and gid != os.getegid())
    if wants_switch and os.geteuid() != 0:
        raise ConfigError("--user/--group need the server to start as root "
                          f"(it runs as uid {os.geteuid()})")


def drop_privileges(uid: Optional[int], gid: Optional[int]) -> None:
    """In a worker: the group first (setgid needs root, which setuid gives up), and
    no supplementary groups but that one, or the worker would keep root's."""
    if uid is None and gid is None:
        return
    if os.geteuid() == 0:
        os.setgroups([gid if gid is not None else os.getegid()])
    if gid is not None and gid != os.getegid():
        os.setgid(gid)
    if uid is not None and uid != os.geteuid():
        os.setuid(uid)
