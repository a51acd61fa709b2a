"""PEP 3333 `wsgi.file_wrapper`: lets an app hand the server a file to send with os.sendfile."""

from __future__ import annotations

import os
import stat
from typing import Optional


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
