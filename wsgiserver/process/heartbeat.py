"""The master's side of the heartbeat: workers that went silent, and stops that overran.

Each worker beats on its scoreboard slot once a tick (process/worker.py); its
slot's heartbeat starts at fork, so a boot that hangs (an app import waiting
on a database that never answers) goes silent like a blocked loop, as in
gunicorn, whose timeout covers boot too. A silent worker gets SIGABRT (it
logs where its main thread was stuck, and `worker_abort` runs), then SIGKILL
if it is still there KILL_AFTER seconds later.
"""

from __future__ import annotations

import logging
import signal
from typing import Iterable

from .scoreboard import BOOTING
from .worker import Worker

error_log = logging.getLogger("wsgiserver.error")

KILL_AFTER = 2.0  # seconds between the watchdog's SIGABRT and its SIGKILL
MIN_TIMEOUT = 2  # the heartbeat comes once a second: a shorter limit would misfire


def abort_silent(workers: Iterable[Worker], timeout: int, now: float) -> int:
    """SIGABRT each worker silent for `timeout` seconds (SIGKILL if that was not
    enough); the number of workers aborted now."""
    limit = max(timeout, MIN_TIMEOUT)
    aborted = 0
    for worker in workers:
        if worker.aborted_at is not None:
            if not worker.killed and now - worker.aborted_at > KILL_AFTER:
                kill(worker)
            continue
        silent = now - worker.slot.get("heartbeat")
        if silent > limit:
            _abort(worker, silent, timeout, now)
            aborted += 1
    return aborted


def _abort(worker: Worker, silent: float, timeout: int, now: float) -> None:
    if worker.state == BOOTING:
        error_log.error("worker %d has not booted in %.1f s (--timeout %d): aborting it",
                        worker.pid, silent, timeout)
        worker.boot_timed_out = True  # its exit is a boot failure, not a crash
    else:
        error_log.error("worker %d: its event loop has been silent for %.1f s "
                        "(--timeout %d): aborting it", worker.pid, silent, timeout)
        worker.stopping_since = worker.stopping_since or now
    worker.aborted_at = now
    worker.send(signal.SIGABRT)


def kill_overdue(workers: Iterable[Worker], limit: float, now: float) -> None:
    """SIGKILL each worker told to stop more than `limit` seconds ago."""
    for worker in workers:
        if worker.stopping_since is not None and not worker.killed \
                and now - worker.stopping_since > limit:
            error_log.warning("worker %d did not stop in time: killing it", worker.pid)
            kill(worker)


def kill(worker: Worker) -> None:
    worker.killed = True
    worker.send(signal.SIGKILL)
