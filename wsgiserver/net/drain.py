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

from typing import Any, Iterable, Optional

from ..errors import ConnectionLost
from .output import HIGH_WATER
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


def waits_for_client(connection: Any) -> bool:
    """Its task is blocked on the client (output backpressure, a streamed body),
    not on the app: the read timeout and body deadlines deal with that."""
    return (connection.output.size > HIGH_WATER
            or connection.parser.streamed_body_in_progress is not None)


def abandon(connection: Any, answer: Optional[bytes]) -> None:
    """The running task is given up on (stuck in the app): send `answer` (a whole
    response saying close) and close, or close at once when there is none (its
    head is out). The pipeline lets go of the task: it may never return."""
    with connection.lock:
        connection.stop_requests()
        connection.pipeline.drop()
        connection.pipeline.busy = False
    if answer is None:
        connection.close()
        return
    try:
        connection.send_nowait(answer)
    except ConnectionLost:
        connection.close()
        return
    with connection.lock:
        flushed = not connection.output.items
    if flushed:  # else the write path closes it once flushed (CLOSING, not busy)
        connection.close_soon()
