"""Sending files with os.sendfile: `wsgi.file_wrapper` and the queued file segment."""

from __future__ import annotations

import os
import stat
from typing import Callable, Optional


class FileWrapper:
    """PEP 3333 `wsgi.file_wrapper`: iterable fallback, sendfile when the server can."""

    def __init__(self, filelike, blksize: int = 65536) -> None:
        self.filelike = filelike
        self.blksize = blksize
        if hasattr(filelike, "close"):
            self.close = filelike.close

    def __iter__(self):
        read = self.filelike.read
        while True:
            data = read(self.blksize)
            if not data:
                return
            yield data

    def sendable_range(self) -> Optional[tuple[int, int, int]]:
        """(fd, offset, size to end of file) if this wraps a regular file, else None."""
        try:
            fd = self.filelike.fileno()
            info = os.fstat(fd)
            offset = self.filelike.tell()
        except (AttributeError, OSError, ValueError):
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        return fd, offset, max(0, info.st_size - offset)


class FileSegment:
    """`count` bytes of an open file from `offset`, queued for os.sendfile."""

    __slots__ = ("fd", "offset", "remaining", "on_done")

    def __init__(self, fd: int, offset: int, count: int,
                 on_done: Optional[Callable[[], None]] = None) -> None:
        self.fd = fd
        self.offset = offset
        self.remaining = count
        self.on_done = on_done

    def send_to(self, sock_fd: int) -> int:
        """Send what the socket takes now; returns bytes sent (raises BlockingIOError)."""
        sent = os.sendfile(sock_fd, self.fd, self.offset, min(self.remaining, 1 << 30))
        if sent == 0:
            # The file shrank under us: we can never send the promised bytes.
            raise OSError("file truncated while being sent")
        self.offset += sent
        self.remaining -= sent
        return sent

    def done(self) -> None:
        callback, self.on_done = self.on_done, None
        if callback is not None:
            callback()
