"""Metrics with --workers 2: the master's Prometheus page sums both workers and keeps
counting across a restart; statsd gets every request and gunicorn.workers."""

import os
import signal
import socket

import pytest

from tests.helpers import children_of, free_port, server_process, wait_until
from tests.observe.promtext import fetch, scrape

P = "wsgiserver_"


def requests_2xx(port):
    return scrape(port)[(P + "requests_total", (("status_class", "2xx"),))]


class Collector:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.lines = []

    def read(self):
        while True:
            try:
                self.lines += self.sock.recv(65536).decode().split("\n")
            except TimeoutError:
                return self.lines


@pytest.fixture
def workers_with_metrics():
    port, metrics_port, collector = free_port(), free_port(), Collector()
    args = ["tests.data.pidapp:application", "-b", f"127.0.0.1:{port}", "-w", "2",
            "--threads", "1", "--static-root", "/nonexistent",
            "--metrics-bind", f"127.0.0.1:{metrics_port}",
            "--statsd-host", f"127.0.0.1:{collector.sock.getsockname()[1]}"]
    try:
        with server_process(args) as server:
            server.wait_for_port(port)
            assert wait_until(lambda: len(children_of(server.proc.pid, live_only=False)) == 2)
            yield server, port, metrics_port, collector
    finally:
        collector.sock.close()


def test_the_masters_page_sums_both_workers_and_survives_a_restart(workers_with_metrics):
    server, port, metrics_port, collector = workers_with_metrics
    pids = {fetch(f"http://127.0.0.1:{port}/")[1] for _ in range(20)}
    # The app's port answers /metrics with the app (a worker's pid), not the page.
    assert fetch(f"http://127.0.0.1:{port}/metrics")[1].decode().isdigit()
    assert wait_until(lambda: requests_2xx(metrics_port) == 21, timeout=10)
    samples = scrape(metrics_port)
    assert samples[(P + "workers", ())] == 2
    assert samples[(P + "request_duration_seconds_count", ())] == 21
    assert samples[(P + "worker_restarts_total", ())] == 0

    victim = children_of(server.proc.pid, live_only=False)[0]
    os.kill(victim, signal.SIGKILL)
    assert wait_until(lambda: scrape(metrics_port)[(P + "worker_restarts_total", ())] == 1,
                      timeout=10)
    assert wait_until(lambda: scrape(metrics_port)[(P + "workers", ())] == 2, timeout=10)
    # The dead worker's requests still count (published before it died, kept by the master).
    assert requests_2xx(metrics_port) == 21

    statsd = collector.read()
    assert len([line for line in statsd if line == "gunicorn.requests:1|c|@1.0"]) == 21
    assert "gunicorn.request.status.200:1|c|@1.0" in statsd
    assert "gunicorn.workers:2|g" in statsd
    assert all(pid.isdigit() for pid in pids)


def listening_inode(port):
    """The inode of the socket listening on 127.0.0.1:port (from /proc/net/tcp)."""
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if fields[1] == f"0100007F:{port:04X}" and fields[3] == "0A":
                return fields[9]
    return None


def socket_inodes(pid):
    links = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            continue
    return {link[len("socket:["):-1] for link in links if link.startswith("socket:[")}


def test_only_the_master_holds_the_metrics_socket(workers_with_metrics):
    server, port, metrics_port, _ = workers_with_metrics
    assert scrape(metrics_port)[(P + "workers", ())] == 2
    metrics, app = listening_inode(metrics_port), listening_inode(port)
    assert metrics and app
    assert metrics in socket_inodes(server.proc.pid)
    for pid in children_of(server.proc.pid, live_only=False):
        held = socket_inodes(pid)
        assert app in held and metrics not in held  # the worker closed its inherited copy


def test_a_watchdog_kill_is_counted_on_the_page(tmp_path):
    (tmp_path / "sleepapp.py").write_text(
        "import time\n"
        "def application(environ, start_response):\n"
        "    if environ['PATH_INFO'] == '/sleep':\n"
        "        time.sleep(30)  # inline (--threads 0): the loop stops beating\n"
        "    start_response('200 OK', [('Content-Length', '2')])\n"
        "    return [b'ok']\n")
    port, metrics_port = free_port(), free_port()
    args = ["sleepapp:application", "-b", f"127.0.0.1:{port}", "-w", "1", "--threads", "0",
            "--timeout", "1", "--static-root", "/nonexistent",
            "--metrics-bind", f"127.0.0.1:{metrics_port}"]
    with server_process(args, cwd=str(tmp_path)) as server:
        server.wait_for_port(port)
        assert fetch(f"http://127.0.0.1:{port}/")[0] == 200
        blocker = socket.create_connection(("127.0.0.1", port), timeout=10)
        try:
            blocker.sendall(b"GET /sleep HTTP/1.1\r\nHost: x\r\n\r\n")
            assert wait_until(lambda: scrape(metrics_port)[
                (P + "watchdog_kills_total", ())] == 1, timeout=15), server.stderr_text
        finally:
            blocker.close()
        assert wait_until(lambda: fetch(f"http://127.0.0.1:{port}/")[0] == 200, timeout=10)
        assert scrape(metrics_port)[(P + "workers", ())] == 1
