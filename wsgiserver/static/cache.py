"""The caches that make static files fast, and the open file their segments share."""

from __future__ import annotations

import os
import threading
from typing import Optional

from ..http.dates import http_date_now
from ..http.exchange import FileSegment


class OpenFile:
    """An open file shared by the segments of one response, closed after the last.

    The task holds one reference and each queued FileSegment another, released
    when the segment is sent or dropped (by whichever thread flushes it).
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._refs = 1
        self._lock = threading.Lock()

    def segment(self, offset: int, count: int) -> FileSegment:
        with self._lock:
            self._refs += 1
        return FileSegment(self.fd, offset, count, on_done=self.release)

    def release(self) -> None:
        with self._lock:
            self._refs -= 1
            last = self._refs == 0
        if last:
            os.close(self.fd)


class ContentCache:
    """The bytes of small files, so a hot 2 KB file costs no syscall but one send.

    Keyed by (dev, inode, size, mtime): a changed file has a new key, so it can
    never be served stale; old keys age out first-in first-out within the budget.
    """

    def __init__(self, budget: int = 16 << 20, max_file: int = 64 << 10) -> None:
        self.budget = budget
        self.max_file = max_file
        self._items: dict[tuple, bytes] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Optional[bytes]:
        return self._items.get(key)

    def put(self, key: tuple, data: bytes) -> None:
        with self._lock:
            if key in self._items or len(data) > self.budget:
                return
            while self._bytes + len(data) > self.budget:
                oldest = next(iter(self._items))
                self._bytes -= len(self._items.pop(oldest))
            self._items[key] = data
            self._bytes += len(data)


class ResponseCache:
    """Whole responses to plain GET/HEAD of small cached files, for the current second.

    A hot file gets byte-for-byte the same answer within a second (Date is
    the only header that moves), so it is built once and then just sent.
    Entries live until the Date changes, as long as the lookup cache's TTL.
    """

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._date = ""
        self._entries: dict[tuple, tuple[bytes, int, bool]] = {}

    def get(self, key: tuple) -> Optional[tuple[bytes, int, bool]]:
        if self._date != http_date_now():
            return None
        return self._entries.get(key)

    def put(self, key: tuple, data: bytes, body_sent: int, keep_alive: bool) -> None:
        date = http_date_now()
        if date != self._date:
            self._entries, self._date = {}, date
        if len(self._entries) < self.size:
            self._entries[key] = (data, body_sent, keep_alive)
