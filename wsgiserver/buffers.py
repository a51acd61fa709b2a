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

    def finish(self) -> io.IOBase:
        if self._file is None:
            return io.BytesIO(b"".join(self._parts))
        self._file.seek(0)
        return self._file


class BodyAborted(Exception):
    """The body will never arrive whole (client gone, or over the size limit)."""


class StreamingBody:
    """A thread-safe `wsgi.input` filled by the event loop while the app reads it."""

    def __init__(self, on_first_read: Optional[Callable[[], None]] = None) -> None:
        self._buffer = bytearray()
        self._done = False
        self._error: Optional[BaseException] = None
        self._cond = threading.Condition()
        self._on_first_read: Optional[Callable[[], None]] = on_first_read
        self.read_started = False

    def set_on_first_read(self, callback: Callable[[], None]) -> None:
        self._on_first_read = callback

    # -- producer side (event loop) --
    def feed(self, data: bytes) -> None:
        with self._cond:
            self._buffer += data
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

    def _wait_for(self, ready: Callable[[], bool]) -> None:
        if not self.read_started:
            self._start()
        while not (ready() or self._done or self._error):
            self._cond.wait()
        if self._error is not None:
            raise BodyAborted(str(self._error))

    def _take(self, count: int) -> bytes:
        data = bytes(self._buffer[:count])
        del self._buffer[:count]
        return data

    def read(self, size: Optional[int] = -1) -> bytes:
        with self._cond:
            if size is None or size < 0:
                self._wait_for(lambda: False)
                return self._take(len(self._buffer))
            self._wait_for(lambda: len(self._buffer) >= size)
            return self._take(size)

    def readline(self, size: Optional[int] = -1) -> bytes:
        limit = None if size is None or size < 0 else size
        with self._cond:
            self._wait_for(lambda: b"\n" in self._buffer or (
                limit is not None and len(self._buffer) >= limit))
            end = self._buffer.find(b"\n") + 1 or len(self._buffer)
            return self._take(end if limit is None else min(end, limit))

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
