"""Which states a connection goes through, and which moves between them are allowed.

One place for the lifecycle that used to be spread over `closing`, `closed`
and `lingering` flags (as h11's `_state.py` does for a whole exchange):

    OPEN ──► CLOSING ──► LINGERING ──► CLOSED
      └─────────┴────────────┴───────────┘ (closed at once: peer gone, timeout, shutdown)

- OPEN: requests are read and answered.
- CLOSING: no further request will be answered; what is queued still goes out.
- LINGERING: our side is shut down after the last response; the peer's unread
  input is drained so the kernel does not answer it with RST (see connection.py).
- CLOSED: the socket is closed and unregistered.

The other things a connection tracks are owned where they belong: whether the
peer has sent EOF (`Connection.peer_eof`), whether a task is running or paused
(`Pipeline`), whether sending failed (`OutputQueue.broken`).
"""

from __future__ import annotations

from ..errors import BadTransition

OPEN = "open"
CLOSING = "closing"
LINGERING = "lingering"
CLOSED = "closed"

TRANSITIONS: dict[str, frozenset[str]] = {
    OPEN: frozenset((CLOSING, CLOSED)),
    CLOSING: frozenset((LINGERING, CLOSED)),
    LINGERING: frozenset((CLOSED,)),
    CLOSED: frozenset(),
}


def move(current: str, new: str) -> str:
    """`new`, after checking that a connection in `current` may go there."""
    if new not in TRANSITIONS[current]:
        raise BadTransition(f"a connection cannot go from {current} to {new}")
    return new
