"""The pipeline of one connection: its queued requests, answered one at a time, in order.

HTTP/1.1 lets a client send requests before the previous answers arrive; they
must be answered in the order they came. The pipeline holds them, starts a
task for the first, and when it finishes, the next: on the loop thread
(static files, errors, `--threads 0`) or in the thread pool (an app call).

A client that has gone away gets nothing more started for it; the rule:
- reset, or sending failed (the connection is closed, or the socket holds an
  error such as the RST a closed client's kernel sends back on our last
  response): the client is gone, so queued requests are dropped, and a task
  still waiting for a thread or its turn on the loop never starts (the app is
  not called for an answer nobody will read). Only a request already in
  progress runs to its end;
- EOF on read alone is not "gone": "a TCP connection that is half-closed by
  the client does not ... imply that the client is no longer interested in a
  response" (RFC 9112 9.6), so after shutdown(SHUT_WR) what the client had
  already sent is still answered, in order. A client that closed entirely
  shows it by the RST its kernel sends back on our next response; the socket
  is asked for that error before each pipelined request (one getsockopt), so
  on loopback nothing more starts, over a network at most one more.
"""

from __future__ import annotations

import collections
import logging
import threading
from typing import Any, Optional, Protocol

from ..http.exchange import Task
from .loop import IN, EventLoop
from .output import HIGH_WATER, OutputQueue
from .state import CLOSED, OPEN

error_log = logging.getLogger("wsgiserver.error")

LOOP_TURNS = 8  # pipelined requests one connection may run inline before yielding
MAX_PENDING = 16  # parsed requests waiting: reading stops here (a pipelining flood)


class PipelineConnection(Protocol):
    """What a pipeline needs of its connection (connection.Connection is one)."""

    server: Any  # connection.Owner: make_task, pool, request_finished, stopping
    loop: EventLoop
    lock: threading.Lock
    output: OutputQueue
    phase: str
    peer_eof: bool
    mask: int

    def stop_requests(self) -> None: ...

    def update_mask(self) -> None: ...

    def close_soon(self) -> None: ...

    def close(self) -> None: ...


class Pipeline:
    def __init__(self, connection: PipelineConnection) -> None:
        self.connection = connection
        self.pending: collections.deque[Any] = collections.deque()  # Requests, HTTPErrors
        self.busy = False  # a task is running (or paused) for this connection
        self.paused: Optional[Task] = None  # an inline task waiting for the socket to drain

    # -- under the connection's lock --
    def take_next(self, after_answer: bool = False) -> Any:
        """The next request to answer, or None: one at a time, and not behind big output.

        `after_answer`: a response just went out, so first ask the socket whether
        the client reset (one getsockopt, only for a pipelined request)."""
        connection = self.connection
        if self.busy or connection.phase is not OPEN or not self.pending:
            return None
        if connection.output.size > HIGH_WATER:
            return None  # resumed from the connection's write path once the output drains
        if after_answer and connection.output.peer_reset():
            connection.stop_requests()  # the client is gone (see the module's rule)
            self.drop()
            return None
        self.busy = True
        return self.pending.popleft()

    def drop(self) -> None:
        """Forget queued requests, closing their bodies (temporary files) now."""
        for item in self.pending:
            close_body(getattr(item, "body", None))
        self.pending.clear()

    # -- running tasks --
    def start(self, item: Any, on_loop: bool) -> None:
        task = self.connection.server.make_task(self.connection, item)
        if on_loop and task.needs_thread:
            self.connection.server.pool.submit(self.run, task, False)
        else:
            self.run(task, on_loop)

    def run(self, task: Task, on_loop: bool, resumed: bool = False) -> None:
        if not resumed and self.connection.phase is CLOSED:
            self._drop_unstarted(task)
            return
        try:
            self._run_tasks(task, on_loop, resumed)
        except BaseException:
            # A bug of ours (or an app's SystemExit escaping): never leave the
            # connection busy forever; drop it and keep the server alive.
            error_log.exception("unexpected error running a request; closing the connection")
            with self.connection.lock:
                self.busy = False
            self.connection.close()

    def _drop_unstarted(self, task: Task) -> None:
        """The connection closed while `task` waited for a thread or for its turn on
        the loop: it is not started, so the app never sees a gone client's request."""
        if task.request is not None:
            close_body(task.request.body)
        with self.connection.lock:
            self.busy = False

    def _run_tasks(self, task: Task, on_loop: bool, resumed: bool) -> None:
        connection = self.connection
        for turn in range(1_000_000):
            if on_loop and turn == LOOP_TURNS:
                # Other connections get their turn before this pipeline goes on.
                connection.loop.call_soon_threadsafe(self.run, task, True)
                return
            done = task.resume() if resumed else task.run()
            resumed = False
            if not done:
                with connection.lock:
                    self.paused = task
                return
            item = self._complete(task)
            if item is None:
                return
            task = connection.server.make_task(connection, item)
            if on_loop and task.needs_thread:
                connection.server.pool.submit(self.run, task, False)
                return

    def _complete(self, task: Task) -> Any:
        """Task finished: log it, then pick the next request or start closing."""
        task.close()
        request = task.request
        if request is not None and request.body is not None:  # close_body, inlined
            close = getattr(request.body, "close", None)
            if close is not None:
                close()
        connection = self.connection
        connection.server.request_finished(connection, task)
        with connection.lock:
            self.busy = False
            # Not `server.stopping`: a response that kept the connection alive
            # leaves it open for the next request (answered with close, drain.py).
            if not task.keep_alive or (connection.peer_eof and not self.pending):
                connection.stop_requests()
                self.drop()
            item = self.take_next(after_answer=True)
            close_now = connection.phase is not OPEN and not connection.output.items
            if connection.phase is not OPEN or connection.mask != IN:
                connection.update_mask()  # else nothing changed: still reading, nothing queued
        if close_now:
            connection.close_soon()
        return item


def close_body(body: Any) -> None:
    close = getattr(body, "close", None)
    if close is not None:
        close()
