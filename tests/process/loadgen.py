"""Helpers for the master's lifecycle tests: a bounded load loop that counts failures,
and a look at a process's children in /proc."""

from __future__ import annotations

import socket
import threading
import time
from typing import Optional

from tests.helpers import Client, make_request


class Load:
    """`clients` threads sending GET `path` to 127.0.0.1:`port` until stopped, or
    `max_requests` are done, or `max_seconds` have passed (whichever is first).

    A failure is anything but a whole 2xx response: refused, reset, EOF, a short
    body, a timeout, another status. With keep_alive, a connection is reused
    until a response says `Connection: close`; without, every request has its own
    connection and says `Connection: close` itself.
    """

    def __init__(self, port: int, path: str = "/", clients: int = 4, keep_alive: bool = False,
                 max_requests: int = 100_000, max_seconds: float = 60.0) -> None:
        self.port = port
        self.path = path
        self.keep_alive = keep_alive
        self.max_requests = max_requests
        self.deadline = time.monotonic() + max_seconds
        self.ok = 0
        self.failures: list[str] = []
        self.bodies: set[bytes] = set()
        self.last_bodies: list[bytes] = []
        self._issued = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(clients)]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
        # pytest shows this with a failure (and with -rP): what the load saw in all
        print(f"load on port {self.port}: {self.ok} answered, {len(self.failures)} failed")

    @property
    def done(self) -> int:
        return self.ok + len(self.failures)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(20)

    def forget_bodies(self) -> None:
        """Start `last_bodies` afresh (what the server answers from now on)."""
        with self._lock:
            self.last_bodies = []

    def finished(self) -> bool:
        return not any(thread.is_alive() for thread in self._threads)

    def _take_turn(self) -> bool:
        with self._lock:
            if self._stop.is_set() or self._issued >= self.max_requests \
                    or time.monotonic() > self.deadline:
                return False
            self._issued += 1
            return True

    def _run(self) -> None:
        client: Optional[Client] = None
        while self._take_turn():
            try:
                if client is None:
                    client = Client("127.0.0.1", self.port, timeout=10)
                client, outcome = self._one(client)
            except (OSError, EOFError, AssertionError) as error:
                outcome = f"{type(error).__name__}: {error}"
                if client is not None:
                    client.close()
                client = None
            self._record(outcome)
        if client is not None:
            client.close()

    def _one(self, client: Client) -> tuple[Optional[Client], object]:
        headers = () if self.keep_alive else (("Connection", "close"),)
        client.send(make_request(self.path, headers=headers))
        response = client.read_response()
        if not self.keep_alive or response.closes:
            client.close()
            client = None
        if 200 <= response.status < 300 and response.complete:
            return client, response.body
        return client, f"status {response.status}"

    def _record(self, outcome: object) -> None:
        with self._lock:
            if isinstance(outcome, bytes):
                self.ok += 1
                self.bodies.add(outcome)
                self.last_bodies = (self.last_bodies + [outcome])[-20:]
            else:
                self.failures.append(str(outcome))


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def refused(port: int) -> bool:
    """True if a connection to the port is refused (nothing listens any more)."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False
