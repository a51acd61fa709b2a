"""The thread pool that runs WSGI apps off the event-loop thread."""

from __future__ import annotations

import logging
import queue
import threading
from typing import Callable

log = logging.getLogger("wsgiserver.error")


class ThreadPool:
    """A fixed set of daemon threads taking jobs from one queue.

    concurrent.futures would allocate a Future per request that nobody
    waits on; a bare SimpleQueue is the cheapest hand-off CPython offers.
    """

    def __init__(self, size: int, name: str = "wsgiserver-worker") -> None:
        self.size = size
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True)
                         for i in range(size)]
        for thread in self._threads:
            thread.start()

    def submit(self, job: Callable, *args) -> None:
        self._jobs.put((job, args))

    def _work(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                return
            job, args = item
            try:
                job(*args)
            except Exception:
                log.exception("unexpected error in worker thread")

    def shutdown(self, timeout: float) -> None:
        """Let queued jobs finish, then stop the threads (waiting up to `timeout`)."""
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join(timeout)
