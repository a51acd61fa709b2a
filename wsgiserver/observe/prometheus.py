"""Prometheus metrics: the text exposition format (0.0.4), and a small endpoint for it.

The format is written here rather than by `prometheus_client`: what is exported
is a handful of sums the master reads from shared memory (the scoreboard),
not metric objects updated in the process that serves them, and
prometheus_client's multi-process mode would mean a directory of files per
worker and its objects on the request path. Its exposition is thirty lines
without it, and metrics then need no extra. The tests parse it with
`prometheus_client.parser` and a strict checker of their own.

The endpoint is an http.server on a bind of its own (--metrics-bind), on a
daemon thread of the master: never on the app's listeners, so the app's
clients cannot read it, and a scrape never waits behind app requests.
"""

from __future__ import annotations

import http.server
import logging
import socket
import threading
from typing import Callable, Iterator, Mapping, Optional

from ..errors import ConfigError
from .stats import DURATION_BUCKETS, STATUS_CLASSES

error_log = logging.getLogger("wsgiserver.error")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PREFIX = "wsgiserver_"

# (family, type, help, key in totals): the gauges, as each worker samples them.
GAUGES = (
    ("open_connections", "gauge", "Client connections open now.", "open_connections"),
    ("busy_threads", "gauge", "Threads running the app now.", "busy_threads"),
    ("queued_requests", "gauge", "Requests waiting for a free thread now.", "queued"),
)
# (family, help, key in the master's counters).
MASTER_COUNTERS = (
    ("worker_restarts", "Workers started again after one exited.", "worker_restarts"),
    ("watchdog_kills", "Workers killed because their loop stopped beating.", "watchdog_kills"),
)


def _value(number: float) -> str:
    """Prometheus' float text: 3.0, 1e-05, +Inf."""
    if number == float("inf"):
        return "+Inf"
    return repr(float(number))


def _family(name: str, kind: str, help_text: str) -> list[str]:
    return [f"# HELP {PREFIX}{name} {help_text}", f"# TYPE {PREFIX}{name} {kind}"]


def _requests(totals: Mapping[str, float]) -> Iterator[str]:
    yield from _family("requests_total", "counter", "Requests answered, by status class.")
    counted = 0.0
    for status_class in STATUS_CLASSES:
        value = totals.get(f"status_{status_class}", 0.0)
        counted += value
        yield f'{PREFIX}requests_total{{status_class="{status_class}"}} {_value(value)}'
    # Requests with no status: the client went away before an answer began.
    other = max(0.0, totals.get("requests", 0.0) - counted)
    yield f'{PREFIX}requests_total{{status_class="none"}} {_value(other)}'


def _durations(totals: Mapping[str, float]) -> Iterator[str]:
    name = f"{PREFIX}request_duration_seconds"
    yield from _family("request_duration_seconds", "histogram",
                       "Time from a request's arrival to the end of its response.")
    cumulative = 0.0
    bounds = (*DURATION_BUCKETS, float("inf"))
    for index, bound in enumerate(bounds):
        cumulative += totals.get(f"bucket_{index}", 0.0)
        yield f'{name}_bucket{{le="{_value(bound)}"}} {_value(cumulative)}'
    yield f"{name}_sum {_value(totals.get('duration_sum', 0.0))}"
    yield f"{name}_count {_value(cumulative)}"


def render(totals: Mapping[str, float], counters: Optional[Mapping[str, float]] = None,
           workers: Optional[int] = None) -> bytes:
    """The page: `totals` as Scoreboard.totals() (or ServerStats.totals()) gives them,
    the master's counters (worker_restarts, watchdog_kills) and its worker count."""
    lines = [*_requests(totals), *_durations(totals)]
    for name, kind, help_text, key in GAUGES:
        lines += [*_family(name, kind, help_text),
                  f"{PREFIX}{name} {_value(totals.get(key, 0.0))}"]
    if workers is not None:
        lines += [*_family("workers", "gauge", "Worker processes alive now."),
                  f"{PREFIX}workers {_value(workers)}"]
    for name, help_text, key in MASTER_COUNTERS:
        value = (counters or {}).get(key, 0)
        lines += [*_family(f"{name}_total", "counter", help_text),
                  f"{PREFIX}{name}_total {_value(value)}"]
    return ("\n".join(lines) + "\n").encode("utf-8")


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _EndpointServer
    timeout = 5  # a scraper that stalls cannot hold the endpoint's one thread long

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path.split("?", 1)[0] not in ("/metrics", "/"):
            self._answer(404, b"not found: metrics are at /metrics\n", "text/plain")
            return
        try:
            page = self.server.collect()
        except Exception:
            error_log.exception("metrics: collecting failed")
            self._answer(500, b"collecting metrics failed\n", "text/plain")
            return
        self._answer(200, page, CONTENT_TYPE)

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # scrapes are not access-logged: one every few seconds is noise


class _EndpointServer(http.server.HTTPServer):
    collect: Callable[[], bytes]


class _EndpointServer6(_EndpointServer):
    address_family = socket.AF_INET6


def _no_page() -> bytes:
    raise RuntimeError("the metrics endpoint was started without a collector")


class MetricsEndpoint:
    """GET /metrics on its own socket, answered by `collect()` on a daemon thread.

    The socket is bound at construction, so a taken address stops start-up like
    the app's own binds do; serving starts later, in the process that reads the
    counters (the master, or the one process there is)."""

    def __init__(self, address: tuple[str, int],
                 collect: Callable[[], bytes] = _no_page) -> None:
        server_class = _EndpointServer6 if ":" in address[0] else _EndpointServer
        self.httpd = server_class(address, _Handler)
        self.httpd.collect = collect
        self._thread: Optional[threading.Thread] = None

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def start(self, collect: Optional[Callable[[], bytes]] = None) -> None:
        if collect is not None:
            self.httpd.collect = collect
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.5,),
                                        name="wsgiserver-metrics", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving if this process serves it (in a forked worker the thread is
        its master's: shutdown() would wait for it forever), then close the socket."""
        if self._thread is not None and self._thread.is_alive():
            self.httpd.shutdown()
            self._thread.join(5)
        self.httpd.server_close()


def bind_endpoint(address: tuple[str, int], app_sockets: list[socket.socket]
                  ) -> MetricsEndpoint:
    """The endpoint on `address`, which must not be one of the app's listeners."""
    text = f"[{address[0]}]:{address[1]}" if ":" in address[0] else f"{address[0]}:{address[1]}"
    for sock in app_sockets:
        bound = sock.getsockname()
        if isinstance(bound, tuple) and bound[1] == address[1]:
            raise ConfigError(f"--metrics-bind: {text} is the app's port; metrics need "
                              f"a port of their own")
    try:
        return MetricsEndpoint(address)
    except OSError as error:
        raise ConfigError(f"--metrics-bind: cannot listen on {text}: "
                          f"{error.strerror or error}") from None
