"""The counters of one server (one worker process): what metrics, the control socket
and `--max-requests` read. Plain ints bumped on the event-loop thread, so a
request costs a few attribute increments; the process layer copies them into
its shared scoreboard once per loop tick, and exporters read them there."""

from __future__ import annotations

import bisect
from time import perf_counter
from typing import Any

# Request-duration histogram bounds in seconds (Prometheus' client defaults).
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")


class ServerStats:
    """Counters since the server started, and gauges of what it holds now."""

    def __init__(self) -> None:
        self.requests = 0
        self.by_class = [0] * len(STATUS_CLASSES)
        # buckets[i] counts requests of at most DURATION_BUCKETS[i]; the last, the rest.
        self.buckets = [0] * (len(DURATION_BUCKETS) + 1)
        self.duration_sum = 0.0
        self.open_connections = 0
        self.busy_threads = 0
        self.queued = 0

    def record(self, status: int, seconds: float) -> None:
        """A finished request's status and duration (`requests` is counted for every
        request by the server; this runs only when an exporter wants it)."""
        if 100 <= status <= 599:
            self.by_class[status // 100 - 1] += 1
        self.buckets[bisect.bisect_left(DURATION_BUCKETS, seconds)] += 1
        self.duration_sum += seconds

    def observe(self, connection: Any, task: Any) -> None:
        """A server observer (for --metrics-bind): record() of a finished task, inline
        rather than through record(), one Python call less per request."""
        seconds = perf_counter() - task.started
        status = task.status_code
        if 100 <= status <= 599:
            self.by_class[status // 100 - 1] += 1
        self.buckets[bisect.bisect_left(DURATION_BUCKETS, seconds)] += 1
        self.duration_sum += seconds

    def totals(self) -> dict[str, float]:
        """The counters under the names of the scoreboard's totals, for one process
        that has no master (the Prometheus page renders either)."""
        values = {"requests": float(self.requests)}
        values.update((f"status_{c}", float(n))
                      for c, n in zip(STATUS_CLASSES, self.by_class, strict=True))
        values.update((f"bucket_{i}", float(n)) for i, n in enumerate(self.buckets))
        values.update(duration_sum=self.duration_sum, open_connections=self.open_connections,
                      busy_threads=self.busy_threads, queued=self.queued)
        return values
