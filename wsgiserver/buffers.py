"""Request-body buffers: what `wsgi.input` reads from.

`BodyBuffer` collects a body that arrives before the app runs. Small bodies
stay in memory (an `io.BytesIO`, whose read/readline are C code); a body over
`SPOOL_THRESHOLD` moves to an anonymous temporary file so a 1 GB upload never
sits in RAM. Either way `wsgi.input` holds exactly the body, so the app can
never read past it into the next pipelined request.

`StreamingBody` is the one case where the app runs before the body arrives:
a request with `Expect: 100-continue` in a threaded server. The app's first
read sends `100 Continue`, then blocks its worker thread until the event loop
feeds the rest of the body.
"""

from __future__ import annotations

import io
import tempfile
import threading
from typing import Callable, Optional

SPOOL_THRESHOLD = 1 << 20
BACKLOG_HIGH = 1 << 20
BACKLOG_LOW = 256 * 1024


class BodyBuffer:
    """Accumulates body bytes; `finish()` returns a readable file positioned at 0."""

    def __init__(self) -> None:
        self.size = 0
        self._parts: list[bytes] = []
        self._file: Optional[tempfile._TemporaryFileWrapper] = None

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self._file is not None:
            self._file.write(data)
            return
        self._parts.append(data)
        if self.size > SPOOL_THRESHOLD:
            self._spool()

    def _spool(self) -> None:
        self._file = tempfile.TemporaryFile()
        self._file.write(b"".join(self._parts))
        self._parts = []

    def close(self) -> None:
        """Free a spooled temporary file now, not at the next garbage collection."""
        if self._file is not None:
            self._file.close()

    def finish(self) -> io.IOBase:
        if self._file is None:
            return io.BytesIO(b"".join(self._parts))
        self._file.seek(0)
        return self._file


class BodyAborted(Exception):
    """The body will never arrive whole (client gone, too slow, over the size limit).

    `error` is the protocol error (with its HTTP status) when there is one.
    """

    def __init__(self, message: str = "", error: Optional[Exception] = None) -> None:
        super().__init__(message)
        self.error = error


class StreamingBody:
    """A thread-safe `wsgi.input` filled by the event loop while the app reads it."""

    def __init__(self, on_first_read: Optional[Callable[[], None]] = None) -> None:
        self._buffer = bytearray()
        self._done = False
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
    def backlog(self) -> int:
        """Bytes received but not read yet: the loop stops reading above BACKLOG_HIGH."""
        return len(self._buffer)

    # -- producer side (event loop) --
    def feed(self, data: bytes) -> None:
        with self._cond:
            self._buffer += data
            self._over = self._over or len(self._buffer) > BACKLOG_HIGH
            self._cond.notify_all()

    def finish(self) -> None:
        with self._cond:
            self._done = True
            self._cond.notify_all()

    def abort(self, error: BaseException) -> None:
        with self._cond:
            self._error = error
            self._cond.notify_all()

    @property
    def complete(self) -> bool:
        return self._done

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
        while not (ready() or self._done or self._error):
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
