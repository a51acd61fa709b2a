"""The epoll event loop: the tutorial's `epoll.poll()` loop, grown up.

It only moves readiness to handlers: each registered file descriptor has a
handler with `on_events(mask)`. Other threads talk to the loop through
`call_soon_threadsafe`, which wakes `epoll.poll()` through an eventfd.
Level-triggered mode is used (not the tutorial's EPOLLET) so that a handler
that stops early, for fairness or backpressure, is simply called again.
"""

from __future__ import annotations

import collections
import logging
import os
import select
import threading
import time
from typing import Callable, Protocol

error_log = logging.getLogger("wsgiserver.error")

IN, OUT = select.EPOLLIN, select.EPOLLOUT
ERR_OR_HUP = select.EPOLLERR | select.EPOLLHUP


class Handler(Protocol):
    def on_events(self, events: int) -> None: ...


class EventLoop:
    def __init__(self, tick: float = 1.0) -> None:
        self.epoll = select.epoll()
        self.handlers: dict[int, Handler] = {}
        self.thread_id = threading.get_ident()
        self.running = False
        self.closed = False
        self.tick = tick
        self._calls: collections.deque = collections.deque()
        self._timers: list[Callable[[float], None]] = []
        self._once: list[Callable[[float], None]] = []
        # Called with `now` before each poll; each returns the longest it may sleep.
        self.poll_hooks: list[Callable[[float], float]] = []
        self._wake_fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self._wake_lock = threading.Lock()
        self.epoll.register(self._wake_fd, IN)

    # -- registration --
    def register(self, fd: int, mask: int, handler: Handler) -> None:
        self.handlers[fd] = handler
        self.epoll.register(fd, mask)

    def modify(self, fd: int, mask: int) -> None:
        self.epoll.modify(fd, mask)

    def unregister(self, fd: int) -> None:
        if self.handlers.pop(fd, None) is not None:
            try:
                self.epoll.unregister(fd)
            except (OSError, ValueError):
                pass  # already closed: the kernel dropped it from the set

    def every_tick(self, callback: Callable[[float], None]) -> None:
        """Call `callback(now)` about once per tick (timeouts, shutdown checks)."""
        self._timers.append(callback)

    def call_later_tick(self, callback: Callable[[float], None]) -> None:
        """Call `callback(now)` once, at the next tick."""
        self._once.append(callback)

    # -- cross-thread --
    def in_loop_thread(self) -> bool:
        return threading.get_ident() == self.thread_id

    def call_soon_threadsafe(self, callback: Callable, *args) -> None:
        self._calls.append((callback, args))
        with self._wake_lock:
            # After close() the fd number may belong to someone else: never write.
            if not self.closed:
                os.eventfd_write(self._wake_fd, 1)

    # -- running --
    def run(self) -> None:
        self.thread_id = threading.get_ident()
        self.running = True
        next_tick = time.monotonic() + self.tick
        while self.running:
            now = time.monotonic()
            timeout = max(0.0, next_tick - now)
            for hook in self.poll_hooks:
                timeout = min(timeout, hook(now))
            self._dispatch(self.epoll.poll(timeout))
            self._run_calls()
            now = time.monotonic()
            if now >= next_tick:
                next_tick = now + self.tick
                self._run_timers(now)

    def stop(self) -> None:
        self.running = False

    def _dispatch(self, ready: list[tuple[int, int]]) -> None:
        handlers = self.handlers
        for fd, events in ready:
            if fd == self._wake_fd:
                os.eventfd_read(self._wake_fd)
                continue
            handler = handlers.get(fd)
            if handler is not None:
                try:
                    handler.on_events(events)
                except Exception:
                    # One broken connection must never stop the server.
                    error_log.exception("unexpected error handling fd %d; closing it", fd)
                    self._close_handler(fd, handler)

    def _close_handler(self, fd: int, handler: Handler) -> None:
        close = getattr(handler, "close", None)
        if close is not None:
            close()
        self.unregister(fd)

    def _run_calls(self) -> None:
        calls = self._calls
        # Only those queued so far: a callback that queues another (a connection
        # yielding its turn) must wait for the next round of epoll.
        for _ in range(len(calls)):
            callback, args = calls.popleft()
            try:
                callback(*args)
            except Exception:
                error_log.exception("error in loop callback")

    def _run_timers(self, now: float) -> None:
        once, self._once = self._once, []
        for callback in list(self._timers) + once:
            try:
                callback(now)
            except Exception:
                error_log.exception("error in loop timer")

    def close(self) -> None:
        with self._wake_lock:
            self.closed = True
            self.epoll.close()
            os.close(self._wake_fd)
