"""A connection's output queue: bytes and file segments waiting for the socket.

Flushed with `send`, `sendmsg` (writev: several buffers in one call) and
`os.sendfile`, until the socket would block. Its size drives flow control:
above HIGH_WATER unsent bytes a worker thread's `send` waits (`wait_for_room`)
and the connection stops reading and dispatching; at LOW_WATER they resume.

Every method expects the connection's lock to be held: the loop thread and
a worker thread both queue and flush.
"""

from __future__ import annotations

import collections
import os
import socket
import threading
import time
from typing import Callable, Union

from ..http.exchange import FileSegment

HIGH_WATER = 1 << 20
LOW_WATER = 256 * 1024
IOV_MAX = 64
READ_CHUNK = 256 * 1024  # per read() with --no-sendfile
_MSG_MORE = getattr(socket, "MSG_MORE", 0)

Item = Union[bytes, memoryview, FileSegment]


class OutputQueue:
    def __init__(self, sock: socket.socket, lock: threading.Lock, sendfile: bool = True) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        # --no-sendfile: file segments go by pread() and send() (gunicorn's sendfile=False)
        self.send_file_bytes = _sendfile if sendfile else self._read_and_send
        self.items: collections.deque[Item] = collections.deque()
        self.size = 0  # unsent bytes, file segments included
        self.broken = False  # a send failed: the peer is gone, nothing more can go out
        self.drained = threading.Condition(lock)
        self.last_sent = time.monotonic()

    def append(self, data: bytes) -> None:
        self.items.append(data)
        self.size += len(data)

    def send_now(self, data: bytes) -> None:
        """append(data) then flush(), for an empty queue: the usual response goes
        out in one send() without passing through the deque."""
        try:
            sent = self.sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = -1
        except OSError:
            self.drop()
            self.broken = True
            return
        if sent >= 0:
            self.last_sent = time.monotonic()
        if sent < len(data):
            self.items.append(memoryview(data)[sent:] if sent > 0 else data)
            self.size += len(data) - max(sent, 0)

    def append_file(self, head: bytes, segment: FileSegment) -> None:
        self.items.append(head)
        self.items.append(segment)
        # Counted like bytes, so reading and dispatch pause behind a big file
        # (else a pipelining client that never reads could pin many open fds).
        self.size += len(head) + segment.remaining

    @property
    def over_high_water(self) -> bool:
        return self.size > HIGH_WATER

    def wait_for_room(self, gone: Callable[[], bool]) -> None:
        """Block a worker thread until the client has read enough, or is `gone`."""
        while self.size > HIGH_WATER and not gone():
            self.drained.wait()

    def flush(self) -> None:
        """Send until the queue is empty or the socket would block."""
        items = self.items
        try:
            while items:
                if isinstance(items[0], FileSegment):
                    if not self._send_segment(items[0]):
                        return
                elif not self._send_buffers():
                    return
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.drop()
            self.broken = True

    def peer_reset(self) -> bool:
        """True (and the queue broken) if the socket holds an error, as after the
        peer's RST: the next send would fail. One getsockopt; it does not block."""
        try:
            failed = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0
        except OSError:
            failed = True
        if failed:
            self.drop()
            self.broken = True
        return failed

    def after_flush_drained(self) -> bool:
        """True (and waiting workers woken) once the queue is down to LOW_WATER."""
        if self.size > LOW_WATER:
            return False
        self.drained.notify_all()
        return True

    def drop(self) -> None:
        """Forget everything unsent (the peer is gone), releasing queued files."""
        for item in self.items:
            if isinstance(item, FileSegment):
                item.done()
        self.items.clear()
        self.size = 0
        self.drained.notify_all()

    def _send_segment(self, segment: FileSegment) -> bool:
        if segment.remaining:
            self.size -= self.send_file_bytes(self.fd, segment)
            self.last_sent = time.monotonic()
        if segment.remaining:
            return False
        self.items.popleft()
        segment.done()
        return True

    def _send_buffers(self) -> bool:
        items = self.items
        if len(items) == 1:  # the common case: one response, one send(); inlined for speed
            item = items[0]
            sent = self.sock.send(item)
            self.size -= sent
            self.last_sent = time.monotonic()
            if sent < len(item):
                items[0] = memoryview(item)[sent:]
                return False
            items.popleft()
            return True
        buffers, flags = [], 0
        for item in items:
            if isinstance(item, FileSegment):
                # A head before its file: MSG_MORE lets the kernel put both in the
                # same packets instead of sending the head alone (one fewer
                # segment and one fewer wake-up of the client per response).
                # Never before an empty segment: nothing would push the head out.
                flags = _MSG_MORE if item.remaining else 0
                break
            if len(buffers) == IOV_MAX:
                break
            buffers.append(item)
        sent = (self.sock.sendmsg(buffers, (), flags) if len(buffers) > 1
                else self.sock.send(buffers[0], flags))
        return self._sent(sent, len(buffers))

    def _sent(self, sent: int, count: int) -> bool:
        """Drop what `sent` covered of the first `count` buffers; True if all of them."""
        self.size -= sent
        self.last_sent = time.monotonic()
        items = self.items
        for _ in range(count):
            item = items[0]
            if sent < len(item):
                items[0] = memoryview(item)[sent:]
                return False
            sent -= len(item)
            items.popleft()
        return True


    def _read_and_send(self, sock_fd: int, segment: FileSegment) -> int:
        """What _sendfile does, without os.sendfile: bytes sent (raises BlockingIOError)."""
        data = os.pread(segment.fd, min(segment.remaining, READ_CHUNK), segment.offset)
        if not data:
            raise OSError("file truncated while being sent")
        sent = self.sock.send(data)  # what the socket did not take is read again later
        segment.advance(sent)
        return sent


def _sendfile(sock_fd: int, segment: FileSegment) -> int:
    """Send what the socket takes now; returns bytes sent (raises BlockingIOError)."""
    sent = os.sendfile(sock_fd, segment.fd, segment.offset, min(segment.remaining, 1 << 30))
    if sent == 0:
        # The file shrank under us: we can never send the promised bytes.
        raise OSError("file truncated while being sent")
    segment.advance(sent)
    return sent
