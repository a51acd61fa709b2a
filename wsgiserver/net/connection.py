"""One client connection: moves bytes between its socket, the parser and tasks.

The event-loop thread reads, parses and flushes; a worker thread (or the
loop itself with --threads 0) runs one task at a time and sends its output
through `send`/`send_file`. Every field shared between the two is guarded by
`self.lock`. Only the loop thread registers, unregisters or closes the fd.

Flow control, both ways:
- reading stops while too many parsed requests wait (pipelining flood) or
  too much output is unsent (a client that does not read its responses);
- a worker's `send` blocks above HIGH_WATER unsent bytes; an inline task
  pauses instead and is resumed from `on_events` when the socket drains.
"""

from __future__ import annotations

import collections
import logging
import os
import socket
import threading
import time

from .. import errors
from ..errors import ConnectionLost
from ..http.exchange import FileSegment
from ..http.parser import Limits, RequestParser
from ..http.response import CONTINUE
from .loop import ERR_OR_HUP, IN, OUT

error_log = logging.getLogger("wsgiserver.error")

RECV_SIZE = 256 * 1024
LOOP_TURNS = 8  # pipelined requests one connection may run inline before yielding
HIGH_WATER = 1 << 20
LOW_WATER = 256 * 1024
MAX_PENDING = 16
IOV_MAX = 64
LINGER_SECONDS = 2.0
_MSG_MORE = getattr(socket, "MSG_MORE", 0)


class Connection:
    def __init__(self, server, sock: socket.socket, addr) -> None:
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
        self.drained = threading.Condition(self.lock)
        self.pending: collections.deque = collections.deque()
        self.out: collections.deque = collections.deque()
        self.out_bytes = 0
        self.busy = False
        self.closing = False
        self.closed = False
        self.eof = False
        self.lingering = False
        self.broken = False
        self.paused_task = None
        self.mask = IN
        self.last_activity = time.monotonic()

    # -- loop thread: readiness --
    def on_events(self, events: int) -> None:
        if events & IN:
            self._linger_read() if self.lingering else self._read()
        if events & OUT and not self.closed:
            self._write_ready()
        if events & ERR_OR_HUP and not self.closed:
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
        self.last_activity = time.monotonic()
        events = self.parser.feed(data)
        if events or self.parser.finished:
            self._queue(events)
        if self.parser.continue_for is not None and self.parser.take_continue() and not self.closed:
            self._send_early_continue()

    def _send_early_continue(self) -> None:
        # Inline mode buffers the body before the app runs, so ask for it now;
        # only when nothing is in flight, or the 100 would land mid-response.
        with self.lock:
            idle = not (self.busy or self.pending or self.out)
        if idle:
            try:
                self.send(CONTINUE)
            except ConnectionLost:
                self.close()

    def _queue(self, events: list) -> None:
        with self.lock:
            self.pending.extend(events)
            if self.parser.finished or len(self.pending) >= MAX_PENDING:
                self._update_mask()
            item = self._take_next()
        if item is not None:
            self._start(item, on_loop=True)

    def _on_eof(self) -> None:
        self.parser.feed_eof()  # a request cut off midway is dropped here
        with self.lock:
            self.eof = True
            idle = not (self.busy or self.pending or self.out)
            self.closing = self.closing or idle
            self._update_mask()
        if idle:
            self.close()

    def _write_ready(self) -> None:
        with self.lock:
            self._flush()
            resume, close_now = self._after_flush()
            item = self._take_next() if resume is None and not close_now else None
        if close_now:
            self._close_gracefully()
        elif resume is not None:
            self._run(resume, on_loop=True, resumed=True)
        elif item is not None:
            self._start(item, on_loop=True)

    def _after_flush(self):
        """Under the lock: what to do now that some output left."""
        resume = None
        if self.out_bytes <= LOW_WATER:
            self.drained.notify_all()
            resume, self.paused_task = self.paused_task, None
        close_now = self.closing and not self.out and not self.busy
        self._update_mask()
        return resume, close_now

    # -- running tasks --
    def _take_next(self):
        if self.busy or self.closing or self.closed or not self.pending:
            return None
        if self.out_bytes > HIGH_WATER:
            return None  # resumed from _write_ready once the output drains
        self.busy = True
        return self.pending.popleft()

    def _start(self, item, on_loop: bool) -> None:
        task = self.server.make_task(self, item)
        if on_loop and getattr(task, "needs_thread", False):
            self.server.pool.submit(self._run, task, False)
        else:
            self._run(task, on_loop)

    def _run(self, task, on_loop: bool, resumed: bool = False) -> None:
        try:
            self._run_tasks(task, on_loop, resumed)
        except BaseException:
            # A bug of ours (or an app's SystemExit escaping): never leave the
            # connection busy forever; drop it and keep the server alive.
            error_log.exception("unexpected error running a request; closing the connection")
            with self.lock:
                self.busy = False
            self.close()

    def _run_tasks(self, task, on_loop: bool, resumed: bool) -> None:
        for turn in range(1_000_000):
            if on_loop and turn == LOOP_TURNS:
                self._yield_to_loop(task)  # other connections get their turn
                return
            done = task.resume() if resumed else task.run()
            resumed = False
            if not done:
                with self.lock:
                    self.paused_task = task
                return
            item = self._complete(task)
            if item is None:
                return
            task = self.server.make_task(self, item)
            if on_loop and getattr(task, "needs_thread", False):
                self.server.pool.submit(self._run, task, False)
                return

    def _yield_to_loop(self, task) -> None:
        """Continue this connection's pipeline after the loop has served others."""
        self.loop.call_soon_threadsafe(self._run, task, True)

    def _complete(self, task):
        """Task finished: log it, then pick the next request or start closing."""
        task.close()
        if task.request is not None:
            _close_body(task.request.body)
        if self.server.access_log_enabled:
            self.server.log_access(self, task)
        with self.lock:
            self.busy = False
            if not task.keep_alive or self.server.stopping or (self.eof and not self.pending):
                self.closing = True
                self._drop_pending()
            item = self._take_next()
            close_now = self.closing and not self.out
            if self.closing or self.mask != IN:
                self._update_mask()  # else nothing changed: still reading, nothing queued
        if close_now:
            self._close_soon()
        return item

    # -- the sink interface used by tasks (any thread) --
    def send(self, data: bytes) -> None:
        self._enqueue(data, len(data))

    def send_file(self, head: bytes, segment: FileSegment) -> None:
        """Queue a head and a file segment. Never blocks: a worker thread must not
        wait out a long file transfer; the next request waits instead (`_take_next`)."""
        with self.lock:
            if self.closed:
                segment.done()
                raise ConnectionLost()
            self.out.append(head)
            self.out.append(segment)
            # Counted like bytes, so reading and dispatch pause behind a big file
            # (else a pipelining client that never reads could pin many open fds).
            self.out_bytes += len(head) + segment.remaining
        self._enqueue(b"", 0, wait=False)

    def send_nowait(self, data: bytes) -> None:
        """Queue without waiting for the client to read (the last bytes of a response)."""
        self._enqueue(data, len(data), wait=False)

    def input_drained(self) -> None:
        """The app caught up with a streaming body: the loop may read again."""
        self.loop.call_soon_threadsafe(self._resume_input)

    def _resume_input(self) -> None:
        with self.lock:
            self._update_mask()

    def send_continue(self) -> None:
        self.send(CONTINUE)

    def should_pause(self) -> bool:
        return self.out_bytes > HIGH_WATER

    def _enqueue(self, data: bytes, size: int, wait: bool = True) -> None:
        with self.lock:
            if self.closed or self.broken:
                raise ConnectionLost()
            if size:
                self.out.append(data)
                self.out_bytes += size
            if not self.mask & OUT:
                self._flush()
            if self.out or self.mask & OUT:
                self._update_mask()
            if wait and self.out_bytes > HIGH_WATER and not self.loop.in_loop_thread():
                while self.out_bytes > HIGH_WATER and not self.closed:
                    self.drained.wait()
            if self.closed or self.broken:
                raise ConnectionLost()

    # -- output (lock held) --
    def _flush(self) -> None:
        out = self.out
        try:
            while out:
                if isinstance(out[0], FileSegment):
                    if not self._send_segment(out[0]):
                        return
                elif not self._send_buffers():
                    return
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            # The peer is gone: nothing more can be delivered on this connection.
            self._drop_output()
            self.broken = self.closing = True

    def _send_segment(self, segment: FileSegment) -> bool:
        if segment.remaining:
            self.out_bytes -= _sendfile(self.fd, segment)
            self.last_activity = time.monotonic()
        if segment.remaining:
            return False
        self.out.popleft()
        segment.done()
        return True

    def _send_buffers(self) -> bool:
        out = self.out
        if len(out) == 1:  # the common case: one response, one send()
            item = out[0]
            sent = self.sock.send(item)
            self.out_bytes -= sent
            self.last_activity = time.monotonic()
            if sent < len(item):
                out[0] = memoryview(item)[sent:]
                return False
            out.popleft()
            return True
        buffers, flags = [], 0
        for item in out:
            if isinstance(item, FileSegment):
                # A head before its file: MSG_MORE lets the kernel put both in the
                # same packets instead of sending the head alone (one fewer
                # segment and one fewer wake-up of the client per response).
                flags = _MSG_MORE if item.remaining else 0
                break
            if len(buffers) == IOV_MAX:
                break
            buffers.append(item)
        sent = (self.sock.sendmsg(buffers, (), flags) if len(buffers) > 1
                else self.sock.send(buffers[0], flags))
        self.out_bytes -= sent
        self.last_activity = time.monotonic()
        for item in buffers:
            if sent < len(item):
                out[0] = memoryview(item)[sent:]
                return False
            sent -= len(item)
            out.popleft()
        return True

    def _drop_output(self) -> None:
        for item in self.out:
            if isinstance(item, FileSegment):
                item.done()
        self.out.clear()
        self.out_bytes = 0
        self.drained.notify_all()

    def _update_mask(self) -> None:
        if self.closed or self.lingering:
            return
        mask = OUT if self.out else 0
        if self._wants_input():
            mask |= IN
        if mask != self.mask:
            self.mask = mask
            self.loop.modify(self.fd, mask)

    def _wants_input(self) -> bool:
        if (self.parser.finished or self.eof or self.closing
                or len(self.pending) >= MAX_PENDING or self.out_bytes > HIGH_WATER):
            return False
        body = self.parser.streamed_body_in_progress
        return body is None or not body.full

    # -- timeouts (loop thread, once a tick) --
    def check_timeout(self, now: float) -> None:
        idle = now - self.last_activity
        config = self.server.config
        if self.lingering:
            if idle > LINGER_SECONDS:
                self.close()
        elif self.out:
            if idle > config.read_timeout:
                # The client stopped reading its response. Closing also frees a
                # worker blocked on backpressure and a paused inline task.
                self.close()
        elif self.busy:
            self._check_body_timeout(idle, config.read_timeout)
        elif self.parser.in_message:
            if idle > config.read_timeout:
                self.parser.finished = True
                self._queue([errors.RequestTimeout("request not received in time")])
        elif not self.pending and idle > config.keepalive:
            self.close()

    def _check_body_timeout(self, idle: float, read_timeout: float) -> None:
        # An app waiting for a 100-continue body that never comes would hold
        # its worker forever: abort the body, so the app's read fails (408).
        if self.parser.streamed_body_in_progress is not None and idle > read_timeout:
            self.parser.abort_body(errors.RequestTimeout("request body not received in time"))
            with self.lock:
                self._update_mask()

    # -- closing --
    def _close_soon(self) -> None:
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
        if self.closed or self.lingering:
            return
        if self.eof:
            self.close()
            return
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self.close()
            return
        self.lingering = True
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
            if self.closed:
                return
            self.closed = True
            self._drop_output()
            self._drop_pending()
            self.loop.unregister(self.fd)
            self.sock.close()
            paused, self.paused_task = self.paused_task, None
        # Outside the lock: aborting a streaming body takes the body's lock,
        # which a worker may hold while it waits for ours (100 Continue).
        self.parser.feed_eof()
        if paused is not None:
            paused.close()  # PEP 3333: close() the iterable even if never finished
        self.server.forget(self)

    def _drop_pending(self) -> None:
        """Forget queued requests, closing their bodies (temporary files) now."""
        for item in self.pending:
            _close_body(getattr(item, "body", None))
        self.pending.clear()


def _close_body(body) -> None:
    close = getattr(body, "close", None)
    if close is not None:
        close()


def _sendfile(sock_fd: int, segment: FileSegment) -> int:
    """Send what the socket takes now; returns bytes sent (raises BlockingIOError)."""
    sent = os.sendfile(sock_fd, segment.fd, segment.offset, min(segment.remaining, 1 << 30))
    if sent == 0:
        # The file shrank under us: we can never send the promised bytes.
        raise OSError("file truncated while being sent")
    segment.advance(sent)
    return sent
