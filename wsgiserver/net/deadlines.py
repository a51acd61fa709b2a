"""The deadlines a slow client cannot stretch by dribbling bytes.

`--read-timeout` restarts on every byte, so alone it lets a client hold a
connection forever with one byte every few seconds (slowloris). Two more
clocks, as nginx's `client_header_timeout` and Kestrel's minimum data rate:

- a request head must be complete within `--header-timeout` of its first
  byte (blank lines and a half-sent method before the target count: llhttp
  skips them without a callback, so the parser alone cannot see them);
- a request body must arrive at `--min-body-rate` bytes/s on average since it
  started, once `--min-body-rate-grace` seconds have passed.

`RequestClock` is pure: the connection passes the time and what its parser
says, so it is tested without sockets or sleeps. While the server itself has
stopped reading (backpressure, or an app that has not asked for its
100-continue body yet) the client is not to blame, so the clocks are held,
and restart when reading resumes: at the first bytes read, or at the first
tick that finds the server reading again, whichever comes first.
"""

from __future__ import annotations

from typing import Optional


class RequestClock:
    """When the request being read started its head and its body."""

    __slots__ = ("head_started", "body_started", "body_base", "held")

    def __init__(self) -> None:
        self.head_started: Optional[float] = None
        self.body_started: Optional[float] = None
        self.body_base = 0  # body bytes already counted when body_started was set
        self.held = False  # the server stopped reading: restart the clocks when it resumes

    def before_feed(self, now: float, reading_body: bool, body_received: int) -> None:
        """Bytes arrived: unless a body is being read, they are part of a head."""
        self.resume(now, body_received)
        if self.head_started is None and not reading_body:
            self.head_started = now

    def after_feed(self, now: float, completed: bool, in_message: bool,
                   reading_body: bool) -> None:
        """Where the parser is after the feed; `completed`: it gave a request.

        A request ends its head's clock; bytes after it in the same feed start
        the next head's only if they reached its target (a trailing CRLF after a
        body is not a new request), else the next read starts it.
        """
        if reading_body:
            self.head_started = None
            if completed or self.body_started is None:
                self.body_started, self.body_base = now, 0
            return
        self.body_started = None
        if in_message:
            if completed or self.head_started is None:
                self.head_started = now
        elif completed:
            self.head_started = None

    def hold(self, now: float, body_received: int) -> None:
        """The server is not reading: the client is not late (called once a tick)."""
        self._restart(now, body_received)
        self.held = True

    def resume(self, now: float, body_received: int) -> None:
        """The server reads again: after a hold, the clocks run from now."""
        if self.held:
            self.held = False
            self._restart(now, body_received)

    def _restart(self, now: float, body_received: int) -> None:
        if self.head_started is not None:
            self.head_started = now
        if self.body_started is not None:
            self.body_started, self.body_base = now, body_received

    def head_late(self, now: float, header_timeout: float) -> bool:
        """The head has taken longer than header_timeout (0 = no deadline)."""
        started = self.head_started
        return bool(header_timeout) and started is not None and now - started > header_timeout

    def body_too_slow(self, now: float, body_received: int, min_rate: float,
                      grace: float) -> bool:
        """Past the grace period, the body's average rate is below min_rate (0 = none)."""
        started = self.body_started
        if not min_rate or started is None:
            return False
        elapsed = now - started
        return elapsed > grace and body_received - self.body_base < min_rate * elapsed
