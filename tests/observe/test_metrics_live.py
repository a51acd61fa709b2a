"""--metrics-bind on a live server of one process: the page counts what was sent,
on a port of its own; a bad bind is one line and exit 2."""

import socket

import pytest

from tests.helpers import free_port, port_open, run_cli, wait_until
from tests.observe.promtext import fetch, scrape
from wsgiserver.testing import live_server

P = "wsgiserver_"


def app(environ, start_response):
    status = "404 Not Found" if environ["PATH_INFO"] == "/missing" else "200 OK"
    start_response(status, [("Content-Type", "text/plain")])
    return [b"app\n"]


def test_the_page_counts_the_requests_sent():
    metrics_port = free_port()
    with live_server(app, metrics_bind=f"127.0.0.1:{metrics_port}") as server:
        sent = ["/"] * 5 + ["/missing"] * 3
        assert [fetch(server.url + path)[0] for path in sent] == [200] * 5 + [404] * 3
        assert wait_until(lambda: scrape(metrics_port)[
            (P + "request_duration_seconds_count", ())] == 8)
        samples = scrape(metrics_port)
        requests = {dict(labels)["status_class"]: value for (name, labels), value
                    in samples.items() if name == P + "requests_total"}
        assert requests == {"1xx": 0, "2xx": 5, "3xx": 0, "4xx": 3, "5xx": 0, "none": 0}
        # urllib closes each connection; the gauge is sampled once a tick, so it may
        # still count the last ones for up to a tick after their close.
        assert wait_until(lambda: scrape(metrics_port)[(P + "open_connections", ())] == 0)
        # The app's port answers /metrics with the app, never with the page.
        assert fetch(server.url + "/metrics") == (200, b"app\n")


def test_the_page_is_not_served_once_the_server_stops():
    metrics_port = free_port()
    with live_server(app, metrics_bind=f"127.0.0.1:{metrics_port}"):
        assert wait_until(lambda: port_open(metrics_port))  # bound as serving starts
        assert scrape(metrics_port)[(P + "requests_total", (("status_class", "2xx"),))] == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", metrics_port), timeout=2).close()


def test_the_apps_port_is_refused_for_metrics():
    port = free_port()
    result = run_cli(["apps.hello:application", "-b", f"127.0.0.1:{port}",
                      "--metrics-bind", f"127.0.0.1:{port}"])
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"wsgiserver: error: --metrics-bind: 127.0.0.1:{port} is the app's port; "
        "metrics need a port of their own")


def test_a_bad_or_taken_metrics_bind_is_one_line_and_exit_2():
    result = run_cli(["apps.hello:application", "--metrics-bind", "127.0.0.1"])
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "wsgiserver: error: --metrics-bind: expected HOST:PORT such as 127.0.0.1:9100, "
        "got '127.0.0.1'"]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        busy = taken.getsockname()[1]
        result = run_cli(["apps.hello:application", "-b", f"127.0.0.1:{free_port()}",
                          "--metrics-bind", f"127.0.0.1:{busy}"])
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"wsgiserver: error: --metrics-bind: cannot listen on 127.0.0.1:{busy}: "), lines
