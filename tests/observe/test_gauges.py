"""What the Prometheus endpoint reads of one server: its gauges, sampled, and the
per-request stats, recorded only when metrics are on."""

import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.helpers import free_port, make_request, wait_until
from wsgiserver.observe.stats import DURATION_BUCKETS, ServerStats
from wsgiserver.testing import live_server
from wsgiserver.wsgi.threadpool import ThreadPool

release = threading.Event()


def blocking_app(environ, start_response):
    if environ["PATH_INFO"] == "/block":
        release.wait(10)
    status = "404 Not Found" if environ["PATH_INFO"] == "/missing" else "200 OK"
    start_response(status, [("Content-Type", "text/plain")])
    return [b"ok"]


def test_the_pool_counts_busy_threads_and_queued_jobs():
    pool = ThreadPool(2)
    gate = threading.Event()
    try:
        for _ in range(5):
            pool.submit(gate.wait, 10)
        # Two threads run a job each; the lazy pool wakes the second one on a poke.
        assert wait_until(lambda: pool.poke(time.monotonic()) and pool.busy == 2)
        assert pool.queued == 3
        gate.set()
        assert wait_until(lambda: pool.busy == 0 and pool.queued == 0)
    finally:
        gate.set()
        pool.shutdown(timeout=5)


def test_sample_gauges_reads_connections_threads_and_the_queue():
    release.clear()
    sockets = []
    with live_server(blocking_app, threads=1) as live:
        try:
            for _ in range(3):
                sock = socket.create_connection(("127.0.0.1", live.port), timeout=10)
                sock.sendall(make_request("/block"))
                sockets.append(sock)
            server = live.server

            def sampled():
                server.sample_gauges()
                stats = server.stats
                return (stats.open_connections, stats.busy_threads, stats.queued) == (3, 1, 2)
            assert wait_until(sampled), vars(server.stats)
        finally:
            release.set()
            for sock in sockets:
                sock.close()
        assert wait_until(lambda: server.sample_gauges() or server.stats.busy_threads == 0)


def test_with_threads_0_no_thread_is_busy():
    with live_server(blocking_app, threads=0) as live:
        live.server.sample_gauges()
        assert (live.server.stats.busy_threads, live.server.stats.queued) == (0, 0)


def test_stats_are_recorded_only_when_the_endpoint_is_on():
    with live_server(blocking_app) as live:
        urllib.request.urlopen(live.url + "/", timeout=10).read()
        assert wait_until(lambda: live.server.stats.requests == 1)
        assert sum(live.server.stats.buckets) == 0  # nothing records durations
    with live_server(blocking_app, metrics_bind=f"127.0.0.1:{free_port()}") as live:
        for path in ("/", "/", "/missing"):
            try:
                urllib.request.urlopen(live.url + path, timeout=10).read()
            except urllib.error.HTTPError as error:
                assert error.code == 404
        stats = live.server.stats
        assert wait_until(lambda: stats.requests == 3)
        assert stats.by_class == [0, 2, 0, 1, 0]
        assert sum(stats.buckets) == 3 and len(stats.buckets) == len(DURATION_BUCKETS) + 1
        assert stats.duration_sum > 0


def test_the_observer_records_as_record_does():
    class Task:
        def __init__(self, status, seconds):
            self.status_code, self.started = status, time.perf_counter() - seconds

    observed, recorded = ServerStats(), ServerStats()
    for status, seconds in ((200, 0.001), (404, 0.3), (0, 0.001), (503, 20.0)):
        observed.observe(None, Task(status, seconds))
        recorded.record(status, seconds)
    assert observed.by_class == recorded.by_class == [0, 1, 0, 1, 1]
    assert observed.buckets == recorded.buckets
    assert observed.duration_sum == pytest.approx(recorded.duration_sum, abs=0.01)
