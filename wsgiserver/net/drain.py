"""Stopping without losing a request: what a graceful stop does to sockets.

A keep-alive client may send its next request at any moment, so a server that
closes a connection right after a response that did not say `Connection:
close` makes that request meet EOF (or RST). The rules here avoid it:
- the listeners' backlog is accepted before they close: a client whose
  handshake completed is answered, not reset, and an attempt after the close
  is refused by the kernel (ECONNREFUSED), never accepted and then reset;
- the response in flight, if its head is not out yet, says `Connection: close`
  (the server makes every later task with keep-alive off);
- a connection whose last response kept it alive stays open and reading: a
  request that arrives is answered, with `Connection: close`; one that stays
  idle is closed after `STOP_IDLE_SECONDS` without a byte (a fair chance: a
  client that was about to reuse it has sent by then; waiting the full
  keep-alive time would only delay the stop).
"""

from __future__ import annotations

from typing import Any, Iterable

from .state import OPEN

STOP_IDLE_SECONDS = 1.0
BACKLOG_LIMIT = 4096  # accepts at most, so a flood cannot keep a stop from finishing


def accept_backlog(listeners: Iterable[Any]) -> None:
    """Take every connection already waiting in the kernel's accept queue."""
    for listener in listeners:
        listener.accept(BACKLOG_LIMIT, even_paused=True)


def refuse_keep_alive(connection: Any) -> None:
    """Make the connection's running and queued requests answer `Connection: close`
    (tasks read `request.keep_alive` when they build the head; a head already
    sent keeps what it said, and the connection then stays open for the next)."""
    task = connection.task
    if connection.pipeline.busy and task is not None and task.request is not None:
        task.request.keep_alive = False
    for item in connection.pipeline.pending:
        if hasattr(item, "keep_alive"):
            item.keep_alive = False


def is_idle(connection: Any, now: float, seconds: float) -> bool:
    """Open, nothing to do, no request begun, and no byte either way for `seconds`."""
    if connection.phase is not OPEN or connection.has_work or connection.parser.in_message:
        return False
    return now - max(connection.last_activity, connection.output.last_sent) >= seconds


def close_idle(connections: Iterable[Any], now: float) -> None:
    for connection in list(connections):
        if is_idle(connection, now, STOP_IDLE_SECONDS):
            connection.close()
