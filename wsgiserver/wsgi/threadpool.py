"""The thread pool that runs WSGI apps off the event-loop thread.

Waking a thread per request makes every worker fight for the GIL: with four
threads, a hello-world app runs about 20% slower than with one. So the pool
keeps as few threads running as the load needs: a job wakes a parked thread
only when no thread is running, and the event loop calls `poke()` each
iteration to wake one more when queued jobs have seen no progress for
`STALL_SECONDS` (a slow or blocking app). Threads that are awake take the
next job as soon as they finish one.

The busy path takes no lock: under the GIL `deque.append` and `popleft` are
atomic, so a running thread pops jobs straight off the queue. The lock only
guards parking and waking, and the running count that both change. (On a
free-threaded CPython without the GIL, `submit` and the pop would need it too.)
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Callable, Optional

error_log = logging.getLogger("wsgiserver.error")

STALL_SECONDS = 0.002


class ThreadPool:
    def __init__(self, size: int, name: str = "wsgiserver-worker") -> None:
        self.size = size
        self._jobs: collections.deque = collections.deque()
        self._lock = threading.Lock()
        self._parked: list[threading.Lock] = []  # one held lock per sleeping thread
        self._running = size  # threads awake or being woken; written under _lock only
        self._taken = 0    # jobs taken so far: poke() watches it for progress
        self._seen: Optional[tuple[int, float]] = None  # (_taken, since when) while jobs wait
        self._stopping = False
        # One slot per thread, each written only by its own thread: a store is
        # atomic where a shared `busy += 1` could lose updates and drift. It holds
        # the running job's args (False when idle): the watchdog samples it.
        self._busy: list = [False] * size
        self._given_up: list[threading.Thread] = []  # stuck threads, never joined
        self._threads = [threading.Thread(target=self._work, args=(i,), name=f"{name}-{i}",
                                          daemon=True) for i in range(size)]
        for thread in self._threads:
            thread.start()

    def submit(self, job: Callable, *args) -> None:
        self._jobs.append((job, args))
        # Read after the append: a thread that is parking lowers _running
        # before its last look at the queue, so one of the two sees the job.
        if self._running == 0:
            self._wake_one()

    def _wake_one(self) -> None:
        with self._lock:
            if self._parked:
                self._running += 1  # counted now, so a burst of jobs wakes one thread
                self._parked.pop().release()

    def poke(self, now: float) -> float:
        """Wake one more thread if queued jobs are stalled; returns seconds until next check."""
        if not self._jobs or self._running >= self.size:
            self._seen = None  # nothing waits, or no thread is left to wake
            return 1.0
        seen = self._seen
        if seen is None or seen[0] != self._taken:
            self._seen = (self._taken, now)  # first sight of a queue, or progress: clock restarts
        elif now >= seen[1] + STALL_SECONDS:  # a deadline, not a difference: exact at the edge
            self._seen = (self._taken, now)
            self._wake_one()
        return STALL_SECONDS

    @property
    def busy(self) -> int:
        """Threads running a job now (a sample, for metrics)."""
        return sum(1 for running in self._busy if running is not False)

    @property
    def queued(self) -> int:
        """Jobs waiting for a thread now."""
        return len(self._jobs)

    def _work(self, index: int) -> None:
        parked = threading.Lock()
        parked.acquire()
        jobs = self._jobs
        busy = self._busy
        while True:
            try:
                job, args = jobs.popleft()
            except IndexError:
                if self._park(parked):
                    continue
                return
            self._taken += 1  # a lost update between threads still shows progress
            busy[index] = args
            try:
                job(*args)
            except BaseException:
                # Even SystemExit from an app must not kill a pool thread.
                error_log.exception("unexpected error in worker thread")
            if busy[index] is not args:
                return  # given up on as stuck (replace): the slot has a new thread
            busy[index] = False
            job = args = None  # the request, its body and socket: free them now

    def running_jobs(self) -> list:
        """Each thread's running job args, or None when idle (a sample)."""
        return [None if running is False else running for running in self._busy]

    def thread_at(self, index: int) -> threading.Thread:
        return self._threads[index]

    def replace(self, index: int) -> None:
        """Give up on the thread in slot `index` (stuck in an app call): a new thread
        takes the slot; the old one, a daemon, exits if its job ever returns. The
        running count stays: the old thread leaves it, the new one joins it."""
        self._given_up.append(self._threads[index])
        self._busy[index] = False
        thread = threading.Thread(target=self._work, args=(index,), daemon=True,
                                  name=f"{self._threads[index].name}+")
        self._threads[index] = thread
        thread.start()

    def _park(self, parked: threading.Lock) -> bool:
        """Sleep until woken; False when the pool is stopping and nothing is left."""
        with self._lock:
            self._running -= 1
            if self._jobs:  # a job arrived as we were leaving: stay awake
                self._running += 1
                return True
            if self._stopping:
                return False
            self._parked.append(parked)
        parked.acquire()  # released by _wake_one or shutdown
        return True

    def shutdown(self, timeout: float) -> None:
        """Let queued jobs finish, then stop the threads (waiting up to `timeout`)."""
        with self._lock:
            self._stopping = True
            for parked in self._parked:
                self._running += 1
                parked.release()
            self._parked.clear()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
