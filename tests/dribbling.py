"""A slow client for the deadline tests: sends a byte at a time, bounded in time."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass


@dataclass
class Dribbled:
    received: bytes  # what the server sent while we dribbled
    seconds: float  # from the first byte sent until the server answered or closed
    closed: bool  # the server closed (EOF or reset) before the limit
    sent: int  # bytes of the data sent

    @property
    def status(self) -> int:
        """The status of the first final (non-1xx) response received, 0 if none."""
        for line in self.received.split(b"\r\n"):
            if line.startswith(b"HTTP/1.1 ") and not line.startswith(b"HTTP/1.1 1"):
                return int(line.split()[1])
        return 0


def dribble(sock: socket.socket, data: bytes, interval: float, limit: float) -> Dribbled:
    """Send `data` one byte every `interval` s, never stalling longer than that,
    until the server closes the connection or `limit` s pass."""
    start = time.monotonic()
    received = bytearray()
    sent = 0
    while time.monotonic() - start < limit:
        if sent < len(data):
            try:
                sock.send(data[sent:sent + 1])
                sent += 1
            except OSError:
                return Dribbled(bytes(received), time.monotonic() - start, True, sent)
        if _wait_for_answer(sock, received, interval):
            return Dribbled(bytes(received), time.monotonic() - start, True, sent)
    return Dribbled(bytes(received), time.monotonic() - start, False, sent)


def _wait_for_answer(sock: socket.socket, received: bytearray, interval: float) -> bool:
    """Read what comes within `interval`; True if the server closed."""
    deadline = time.monotonic() + interval
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            return False
        except OSError:
            return True
        if not chunk:
            return True
        received += chunk
    return False
