"""statsd: gunicorn's metric names and line formats, over non-blocking UDP."""

import logging
import socket
import time
import urllib.error
import urllib.request

import pytest

from tests.helpers import free_port, wait_until
from wsgiserver.errors import ConfigError
from wsgiserver.observe.statsd import LogCounter, StatsdClient, count_log_records
from wsgiserver.settings import Config
from wsgiserver.testing import LiveServer, live_server


class Collector:
    """A UDP listener on 127.0.0.1 that keeps every line it receives."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.address = self.sock.getsockname()
        self.datagrams: list[bytes] = []

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.address[1]}"

    def lines(self) -> list[str]:
        while True:
            try:
                self.datagrams.append(self.sock.recv(65536))
            except TimeoutError:
                break
        return [line for d in self.datagrams for line in d.decode("ascii").split("\n")]

    def wait_for(self, count: int) -> list[str]:
        assert wait_until(lambda: len(self.lines()) >= count), self.lines()
        return self.lines()


@pytest.fixture
def collector():
    collector = Collector()
    yield collector
    collector.sock.close()


def test_the_line_formats_are_gunicorns(collector):
    client = StatsdClient(collector.address, "app", "")  # the dot is added
    client.increment("hits", 1)
    client.decrement("hits", 2)
    client.gauge("gunicorn.workers", 3)
    client.timer("t", 12.5)
    client.histogram("h", 7)
    assert collector.wait_for(5) == [
        "app.hits:1|c|@1.0", "app.hits:-2|c|@1.0", "app.gunicorn.workers:3|g",
        "app.t:12.500|ms", "app.h:7|h"]
    client.close()


def test_tags_and_the_prefix_rule(collector):
    config = Config.from_options(statsd_host=collector.host, statsd_prefix="web..",
                                 dogstatsd_tags="env:test, blue")
    client = StatsdClient(config.statsd_host, config.statsd_prefix, config.dogstatsd_tags)
    client.increment("gunicorn.requests")
    assert collector.wait_for(1) == ["web.gunicorn.requests:1|c|@1.0|#env:test,blue"]
    client.close()


@pytest.mark.parametrize("raw, prefix", [("", ""), ("a", "a."), ("app.", "app."),
                                         ("a.b...", "a.b.")])
def test_the_prefix_ends_in_one_dot(raw, prefix):
    # gunicorn's regex leaves 'a' without its dot; ours does not.
    assert Config.from_options(statsd_prefix=raw).statsd_prefix == prefix


@pytest.mark.parametrize("raw, address", [
    ("localhost", ("localhost", 8125)), ("10.0.0.1:9125", ("10.0.0.1", 9125)),
    ("[::1]:9125", ("::1", 9125)), ("unix:/run/statsd.sock", "/run/statsd.sock"),
    ("unix:///run/statsd.sock", "/run/statsd.sock"), (("::1", 9125), ("::1", 9125)),
    (("localhost", 9125), ("localhost", 9125))])
def test_statsd_addresses(raw, address):
    assert Config.from_options(statsd_host=raw).statsd_host == address


@pytest.mark.parametrize("option, raw", [
    ("statsd_host", "host:port"), ("statsd_host", "host:0"), ("statsd_host", ":8125"),
    ("statsd_host", "unix:"), ("metrics_bind", "127.0.0.1"), ("metrics_bind", "[::1]x"),
    ("dogstatsd_tags", "a b"), ("dogstatsd_tags", "a|b")])
def test_bad_values_are_refused(option, raw):
    with pytest.raises(ConfigError, match=f"^--{option.replace('_', '-')}: "):
        Config.from_options(**{option: raw})


def test_a_missing_collector_never_raises_and_never_blocks():
    port = free_port()  # nothing listens: the kernel answers with ICMP port unreachable
    client = StatsdClient(("127.0.0.1", port))
    assert client.sock.getblocking() is False
    for _ in range(20):
        client.increment("x")
    assert client.sent + client.dropped == 20
    assert client.dropped >= 1  # the refusal shows on the send after the first
    client.close()


def test_log_records_are_counted_by_level(collector):
    client = StatsdClient(collector.address)
    logger = logging.getLogger("tests.statsd.levels")
    logger.propagate = False
    counter = count_log_records(logger, client)
    count_log_records(logger, client)  # again: replaces, does not add a second
    assert sum(isinstance(h, LogCounter) for h in logger.handlers) == 1
    try:
        logger.info("not counted")
        logger.warning("w")
        logger.error("e")
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("x")
        logger.critical("c")
        assert collector.wait_for(4) == [
            "gunicorn.log.warning:1|c|@1.0", "gunicorn.log.error:1|c|@1.0",
            "gunicorn.log.exception:1|c|@1.0", "gunicorn.log.critical:1|c|@1.0"]
    finally:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        assert counter not in logger.handlers
        client.close()


def app(environ, start_response):
    status = {"/missing": "404 Not Found", "/fail": "500 Internal Server Error"}.get(
        environ["PATH_INFO"], "200 OK")
    if environ["PATH_INFO"] == "/slow":
        time.sleep(0.05)
    start_response(status, [("Content-Type", "text/plain")])
    return [b"ok"]


def get(server, path):
    try:
        with urllib.request.urlopen(server.url + path, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_live_server_sends_each_request(collector):
    with live_server(app, statsd_host=collector.host, statsd_prefix="web",
                     dogstatsd_tags="env:test") as server:
        statuses = [get(server, path) for path in ("/", "/slow", "/missing", "/fail")]
        lines = collector.wait_for(13)
        assert server.server.statsd.dropped == 0
    assert statuses == [200, 200, 404, 500]
    tag = "|#env:test"
    assert lines[0] == f"web.gunicorn.workers:1|g{tag}"  # one process: no master sends it
    assert [line for line in lines if ".requests:" in line] == [
        f"web.gunicorn.requests:1|c|@1.0{tag}"] * 4
    assert [line.split(":")[0] for line in lines if ".status." in line] == [
        "web.gunicorn.request.status.200", "web.gunicorn.request.status.200",
        "web.gunicorn.request.status.404", "web.gunicorn.request.status.500"]
    durations = [line for line in lines if ".duration:" in line]
    assert len(durations) == 4 and all(line.endswith(f"|ms{tag}") for line in durations)
    slow = float(durations[1].split(":")[1].split("|")[0])
    assert slow >= 50.0  # milliseconds, as gunicorn sends them: /slow sleeps 50 ms


def test_the_servers_warnings_are_counted_and_the_handler_goes_with_it(collector):
    error_log = logging.getLogger("wsgiserver.error")
    with live_server(app, statsd_host=collector.host) as server:
        assert wait_until(lambda: server.server.statsd is not None)  # set as serving starts
        error_log.warning("a warning from the server")
        assert "gunicorn.log.warning:1|c|@1.0" in collector.wait_for(1)
    assert not any(isinstance(h, LogCounter) for h in error_log.handlers)


def test_without_statsd_no_observer_is_added():
    with live_server(app) as server:
        assert get(server, "/") == 200
        assert server.server.statsd is None
        assert server.server.observers == []  # no access log either: nothing per request


def test_a_worker_leaves_gunicorn_workers_and_the_page_to_its_master(collector):
    live = LiveServer(app, statsd_host=collector.host, metrics_bind=f"127.0.0.1:{free_port()}")
    live.server.under_master = True  # as process/worker.py sets it
    live.start()
    try:
        assert get(live, "/") == 200
        lines = collector.wait_for(3)
        assert not [line for line in lines if "gunicorn.workers" in line]
        assert live.server.metrics_endpoint is None  # no page: the master serves it
        assert wait_until(lambda: live.server.stats.by_class[1] == 1)  # still recorded
    finally:
        live.stop()
