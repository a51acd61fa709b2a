"""The scoreboard: memory shared by the master and its workers (Apache's name).

The master maps it before the first fork, so every worker inherits it. Each
worker owns one slot: once per event-loop tick it writes a heartbeat (the
watchdog's proof that its loop runs) and copies its `ServerStats` there, and
it sets its state (booted, wants a replacement). The master only reads slots,
so nothing needs a lock: a reader may see one tick's counters half-updated,
which metrics tolerate. Shared memory rather than gunicorn's temp file per
worker: a heartbeat is one store instead of an fchmod() system call, and the
same slot carries the counters that metrics and the control socket report.
"""

from __future__ import annotations

import array
import mmap
import time
from typing import Iterator, Optional

from ..observe.stats import DURATION_BUCKETS, STATUS_CLASSES, ServerStats

FREE, BOOTING, READY, RETIRING, STOPPING = 0, 1, 2, 3, 4
STATE_NAMES = {FREE: "free", BOOTING: "booting", READY: "ready", RETIRING: "retiring",
               STOPPING: "stopping"}

_COUNTERS = ("requests", *(f"status_{c}" for c in STATUS_CLASSES),
             *(f"bucket_{i}" for i in range(len(DURATION_BUCKETS) + 1)),
             "duration_sum", "open_connections", "busy_threads", "queued")
FIELDS = ("pid", "state", "started", "heartbeat", *_COUNTERS)
_INDEX = {name: i for i, name in enumerate(FIELDS)}
# What only grows: a released slot's counts are kept in the master, so totals never
# go down when a worker is replaced (Prometheus would read that as a reset).
_CUMULATIVE = tuple(name for name in _COUNTERS
                    if name not in ("open_connections", "busy_threads", "queued"))
_WIDTH = len(FIELDS)
MAX_SLOTS = 512


class Slot:
    """One worker's row; every value is a float (exact for counts below 2**53)."""

    def __init__(self, cells: memoryview, number: int) -> None:
        self._cells = cells
        self._base = number * _WIDTH
        self.number = number

    def get(self, name: str) -> float:
        return self._cells[self._base + _INDEX[name]]

    def set(self, name: str, value: float) -> None:
        self._cells[self._base + _INDEX[name]] = value

    def beat(self, now: Optional[float] = None) -> None:
        """The worker's loop is alive (time.monotonic(), the same clock in every process)."""
        self._cells[self._base + 3] = time.monotonic() if now is None else now

    def publish(self, stats: ServerStats) -> None:
        """Copy a worker's counters into the slot (once per tick, not per request)."""
        values = (stats.requests, *stats.by_class, *stats.buckets, stats.duration_sum,
                  stats.open_connections, stats.busy_threads, stats.queued)
        start = self._base + 4
        self._cells[start:start + len(values)] = array.array("d", values)

    def as_dict(self) -> dict[str, float]:
        return {name: self._cells[self._base + i] for i, name in enumerate(FIELDS)}

    def clear(self) -> None:
        for i in range(_WIDTH):
            self._cells[self._base + i] = 0.0


class Scoreboard:
    """MAX_SLOTS slots in one anonymous shared mapping (MAP_SHARED survives fork)."""

    def __init__(self, slots: int = MAX_SLOTS) -> None:
        self._map = mmap.mmap(-1, slots * _WIDTH * 8)  # anonymous, MAP_SHARED
        self._cells = memoryview(self._map).cast("d")
        self.slots = [Slot(self._cells, n) for n in range(slots)]
        self.retired = dict.fromkeys(_CUMULATIVE, 0.0)  # the master's memory, not shared

    def claim(self, pid: int = 0) -> Slot:
        """A free slot for a worker about to be forked (its state becomes BOOTING)."""
        for slot in self.slots:
            if slot.get("state") == FREE:
                slot.clear()
                slot.set("state", BOOTING)
                slot.set("pid", pid)
                slot.set("started", time.monotonic())
                slot.beat()
                return slot
        raise RuntimeError(f"more than {len(self.slots)} workers")

    def release(self, slot: Slot) -> None:
        """Free a dead worker's slot, keeping its counts in `retired`."""
        for name in _CUMULATIVE:
            self.retired[name] += slot.get(name)
        slot.clear()

    def in_use(self) -> Iterator[Slot]:
        return (slot for slot in self.slots if slot.get("state") != FREE)

    def totals(self) -> dict[str, float]:
        """Counters since the master started (live workers plus released slots), and
        gauges summed over the workers alive now."""
        sums = dict.fromkeys(_COUNTERS, 0.0)
        sums.update(self.retired)
        for slot in self.in_use():
            for name in _COUNTERS:
                sums[name] += slot.get(name)
        return sums
