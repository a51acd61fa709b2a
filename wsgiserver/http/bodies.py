"""Request bodies as the parser fills them.

`BodyBuffer` collects a body that arrives before the app runs. Small bodies
stay in memory (an `io.BytesIO`, whose read/readline are C code); a body over
`SPOOL_THRESHOLD` moves to an anonymous temporary file so a 1 GB upload never
sits in RAM. Either way `wsgi.input` holds exactly the body, so the app can
never read past it into the next pipelined request.

`StreamedBody` is what the parser needs of a body that is read while it
arrives (`Expect: 100-continue` with a thread pool). The parser does not
know who reads it: the WSGI layer supplies one (`wsgi/input.py`).
"""

from __future__ import annotations

import io
import tempfile
from typing import Optional, Protocol

SPOOL_THRESHOLD = 1 << 20


class StreamedBody(Protocol):
    """A body handed to its reader before it has arrived; the parser feeds it."""

    complete: bool  # the whole body has arrived
    full: bool  # so much is unread that the connection should stop reading
    read_started: bool  # its reader has asked for it (so 100 Continue has gone out)

    def write(self, data: bytes) -> None: ...

    def finish(self) -> None: ...

    def abort(self, error: BaseException) -> None: ...


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
