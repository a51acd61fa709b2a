"""One client connection: reads and parses requests, keeps its deadlines, closes gracefully.

The event-loop thread reads, parses and flushes; a worker thread (or the
loop itself with --threads 0) runs one task at a time and writes through the
`Sink` methods here. What moves between them is guarded by `self.lock`; only
the loop thread registers, unregisters or closes the fd. The connection has
two helpers: its `OutputQueue` (output.py: unsent bytes and files, water
marks) and its `Pipeline` (pipeline.py: queued requests and their tasks). Its
lifecycle is in state.py.

Flow control, both ways:
- reading stops while too many parsed requests wait (pipelining flood) or
  too much output is unsent (a client that does not read its responses);
- a worker's `send` blocks above HIGH_WATER unsent bytes; an inline task
  pauses instead and is resumed from `on_events` when the socket drains.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any, Callable, Optional, Protocol, Union

from .. import errors
from ..errors import ConnectionLost
from ..http.bodies import StreamedBody
from ..http.exchange import FileSegment, Task
from ..http.parser import Limits, RequestParser
from ..http.request import Request
from ..http.response import CONTINUE
from .deadlines import RequestClock
from .loop import ERR_OR_HUP, IN, OUT, EventLoop
from .output import HIGH_WATER, OutputQueue
from .pipeline import MAX_PENDING, Pipeline
from .state import CLOSED, CLOSING, LINGERING, OPEN, move

error_log = logging.getLogger("wsgiserver.error")

RECV_SIZE = 256 * 1024
LINGER_SECONDS = 2.0


class Owner(Protocol):
    """What a connection needs from the server that accepted it."""

    loop: EventLoop
    config: Any  # the settings: read_timeout, keepalive, limit_request_*, sendfile
    pool: Any  # the thread pool (`submit`), None with --threads 0
    stopping: bool
    streamed_body: Optional[Callable[[], StreamedBody]]

    def make_task(self, connection: Connection,
                  item: Union[Request, errors.HTTPError]) -> Task: ...

    def request_finished(self, connection: Connection, task: Task) -> None:
        """A task is done (answered, or given up): count it, log it, report it."""

    def forget(self, connection: Connection) -> None: ...


class Connection:
    def __init__(self, server: Owner, sock: socket.socket, addr: Any) -> None:
        self.server = server
        self.loop = server.loop
        self.sock = sock
        self.fd = sock.fileno()
        self.addr = addr
        self.unix_peer = type(addr) is not tuple
        self.environ_base = None  # (environ, trusted proxy?): the server's, per connection
        self.parser = RequestParser(Limits.from_config(server.config),
                                    streamed_body=server.streamed_body)
        self.lock = threading.Lock()
        self.output = OutputQueue(sock, self.lock, sendfile=server.config.sendfile)
        self.pipeline = Pipeline(self)
        self.task: Optional[Task] = None  # the last task made for it (server.make_task)
        self.phase = OPEN  # see state.py
        self.peer_eof = False  # the client shut down its side: no more requests
        self.mask = IN
        self.last_activity = time.monotonic()  # last read (sends are in output.last_sent)
        self.clock = RequestClock()  # the header and body deadlines (deadlines.py)

    @property
    def has_work(self) -> bool:
        """A task running or paused, requests queued, or output unsent."""
        pipeline = self.pipeline
        return bool(pipeline.busy or pipeline.pending or self.output.items)

    # -- loop thread: readiness --
    def on_events(self, events: int) -> None:
        if events & IN:
            self._linger_read() if self.phase is LINGERING else self._read()
        if events & OUT and self.phase is not CLOSED:
            self._write_ready()
        if events & ERR_OR_HUP and self.phase is not CLOSED:
            self.close()

    def _read(self) -> None:
        try:
            data = self.sock.recv(RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close()
            return
        if not data:
            self._on_eof()
            return
        now = self.last_activity = time.monotonic()
        parser, clock = self.parser, self.clock
        if (clock.head_started is None and clock.body_started is None and not clock.held
                and not parser.in_message):
            events = parser.feed(data)
            # The usual case, whole requests into an idle connection, leaves the
            # clocks stopped; only what is left midway starts them (as below).
            if parser.in_message or not events:
                clock.before_feed(now, False, 0)
                clock.after_feed(now, bool(events), parser.in_message, parser.reading_body)
        else:
            clock.before_feed(now, parser.reading_body, parser.body_received)
            events = parser.feed(data)
            # Events are requests, or an error after which the clock no longer matters.
            clock.after_feed(now, bool(events), parser.in_message, parser.reading_body)
        if events or self.parser.finished:
            self._queue(events)
        if (self.parser.continue_for is not None and self.parser.take_continue()
                and self.phase is not CLOSED):
            self._send_early_continue()

    def _send_early_continue(self) -> None:
        # Inline mode buffers the body before the app runs, so ask for it now;
        # only when nothing is in flight, or the 100 would land mid-response.
        with self.lock:
            idle = not self.has_work
        if idle:
            try:
                self.send(CONTINUE)
            except ConnectionLost:
                self.close()

    def _queue(self, events: list) -> None:
        pipeline = self.pipeline
        with self.lock:
            pipeline.pending.extend(events)
            if self.parser.finished or len(pipeline.pending) >= MAX_PENDING:
                self.update_mask()
            item = pipeline.take_next()
        if item is not None:
            pipeline.start(item, on_loop=True)

    def _on_eof(self) -> None:
        self.parser.feed_eof()  # a request cut off midway is dropped here
        with self.lock:
            self.peer_eof = True
            idle = not self.has_work
            if idle:
                self.stop_requests()
            self.update_mask()
        if idle:
            self.close()

    def _write_ready(self) -> None:
        with self.lock:
            self._flush()
            resume, close_now = self._after_flush()
            item = self.pipeline.take_next() if resume is None and not close_now else None
        if close_now:
            self._close_gracefully()
        elif resume is not None:
            self.pipeline.run(resume, on_loop=True, resumed=True)
        elif item is not None:
            self.pipeline.start(item, on_loop=True)

    def _after_flush(self) -> tuple[Optional[Task], bool]:
        """Under the lock: the paused task to resume, and whether to close now."""
        resume = None
        if self.output.after_flush_drained():
            resume, self.pipeline.paused = self.pipeline.paused, None
        close_now = (self.phase is CLOSING and not self.output.items
                     and not self.pipeline.busy)
        self.update_mask()
        return resume, close_now

    # -- the Sink interface used by tasks (any thread) --
    def send(self, data: bytes) -> None:
        self._enqueue(data, wait=True)

    def send_nowait(self, data: bytes) -> None:
        """Queue without waiting for the client to read (the last bytes of a response)."""
        self._enqueue(data, wait=False)

    def send_file(self, head: bytes, segment: FileSegment) -> None:
        """Queue a head and a file segment. Never blocks: a worker thread must not
        wait out a long file transfer; the next request waits instead (`take_next`)."""
        with self.lock:
            if self.phase is CLOSED or self.output.broken:
                segment.done()
                raise ConnectionLost()
            self.output.append_file(head, segment)
            self._push(wait=False)

    def send_continue(self) -> None:
        self.send(CONTINUE)

    def should_pause(self) -> bool:
        return self.output.size > HIGH_WATER

    def input_drained(self) -> None:
        """The app caught up with a streamed body: the loop may read again."""
        self.loop.call_soon_threadsafe(self._resume_input)

    def _resume_input(self) -> None:
        with self.lock:
            self.update_mask()

    def _enqueue(self, data: bytes, wait: bool) -> None:
        with self.lock:
            output = self.output
            if self.phase is CLOSED or output.broken:
                raise ConnectionLost()
            if data and not output.items and not self.mask & OUT:
                # The usual case: nothing queued, so send at once; if all of
                # it went, _push has nothing to do (no queue, no mask, no wait).
                output.send_now(data)
                if not output.items and not output.broken:
                    return
            elif data:
                output.append(data)
            self._push(wait)

    def _push(self, wait: bool) -> None:
        """Under the lock: send what the socket takes now, and wait for room if asked."""
        output = self.output
        if not self.mask & OUT:
            output.flush()
            if output.broken:
                self.stop_requests()  # the peer is gone: nothing more can be delivered
        if output.items or self.mask & OUT:
            self.update_mask()
        if wait and output.size > HIGH_WATER and not self.loop.in_loop_thread():
            output.wait_for_room(lambda: self.phase is CLOSED)
        if self.phase is CLOSED or output.broken:
            raise ConnectionLost()

    # -- under the lock --
    def _flush(self) -> None:
        self.output.flush()
        if self.output.broken:
            self.stop_requests()  # the peer is gone: nothing more can be delivered

    def stop_requests(self) -> None:
        """Answer no further request; what is queued still goes out."""
        if self.phase is OPEN:
            self.phase = move(OPEN, CLOSING)

    def update_mask(self) -> None:
        if self.phase is CLOSED or self.phase is LINGERING:
            return
        mask = OUT if self.output.items else 0
        if self._wants_input():
            mask |= IN
        if mask != self.mask:
            self.mask = mask
            self.loop.modify(self.fd, mask)

    def _wants_input(self) -> bool:
        if (self.parser.finished or self.peer_eof or self.phase is not OPEN
                or len(self.pipeline.pending) >= MAX_PENDING or self.output.size > HIGH_WATER):
            return False
        body = self.parser.streamed_body_in_progress
        return body is None or not body.full

    # -- timeouts (loop thread, once a tick) --
    def check_timeout(self, now: float) -> None:
        idle = now - max(self.last_activity, self.output.last_sent)
        config = self.server.config
        if self.phase is OPEN and not self.parser.finished and self._past_deadline(now):
            return
        if self.phase is LINGERING:
            if idle > LINGER_SECONDS:
                self.close()
        elif self.output.items:
            if idle > config.read_timeout:
                # The client stopped reading its response. Closing also frees a
                # worker blocked on backpressure and a paused inline task.
                self.close()
        elif self.pipeline.busy:
            self._check_body_timeout(idle, config.read_timeout)
        elif self.parser.in_message:
            if idle > config.read_timeout:
                self._queue([self.parser.time_out()])
        elif not self.pipeline.pending and idle > config.keepalive:
            self.close()

    def _check_body_timeout(self, idle: float, read_timeout: float) -> None:
        # An app waiting for a 100-continue body that never comes would hold
        # its worker forever: abort the body, so the app's read fails (408).
        if self.parser.streamed_body_in_progress is not None and idle > read_timeout:
            self.parser.abort_body(errors.RequestTimeout("request body not received in time"))
            with self.lock:
                self.update_mask()

    def _past_deadline(self, now: float) -> bool:
        """The request being read missed a deadline dribbling cannot stretch: 408."""
        parser, clock, config = self.parser, self.clock, self.server.config
        body = parser.streamed_body_in_progress
        with self.lock:
            reading = self._wants_input()
        if not reading or (body is not None and not body.read_started):
            # We stopped reading, or the app has not asked for its body (no
            # 100 Continue yet): the client is not late.
            clock.hold(now, parser.body_received)
            return False
        clock.resume(now, parser.body_received)
        if clock.head_late(now, config.header_timeout):
            self._queue([parser.time_out()])
            return True
        if clock.body_too_slow(now, parser.body_received, config.min_body_rate,
                               config.min_body_rate_grace):
            self._refuse_slow_body(body)
            return True
        return False

    def _refuse_slow_body(self, streamed: Optional[StreamedBody]) -> None:
        if streamed is None:
            self._queue([self.parser.time_out()])  # buffered: the app never sees it
            return
        # The app is reading it: its read raises BodyAborted, AppTask answers 408
        # if nothing was sent, and the thread is free again.
        self.parser.abort_body(errors.RequestTimeout("request body arrived too slowly"))
        with self.lock:
            self.update_mask()
            idle = not self.has_work
        if idle:
            self._close_gracefully()  # the app already answered without reading it all

    # -- closing --
    def close_soon(self) -> None:
        if self.loop.in_loop_thread():
            self._close_gracefully()
        else:
            self.loop.call_soon_threadsafe(self._close_gracefully)

    def _close_gracefully(self) -> None:
        """Half-close and drain unread input so the client gets our last response.

        Closing a socket with unread input makes the kernel send RST, which can
        destroy a response (a 413, say) before the client reads it: nginx's
        "lingering close" avoids that, and so do we.
        """
        if self.phase is CLOSED or self.phase is LINGERING:
            return
        if self.peer_eof:
            self.close()
            return
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self.close()
            return
        self.phase = move(self.phase, LINGERING)
        self.last_activity = time.monotonic()
        self.loop.modify(self.fd, IN)

    def _linger_read(self) -> None:
        try:
            data = self.sock.recv(RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.close()

    def close(self) -> None:
        if not self.loop.in_loop_thread():
            self.loop.call_soon_threadsafe(self.close)
            return
        with self.lock:
            if self.phase is CLOSED:
                return
            self.phase = move(self.phase, CLOSED)
            self.output.drop()
            self.pipeline.drop()
            self.loop.unregister(self.fd)
            self.sock.close()
            paused, self.pipeline.paused = self.pipeline.paused, None
        # Outside the lock: aborting a streaming body takes the body's lock,
        # which a worker may hold while it waits for ours (100 Continue).
        self.parser.feed_eof()
        if paused is not None:
            paused.close()  # PEP 3333: close() the iterable even if never finished
        self.server.forget(self)
