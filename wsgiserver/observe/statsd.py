"""A statsd client with gunicorn's metric names and line formats.

gunicorn (instrument/statsd.py) sends, per request, `gunicorn.request.duration`
(a timer in milliseconds), `gunicorn.requests` and `gunicorn.request.status.CODE`
(counters); `gunicorn.workers` (a gauge) from the master; `gunicorn.log.LEVEL`
for each warning, error, exception and critical record. The lines are the
same here: `NAME:VALUE|c|@1.0`, `NAME:VALUE|ms`, `NAME:VALUE|g`, `NAME:VALUE|h`,
each followed by `|#TAGS` when --dogstatsd-tags is set.

Two differences, both for the cost of a request: a request's three lines go
in one datagram, separated by newlines (the multi-metric packet that statsd,
the Datadog agent and Telegraf all read), not three; and the socket is
non-blocking, so a datagram that cannot leave at once is counted in `dropped`
and forgotten: metrics are allowed to be lossy, requests are not allowed to
wait for them. Nothing here logs a send failure, since the log counter below
would send about it again.
"""

from __future__ import annotations

import logging
import socket
from time import perf_counter
from typing import Any, Optional, Union

from ..settings.metrics import statsd_prefix

Address = Union[tuple[str, int], str]  # (host, port), or a unix datagram socket's path


def open_socket(address: Address) -> socket.socket:
    """A connected, non-blocking datagram socket to the collector."""
    if isinstance(address, str):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        target: Any = address
    else:
        # Resolved once, at start-up: a DNS lookup per datagram would cost more
        # than the request it measures.
        family, _, _, _, target = socket.getaddrinfo(
            address[0], address[1], type=socket.SOCK_DGRAM)[0]
        sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setblocking(False)
    try:
        sock.connect(target)
    except OSError:
        sock.close()
        raise
    return sock


class StatsdClient:
    """Sends statsd lines to one collector; never blocks, never raises on sending."""

    def __init__(self, address: Address, prefix: Optional[str] = "",
                 tags: Optional[str] = "", sock: Optional[socket.socket] = None) -> None:
        self.address = address
        self.prefix = statsd_prefix(prefix or "").encode("ascii")  # 'web' -> 'web.'
        self.tags = b"|#" + tags.encode("ascii") if tags else b""
        self.sock = sock if sock is not None else open_socket(address)
        self.sent = 0
        self.dropped = 0
        # The two counter lines that follow each request's timer, per status code.
        self._status_lines: dict[int, bytes] = {}
        self._duration = self._name(b"gunicorn.request.duration")

    def _name(self, name: Union[str, bytes]) -> bytes:
        return self.prefix + (name.encode("ascii") if isinstance(name, str) else name)

    # -- gunicorn's statsd methods --
    def gauge(self, name: str, value: float) -> None:
        self.send(b"%s:%s|g%s" % (self._name(name), _number(value), self.tags))

    def increment(self, name: str, value: float = 1, sampling_rate: float = 1.0) -> None:
        self.send(b"%s:%s|c|@%s%s" % (self._name(name), _number(value),
                                      repr(sampling_rate).encode(), self.tags))

    def decrement(self, name: str, value: float = 1, sampling_rate: float = 1.0) -> None:
        self.send(b"%s:-%s|c|@%s%s" % (self._name(name), _number(value),
                                       repr(sampling_rate).encode(), self.tags))

    def timer(self, name: str, milliseconds: float) -> None:
        self.send(b"%s:%.3f|ms%s" % (self._name(name), milliseconds, self.tags))

    def histogram(self, name: str, value: float) -> None:
        self.send(b"%s:%s|h%s" % (self._name(name), _number(value), self.tags))

    # -- per request --
    def observe(self, connection: Any, task: Any) -> None:
        """A server observer: one finished request, as gunicorn's Statsd.access counts it."""
        status = task.status_code
        lines = self._status_lines.get(status)
        if lines is None:
            lines = self._request_lines(status)
        try:  # send() inline: a call less per request
            self.sock.send(b"%s:%.3f|ms%s\n%s" % (
                self._duration, (perf_counter() - task.started) * 1000.0, self.tags, lines))
            self.sent += 1
        except OSError:
            self.dropped += 1

    def _request_lines(self, status: int) -> bytes:
        lines = [b"%s:1|c|@1.0%s" % (self._name("gunicorn.requests"), self.tags)]
        if status:  # 0: no response was started (the client went away first)
            lines.append(b"%s:1|c|@1.0%s" % (self._name(f"gunicorn.request.status.{status}"),
                                             self.tags))
        joined = b"\n".join(lines)
        if len(self._status_lines) < 1000:  # status codes are few; never let it grow
            self._status_lines[status] = joined
        return joined

    def send(self, datagram: bytes) -> None:
        try:
            self.sock.send(datagram)
            self.sent += 1
        except OSError:
            # EAGAIN (buffer full), ECONNREFUSED (the collector is not listening
            # yet: the kernel reports its ICMP on the next send), ENOENT...
            self.dropped += 1

    def close(self) -> None:
        self.sock.close()


def _number(value: float) -> bytes:
    """An int as an int, a float as Python writes it (gunicorn's str.format does the same)."""
    return str(value).encode("ascii")


class LogCounter(logging.Handler):
    """Counts log records as gunicorn's Statsd logger does: `gunicorn.log.warning`,
    `.error`, `.critical`, and `.exception` for an error with a traceback (gunicorn's
    log.exception() counts as an exception only, not also as an error)."""

    def __init__(self, client: StatsdClient) -> None:
        super().__init__(logging.WARNING)
        self.client = client

    def emit(self, record: logging.LogRecord) -> None:
        level = record.levelname.lower()
        if record.levelno == logging.ERROR and record.exc_info:
            level = "exception"
        self.client.increment(f"gunicorn.log.{level}")


def count_log_records(logger: logging.Logger, client: StatsdClient) -> LogCounter:
    """Attach a LogCounter to `logger`, in place of one attached before (a forked
    worker inherits its master's, and must not count every record twice)."""
    for handler in list(logger.handlers):
        if isinstance(handler, LogCounter):
            logger.removeHandler(handler)
    counter = LogCounter(client)
    logger.addHandler(counter)
    return counter
