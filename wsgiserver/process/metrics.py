"""The master's metrics services: the Prometheus page summed over the workers, and
the statsd the master itself sends (gunicorn.workers, its own log records).

Each is an arbiter service (start(arbiter) / stop(), run in the master), so the
page outlives any worker and counts across restarts: it reads the scoreboard
the workers publish to once per tick, plus the master's own counters.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Optional

from ..observe.prometheus import MetricsEndpoint, render
from ..observe.statsd import LogCounter, StatsdClient, count_log_records

error_log = logging.getLogger("wsgiserver.error")
WORKERS_CHECK_SECONDS = 1.0  # gunicorn checks its worker count once per loop (about 1 s)


def worker_count(arbiter: Any) -> int:
    """Workers alive now: the scoreboard's slots in use (a slot is claimed before the
    fork and released once the worker is reaped)."""
    return sum(1 for _ in arbiter.scoreboard.in_use())


def prometheus_page(arbiter: Any) -> bytes:
    counters = getattr(arbiter, "counters", {})
    return render(arbiter.scoreboard.totals(), counters, worker_count(arbiter))


class PrometheusService:
    """Serves the page on the endpoint the server bound at start-up (--metrics-bind)."""

    def __init__(self, endpoint: MetricsEndpoint) -> None:
        self.endpoint = endpoint

    def start(self, arbiter: Any) -> None:
        self.endpoint.start(lambda: prometheus_page(arbiter))

    def stop(self) -> None:
        self.endpoint.stop()


class StatsdService:
    """gunicorn.workers (a gauge, sent when the count changes, as gunicorn does) and
    gunicorn.log.LEVEL for the master's own records; workers send the rest."""

    def __init__(self, client: StatsdClient) -> None:
        self.client = client
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._counter: Optional[LogCounter] = None
        self.last_count: Optional[int] = None

    def start(self, arbiter: Any) -> None:
        self._counter = count_log_records(error_log, self.client)
        self._thread = threading.Thread(target=self._watch, args=(arbiter,),
                                        name="wsgiserver-statsd", daemon=True)
        self._thread.start()

    def _watch(self, arbiter: Any) -> None:
        while True:
            self.check(arbiter)
            if self._stop.wait(WORKERS_CHECK_SECONDS):
                return

    def check(self, arbiter: Any) -> None:
        count = worker_count(arbiter)
        if count != self.last_count:
            self.last_count = count
            self.client.gauge("gunicorn.workers", count)

    def after_fork(self) -> None:
        """In a new worker: its server opens its own client and log counter."""
        if self._counter is not None:
            error_log.removeHandler(self._counter)
        self.client.close()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        if self._counter is not None:
            error_log.removeHandler(self._counter)
        self.client.close()


def metrics_services(server: Any) -> list:
    """The services --statsd-host and --metrics-bind ask of a master."""
    services: list = []
    config = server.config
    if server.metrics_endpoint is not None:
        services.append(PrometheusService(server.metrics_endpoint))
    if config.statsd_host is not None:
        try:
            client = StatsdClient(config.statsd_host, config.statsd_prefix,
                                  config.dogstatsd_tags)
        except OSError as error:
            error_log.warning("statsd: cannot reach %s (%s); sending no metrics",
                              config.statsd_host, error)
        else:
            services.append(StatsdService(client))
    return services
