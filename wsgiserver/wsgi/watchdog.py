"""Finding app calls that never end (--timeout), from the loop's tick.

gunicorn's threaded worker cannot catch an app call that hangs forever: its
heartbeat comes from the main loop, which is fine. Here each pool thread's
slot says which job it runs (`ThreadPool._busy`, one store per job); once a
tick the watchdog samples the slots, and a job seen in the same slot for
`timeout` seconds is stuck (so the precision is a tick: it is reported between
`timeout` and `timeout` + 2 ticks after it began). What to do about it (answer
504, replace the thread, retire) is the server's; this module finds the calls,
formats the stack of the thread running one, and keeps its later output away
from the client (`DiscardSink`).
"""

from __future__ import annotations

import sys
import threading
import traceback
from typing import Any, NamedTuple, Optional

from ..errors import ConnectionLost
from .threadpool import ThreadPool


class StuckCall(NamedTuple):
    slot: int
    thread: threading.Thread
    job_args: tuple  # the pool job's arguments: (task, on_loop) for a request
    seconds: float  # how long it has run, at least


class Watchdog:
    def __init__(self, pool: ThreadPool, timeout: float) -> None:
        self.pool = pool
        self.timeout = timeout
        self._seen: list[Optional[tuple[Any, float]]] = [None] * pool.size
        self.given_up_count = 0

    def check(self, now: float) -> list[StuckCall]:
        """The calls that have run `timeout` seconds or more (until given up on)."""
        stuck = []
        for slot, job_args in enumerate(self.pool.running_jobs()):
            seen = self._seen[slot]
            if job_args is None:
                self._seen[slot] = None
            elif seen is None or seen[0] is not job_args:
                self._seen[slot] = (job_args, now)  # a new job in this slot: its clock starts
            elif now - seen[1] >= self.timeout:
                stuck.append(StuckCall(slot, self.pool.thread_at(slot), job_args, now - seen[1]))
        return stuck

    def given_up(self, call: StuckCall) -> None:
        """The call is abandoned: its slot gets a new thread (so it leaves the samples)."""
        self._seen[call.slot] = None
        self.given_up_count += 1
        self.pool.replace(call.slot)


def thread_stack(thread: threading.Thread) -> str:
    """The current stack of `thread`, as traceback formats it."""
    frame = sys._current_frames().get(thread.ident or -1)
    if frame is None:
        return "  (the thread has no stack: it just finished)\n"
    return "".join(traceback.format_stack(frame))


class DiscardSink:
    """What an abandoned task writes to: nothing reaches the client any more."""

    def _gone(self, *args: Any) -> None:
        raise ConnectionLost()

    send = send_nowait = send_file = send_continue = _gone

    def should_pause(self) -> bool:
        return False

    def input_drained(self) -> None:
        pass


DISCARD = DiscardSink()
