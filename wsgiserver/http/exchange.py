"""The seams between a connection and the tasks that answer its requests.

A connection (net/) runs one `Task` per request and hands it a `Sink` to
write to; the tasks live in wsgi/ (the app), static/ (files) and here
(`ErrorTask`, for requests the parser refused). Declaring both sides here,
below all of them, keeps the layers from importing each other.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Protocol

from ..errors import ConnectionLost, HTTPError
from . import response
from .request import Request


class FileSegment:
    """`remaining` bytes of an open file from `offset`, queued for os.sendfile."""

    __slots__ = ("fd", "offset", "remaining", "on_done")

    def __init__(self, fd: int, offset: int, count: int,
                 on_done: Optional[Callable[[], None]] = None) -> None:
        self.fd = fd
        self.offset = offset
        self.remaining = count
        self.on_done = on_done

    def advance(self, sent: int) -> None:
        self.offset += sent
        self.remaining -= sent

    def done(self) -> None:
        """Sent or dropped: release the file (runs once, on whichever thread flushed it)."""
        callback, self.on_done = self.on_done, None
        if callback is not None:
            callback()


class Sink(Protocol):
    """Where a task writes its response: the connection, callable from any thread.

    Every method raises `ConnectionLost` once the client is gone.
    """

    def send(self, data: bytes) -> None:
        """Queue bytes; a worker thread waits here while too much is unsent."""

    def send_nowait(self, data: bytes) -> None:
        """Queue the last bytes of a response without waiting for the client."""

    def send_file(self, head: bytes, segment: FileSegment) -> None:
        """Queue a head and a file segment for os.sendfile; never waits."""

    def send_continue(self) -> None:
        """Send `100 Continue` (the app started reading a 100-continue body)."""

    def should_pause(self) -> bool:
        """True while too much output is unsent: an inline task pauses."""

    def input_drained(self) -> None:
        """The app caught up with a streamed body: the connection may read again."""


class Task(Protocol):
    """One request's answer, run by its connection, in order with the others."""

    needs_thread: bool  # run in the thread pool (an app call) rather than on the loop
    request: Optional[Request]  # for a refused request, what was read of it, if anything
    keep_alive: bool  # may the connection carry another request after this one?
    status_code: int
    body_sent: int
    started: float  # time.perf_counter() when the task was made (request durations)
    response_headers: Any  # (name, value) pairs sent, for the access log's {header}o

    def run(self) -> bool:
        """Answer; True when done, False when paused until the socket drains."""

    def resume(self) -> bool:
        """Go on after a pause; True when done."""

    def close(self) -> None:
        """Release what the task holds (PEP 3333: the app's iterable is closed)."""


class LoopTask:
    """What the tasks that run on the event loop share: they never pause."""

    needs_thread = False
    keep_alive = False
    status_code = 0
    body_sent = 0
    started = 0.0
    response_headers: Any = ()

    def resume(self) -> bool:
        return True

    def close(self) -> None:
        pass


class ErrorTask(LoopTask):
    """Answers a request the parser refused: its status, then close."""

    def __init__(self, sink: Sink, error: HTTPError) -> None:
        self.sink = sink
        self.error = error
        self.status_code = int(error.status)
        self.request = error.request

    def run(self) -> bool:
        data = response.error_response(self.status_code, self.error.status.phrase,
                                       self.error.reason)
        try:
            self.sink.send(data)
        except ConnectionLost:
            return True  # the client is gone: nobody to tell
        self.body_sent = len(data) - data.index(b"\r\n\r\n") - 4
        return True
