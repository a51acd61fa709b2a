"""The thread pool that runs WSGI apps off the event-loop thread.

Waking a thread per request makes every worker fight for the GIL: with four
threads, a hello-world app runs about 20% slower than with one. So the pool
keeps as few threads running as the load needs: a job wakes a sleeping
thread only when no thread is running, and the event loop calls `poke()` each
iteration to wake one more when queued jobs have seen no progress for
`STALL_SECONDS` (a slow or blocking app). Threads that are awake take the
next job as soon as they finish one.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Callable

log = logging.getLogger("wsgiserver.error")

STALL_SECONDS = 0.002


class ThreadPool:
    def __init__(self, size: int, name: str = "wsgiserver-worker") -> None:
        self.size = size
        self._jobs: collections.deque = collections.deque()
        self._cond = threading.Condition(threading.Lock())
        self._running = 0
        self._waking = 0
        self._stopping = False
        self._last_progress = time.monotonic()
        self._threads = [threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True)
                         for i in range(size)]
        for thread in self._threads:
            thread.start()

    def submit(self, job: Callable, *args) -> None:
        with self._cond:
            self._jobs.append((job, args))
            if self._running == 0 and self._waking == 0:
                self._wake_one()

    def _wake_one(self) -> None:
        # Counted until the thread takes a job, so that the jobs queued before
        # it gets the GIL do not each wake yet another thread.
        self._waking += 1
        self._cond.notify()

    def poke(self, now: float) -> float:
        """Wake one more thread if queued jobs are stalled; returns seconds until next check."""
        if not self._jobs or self._running >= self.size:
            return 1.0  # nothing waits, or no thread is left to wake
        if now - self._last_progress >= STALL_SECONDS:
            with self._cond:
                self._last_progress = now
                if self._running + self._waking < self.size:
                    self._wake_one()
        return STALL_SECONDS

    def _work(self) -> None:
        finished = False
        while True:
            job = self._next_job(finished)
            if job is None:
                return
            try:
                job[0](*job[1])
            except BaseException:
                # Even SystemExit from an app must not kill a pool thread.
                log.exception("unexpected error in worker thread")
            finally:
                job = None  # the request, its body and socket: free them now
            finished = True

    def _next_job(self, finished: bool):
        """Count the job just finished (one lock round per job) and take the next."""
        with self._cond:
            if finished:
                self._running -= 1
            while not self._jobs:
                if self._stopping:
                    return None
                self._cond.wait()
                if self._waking:
                    self._waking -= 1  # woken: no longer on its way, job or not
            self._running += 1
            self._last_progress = time.monotonic()
            return self._jobs.popleft()

    def shutdown(self, timeout: float) -> None:
        """Let queued jobs finish, then stop the threads (waiting up to `timeout`)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
