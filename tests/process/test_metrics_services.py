"""The master's metrics services, against a stand-in arbiter (scoreboard, counters,
workers): the page sums the slots and the master's counters; gunicorn.workers is
sent when the count changes."""

import socket
import urllib.request

from tests.helpers import free_port, wait_until
from tests.observe.promtext import parse_strict
from wsgiserver.observe.prometheus import MetricsEndpoint
from wsgiserver.observe.stats import ServerStats
from wsgiserver.observe.statsd import StatsdClient
from wsgiserver.process.metrics import PrometheusService, StatsdService, metrics_services
from wsgiserver.process.scoreboard import Scoreboard
from wsgiserver.server import WSGIServer

P = "wsgiserver_"


class Arbiter:
    def __init__(self, slots=4):
        self.scoreboard = Scoreboard(slots)
        self.counters = {"worker_restarts": 3, "watchdog_kills": 1}

    def set_workers(self, count):
        for slot in list(self.scoreboard.in_use()):
            self.scoreboard.release(slot)
        for pid in range(count):
            self.scoreboard.claim(pid + 1)


def stats(requests, status):
    result = ServerStats()
    for _ in range(requests):
        result.requests += 1
        result.record(status, 0.001)
    result.open_connections = 2
    return result


def test_the_page_sums_every_worker_and_the_masters_counters():
    arbiter = Arbiter()
    for pid, (count, status) in enumerate(((3, 200), (4, 200), (2, 500)), start=100):
        arbiter.scoreboard.claim(pid).publish(stats(count, status))
    service = PrometheusService(MetricsEndpoint(("127.0.0.1", free_port())))
    service.start(arbiter)
    try:
        url = f"http://127.0.0.1:{service.endpoint.port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            samples = parse_strict(response.read().decode())
    finally:
        service.stop()
    assert samples[(P + "requests_total", (("status_class", "2xx"),))] == 7
    assert samples[(P + "requests_total", (("status_class", "5xx"),))] == 2
    assert samples[(P + "request_duration_seconds_count", ())] == 9
    assert samples[(P + "open_connections", ())] == 6
    assert samples[(P + "workers", ())] == 3
    assert samples[(P + "worker_restarts_total", ())] == 3
    assert samples[(P + "watchdog_kills_total", ())] == 1


def test_gunicorn_workers_is_sent_when_the_count_changes():
    collector = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    collector.bind(("127.0.0.1", 0))
    collector.settimeout(5)
    arbiter = Arbiter()
    service = StatsdService(StatsdClient(collector.getsockname(), "web"))
    try:
        arbiter.set_workers(2)
        service.check(arbiter)
        service.check(arbiter)  # unchanged: nothing sent
        arbiter.set_workers(1)
        service.check(arbiter)
        assert [collector.recv(100), collector.recv(100)] == [
            b"web.gunicorn.workers:2|g", b"web.gunicorn.workers:1|g"]
        assert service.client.sent == 2
    finally:
        service.client.close()
        collector.close()


def test_the_statsd_service_runs_and_stops_in_the_master():
    collector = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    collector.bind(("127.0.0.1", 0))
    collector.settimeout(5)
    arbiter = Arbiter()
    arbiter.set_workers(1)
    service = StatsdService(StatsdClient(collector.getsockname()))
    service.start(arbiter)
    try:
        assert collector.recv(100) == b"gunicorn.workers:1|g"
    finally:
        service.stop()
        collector.close()
    assert wait_until(lambda: not service._thread.is_alive())


def test_no_service_without_the_options():
    server = WSGIServer(None, bind=["127.0.0.1:0"], static_root=None)
    try:
        assert metrics_services(server) == []
    finally:
        server.sockets[0].close()
