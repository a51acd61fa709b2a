"""Pre-fork process model (`--workers N`): the tutorial's closing advice.

The parent binds the sockets, forks N workers and then only supervises:
each worker runs its own epoll loop and thread pool on the shared listening
sockets (registered with EPOLLEXCLUSIVE, so one connection wakes one worker).
A worker that dies is replaced; SIGTERM or Ctrl-C is passed on to the
workers, which finish their in-flight requests before exiting.
"""

from __future__ import annotations

import logging
import os
import signal
import time

from ..errors import StopSupervising
from ..net.loop import EventLoop
from .metrics import metrics_services
from .scoreboard import READY, Scoreboard, Slot

error_log = logging.getLogger("wsgiserver.error")

RESPAWN_PAUSE = 1.0


class Arbiter:
    def __init__(self, server, workers: int) -> None:
        self.server = server
        self.workers = workers
        self.children: dict[int, float] = {}  # pid -> start time
        self.stopping = False
        # The seams the metrics read: each worker publishes its stats to its slot
        # once per tick; services run in the master (the metrics endpoint, statsd).
        self.scoreboard = Scoreboard()
        self.slots: dict[int, Slot] = {}
        self.counters = {"worker_restarts": 0, "watchdog_kills": 0}
        self.services = metrics_services(server)

    def run(self) -> None:
        previous = {sig: signal.signal(sig, self._on_stop_signal)
                    for sig in (signal.SIGINT, signal.SIGTERM)}
        for service in self.services:
            service.start(self)
        try:
            self.server.call_hook("when_ready")
            for _ in range(self.workers):
                self._spawn()
            self._supervise()
        except StopSupervising:
            pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self._stop_children()
        for service in self.services:
            service.stop()

    def _on_stop_signal(self, signum, frame) -> None:
        if not self.stopping:
            self.stopping = True
            raise StopSupervising()

    def _supervise(self) -> None:
        while not self.stopping:
            pid, status = os.waitpid(-1, 0)
            started = self.children.pop(pid, None)
            self._release(pid)
            if started is None or self.stopping:
                continue
            self.counters["worker_restarts"] += 1
            error_log.error("worker %d exited (%s); starting a new one", pid, _describe(status))
            if time.monotonic() - started < RESPAWN_PAUSE:
                time.sleep(RESPAWN_PAUSE)  # a worker that dies at once would spin
            self._spawn()

    def _spawn(self) -> None:
        slot = self.scoreboard.claim()
        pid = os.fork()
        if pid:
            self.children[pid] = time.monotonic()
            slot.set("pid", pid)
            self.slots[pid] = slot
            return
        self._run_worker(slot)

    def _release(self, pid: int) -> None:
        slot = self.slots.pop(pid, None)
        if slot is not None:
            self.scoreboard.release(slot)

    def _run_worker(self, slot: Slot) -> None:
        code = 0
        try:
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, signal.SIG_DFL)
            self.server.loop = EventLoop()  # never share the parent's epoll set
            self.server.exclusive_accept = True
            self.server.runs_hooks = False
            self.server.loop.every_tick(lambda now: self._publish(slot))
            slot.set("state", READY)
            self.server.serve_forever()
        except BaseException:
            error_log.exception("worker %d failed", os.getpid())
            code = 1
        finally:
            os._exit(code)

    def _publish(self, slot: Slot) -> None:
        """In a worker, once per tick: the heartbeat and the stats, for the master."""
        slot.beat()
        self.server.sample_gauges()
        slot.publish(self.server.stats)

    def _stop_children(self) -> None:
        for pid in list(self.children):
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.server.config.graceful_timeout + 5
        while self.children and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.05)
        for pid in list(self.children):
            _signal(pid, signal.SIGKILL)
            self._reap(block=True)

    def _reap(self, block: bool = False) -> None:
        while self.children:
            try:
                pid, _ = os.waitpid(-1, 0 if block else os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                return
            if pid == 0:
                return
            self.children.pop(pid, None)
            self._release(pid)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"
