"""The master's signal queue: handlers only queue, the master loop dispatches.

A signal handler may run between any two bytecodes of the main thread, so it
does nothing but append the signal number to a deque. `signal.set_wakeup_fd`
makes the C-level handler write a byte to a pipe, which wakes the master's
`select()` at once (PEP 475 would otherwise resume the wait). The bytes are
only a wake-up: the deque is the queue, so a byte written by a forked child
before it resets its handlers, or by a worker nudging its master (`nudge`),
never reads as a signal. `put()` is thread-safe: a service asks for HUP or
TTIN this way.
"""

from __future__ import annotations

import collections
import logging
import os
import select
import signal
from typing import Iterable, Optional

error_log = logging.getLogger("wsgiserver.error")

# The signals the master handles (gunicorn's set); SIGCHLD only wakes the loop.
MASTER_SIGNALS = tuple(getattr(signal, name) for name in (
    "SIGHUP", "SIGQUIT", "SIGINT", "SIGTERM", "SIGTTIN", "SIGTTOU", "SIGUSR1", "SIGUSR2",
    "SIGWINCH"))
SIGNAL_NAMES = {sig: signal.Signals(sig).name for sig in (*MASTER_SIGNALS, signal.SIGCHLD)}


class SignalQueue:
    """Signals (and thread requests) waiting for the master loop."""

    def __init__(self) -> None:
        self._pending: collections.deque[int] = collections.deque()
        self.read_fd, self.write_fd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._previous: dict[int, object] = {}

    def install(self, signals: Iterable[int] = MASTER_SIGNALS,
                wake_on_child: bool = True) -> None:
        for sig in signals:
            self._previous[sig] = signal.signal(sig, self._on_signal)
        if wake_on_child:
            self._previous[signal.SIGCHLD] = signal.signal(signal.SIGCHLD, _wake_only)
        signal.set_wakeup_fd(self.write_fd, warn_on_full_buffer=False)

    def restore(self) -> None:
        signal.set_wakeup_fd(-1)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        self._previous.clear()

    def _on_signal(self, signum: int, frame: object) -> None:
        self._pending.append(signum)

    def put(self, signum: int) -> None:
        """Queue `signum` as if it had been received (from any thread)."""
        self._pending.append(signum)
        nudge(self.write_fd)

    def wait(self, timeout: float) -> list[int]:
        """The queued signals, waiting up to `timeout` seconds for one (or a nudge)."""
        if not self._pending:
            try:
                select.select([self.read_fd], [], [], max(0.0, timeout))
            except InterruptedError:
                pass
        self._drain_pipe()
        taken = []
        while self._pending:
            taken.append(self._pending.popleft())
        return taken

    def _drain_pipe(self) -> None:
        for _ in range(64):
            try:
                if not os.read(self.read_fd, 4096):
                    return
            except (BlockingIOError, InterruptedError):
                return

    def forget_in_child(self) -> None:
        """In a freshly forked worker: this queue is the master's; drop its handlers."""
        signal.set_wakeup_fd(-1)
        self._pending.clear()
        os.close(self.read_fd)

    def close(self) -> None:
        close_pipe(self.read_fd, self.write_fd)


def close_pipe(*fds: int) -> None:
    """Close both ends of a pipe, either of which may be closed already."""
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def nudge(fd: Optional[int]) -> None:
    """Wake the master's loop (a worker became ready or wants replacing)."""
    if fd is None:
        return
    try:
        os.write(fd, b"\0")
    except (BlockingIOError, InterruptedError, OSError):
        pass  # the pipe is full (the master will wake anyway) or gone


def _wake_only(signum: int, frame: object) -> None:
    """SIGCHLD: the wake-up byte is all the master needs; it reaps every loop."""


def in_terminal_foreground() -> bool:
    """True if this process group owns the foreground of its controlling terminal."""
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
    except OSError:
        return False
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)
