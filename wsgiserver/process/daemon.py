"""--daemon: detach from the terminal, the classic way (fork, setsid, fork).

Done after the sockets are bound and the app is loaded, so a mistake (a port in
use, an app that does not import) is still seen on the terminal with exit 2;
the pidfile is written after, with the daemon's pid.
"""

from __future__ import annotations

import os
import sys
from typing import Optional

from ..observe.log import rebase_original_output
from .upgrade import FDS_VARIABLE


def daemonize(output: Optional[str] = None) -> None:
    """Return in a grandchild with no controlling terminal; the first two processes
    exit. stdin reads /dev/null; stdout and stderr go to `output` (appended) or
    to /dev/null. A master exec'd by an upgrade is a daemon already: nothing is
    done then."""
    if FDS_VARIABLE in os.environ:
        return
    _flush_stdio()
    if os.fork():
        os._exit(0)
    os.setsid()  # a new session: no terminal, no SIGHUP when the terminal closes
    if os.fork():
        os._exit(0)  # the session leader goes, so no terminal can ever be acquired
    redirect_stdio(output)
    rebase_original_output()  # the copies --capture-output kept would hold the terminal


def redirect_stdio(output: Optional[str]) -> None:
    null = os.open(os.devnull, os.O_RDWR)
    target = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644) \
        if output else null
    os.dup2(null, 0)
    os.dup2(target, 1)
    os.dup2(target, 2)
    for fd in {null, target}:
        if fd > 2:
            os.close(fd)


def _flush_stdio() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, ValueError, OSError):
            pass
