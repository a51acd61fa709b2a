"""`wsgi.input` for the one case where the app runs before its body has arrived.

A request with `Expect: 100-continue` in a threaded server: the app runs at
once, its first read sends `100 Continue`, then it blocks its worker thread
until the event loop feeds the rest of the body.
"""

from __future__ import annotations

import threading
from typing import Callable, Optional

from ..errors import BodyAborted

BACKLOG_HIGH = 1 << 20  # unread bytes above which the loop stops reading the socket
BACKLOG_LOW = 256 * 1024  # ...and below which it reads again


class StreamingBody:
    """A thread-safe `wsgi.input` filled by the event loop while the app reads it."""

    def __init__(self, on_first_read: Optional[Callable[[], None]] = None) -> None:
        self._buffer = bytearray()
        self.complete = False
        self._error: Optional[BaseException] = None
        self._cond = threading.Condition()
        self._on_first_read: Optional[Callable[[], None]] = on_first_read
        self._on_drain: Optional[Callable[[], None]] = None
        self._over = False
        self.read_started = False

    def set_callbacks(self, on_first_read: Callable[[], None],
                      on_drain: Optional[Callable[[], None]] = None) -> None:
        """on_first_read: send 100 Continue; on_drain: the loop may read again."""
        self._on_first_read = on_first_read
        self._on_drain = on_drain

    @property
    def full(self) -> bool:
        """More than BACKLOG_HIGH bytes received but not read yet: stop reading the socket."""
        return len(self._buffer) > BACKLOG_HIGH

    # -- producer side (event loop) --
    def write(self, data: bytes) -> None:
        with self._cond:
            self._buffer += data
            self._over = self._over or len(self._buffer) > BACKLOG_HIGH
            self._cond.notify_all()

    def finish(self) -> None:
        with self._cond:
            self.complete = True
            self._cond.notify_all()

    def abort(self, error: BaseException) -> None:
        with self._cond:
            self._error = error
            self._cond.notify_all()

    # -- consumer side (app thread) --
    def _start(self) -> None:
        self.read_started = True
        callback, self._on_first_read = self._on_first_read, None
        if callback is not None:
            callback()

    def _maybe_start(self) -> None:
        # Outside _cond: the callback takes the connection's lock, and the loop
        # takes ours while holding that one (abort from Channel.close).
        if not self.read_started:
            self._start()

    def _after_take(self) -> None:
        if self._over and len(self._buffer) <= BACKLOG_LOW:
            self._over = False
            if self._on_drain is not None:
                self._on_drain()

    def _wait_for(self, ready: Callable[[], bool]) -> None:
        while not (ready() or self.complete or self._error):
            self._cond.wait()
        if self._error is not None:
            cause = self._error
            raise BodyAborted(str(cause), getattr(cause, "error", None) or cause)

    def _take(self, count: int) -> bytes:
        data = bytes(self._buffer[:count])
        del self._buffer[:count]
        return data

    def read(self, size: Optional[int] = -1) -> bytes:
        self._maybe_start()
        with self._cond:
            if size is None or size < 0:
                self._wait_for(lambda: False)
                data = self._take(len(self._buffer))
            else:
                self._wait_for(lambda: len(self._buffer) >= size)
                data = self._take(size)
        self._after_take()
        return data

    def readline(self, size: Optional[int] = -1) -> bytes:
        limit = None if size is None or size < 0 else size
        self._maybe_start()
        with self._cond:
            self._wait_for(lambda: b"\n" in self._buffer or (
                limit is not None and len(self._buffer) >= limit))
            end = self._buffer.find(b"\n") + 1 or len(self._buffer)
            data = self._take(end if limit is None else min(end, limit))
        self._after_take()
        return data

    def readlines(self, hint: int = -1) -> list[bytes]:
        lines, total = [], 0
        for line in self:
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                break
        return lines

    def __iter__(self):
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    def close(self) -> None:
        self.abort(BodyAborted("closed"))
