"""The Prometheus page: rendered from the totals, parsed strictly, served on its own bind."""

import os
import urllib.error
import urllib.request

import pytest

from tests.helpers import free_port
from tests.observe.promtext import parse_strict
from wsgiserver.observe.prometheus import CONTENT_TYPE, MetricsEndpoint, render
from wsgiserver.observe.stats import DURATION_BUCKETS, ServerStats
from wsgiserver.process.scoreboard import Scoreboard

P = "wsgiserver_"


def sample_stats() -> ServerStats:
    stats = ServerStats()
    for status, seconds in ((200, 0.001), (200, 0.02), (304, 0.3), (404, 0.004),
                            (503, 20.0), (101, 0.0)):
        stats.requests += 1
        stats.record(status, seconds)
    stats.requests += 1  # one with no status: the client left before an answer
    stats.record(0, 0.001)
    stats.open_connections, stats.busy_threads, stats.queued = 5, 2, 3
    return stats


def test_the_page_holds_every_family_with_the_totals():
    samples = parse_strict(render(sample_stats().totals(),
                                  {"worker_restarts": 2, "watchdog_kills": 1}, workers=4)
                           .decode())
    by_class = {dict(labels)["status_class"]: value for (name, labels), value
                in samples.items() if name == P + "requests_total"}
    assert by_class == {"1xx": 1, "2xx": 2, "3xx": 1, "4xx": 1, "5xx": 1, "none": 1}
    buckets = {dict(labels)["le"]: value for (name, labels), value in samples.items()
               if name == P + "request_duration_seconds_bucket"}
    assert len(buckets) == len(DURATION_BUCKETS) + 1
    assert (buckets["0.005"], buckets["0.025"], buckets["0.5"], buckets["10.0"],
            buckets["+Inf"]) == (4, 5, 6, 6, 7)
    assert samples[(P + "request_duration_seconds_count", ())] == 7
    assert samples[(P + "request_duration_seconds_sum", ())] == pytest.approx(20.326)
    assert samples[(P + "open_connections", ())] == 5
    assert samples[(P + "busy_threads", ())] == 2
    assert samples[(P + "queued_requests", ())] == 3
    assert samples[(P + "workers", ())] == 4
    assert samples[(P + "worker_restarts_total", ())] == 2
    assert samples[(P + "watchdog_kills_total", ())] == 1


def test_a_process_without_a_master_has_no_workers_gauge():
    samples = parse_strict(render(ServerStats().totals()).decode())
    assert (P + "workers", ()) not in samples
    assert samples[(P + "worker_restarts_total", ())] == 0


def test_the_stats_totals_and_the_scoreboards_have_the_same_names():
    board = Scoreboard(slots=2)
    board.claim().publish(sample_stats())
    assert board.totals() == sample_stats().totals()


def test_a_released_slot_still_counts_but_its_gauges_do_not():
    board = Scoreboard(slots=2)
    first = board.claim()
    first.publish(sample_stats())
    board.release(first)  # the worker died; its replacement starts from zero
    board.claim().publish(ServerStats())
    totals = board.totals()
    assert totals["requests"] == 7 and totals["status_2xx"] == 2
    assert totals["bucket_11"] == 1 and totals["duration_sum"] == pytest.approx(20.326)
    assert (totals["open_connections"], totals["busy_threads"], totals["queued"]) == (0, 0, 0)


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def test_the_endpoint_serves_the_page_on_its_own_bind():
    calls = []

    def collect():
        calls.append(os.getpid())
        return render(sample_stats().totals(), workers=1)

    endpoint = MetricsEndpoint(("127.0.0.1", free_port()), collect)
    endpoint.start()
    try:
        base = f"http://127.0.0.1:{endpoint.port}"
        status, content_type, body = fetch(base + "/metrics")
        assert (status, content_type) == (200, CONTENT_TYPE)
        assert parse_strict(body.decode())[(P + "workers", ())] == 1
        assert fetch(base + "/other")[0] == 404
        assert len(calls) == 1
    finally:
        endpoint.stop()


def test_a_failing_collector_is_a_500_not_a_dead_endpoint():
    def collect():
        raise RuntimeError("boom")

    endpoint = MetricsEndpoint(("127.0.0.1", free_port()), collect)
    endpoint.start()
    try:
        base = f"http://127.0.0.1:{endpoint.port}"
        assert fetch(base + "/metrics")[0] == 500
        assert fetch(base + "/metrics")[0] == 500  # still answering
    finally:
        endpoint.stop()
