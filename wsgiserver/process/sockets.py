"""The master's listening sockets, and how a HUP that changes --bind swaps them.

The master keeps every socket it may still need, by the bind address it was
made from. A HUP that changes --bind (an edited config file, as gunicorn's
HUP allows) keeps the socket of each address still wanted, so nothing on it
is refused, and binds the new addresses before anything else changes, so a
bind error (a port in use) fails the reload with the old set untouched. The
dropped sockets stay open here until the new workers all serve, since a
reload whose workers cannot boot returns to them; new workers close them
right after fork. So a dropped address is served by the old workers until
they stop, and refused from then on: never accepted by a socket nobody
serves.
"""

from __future__ import annotations

import os
import socket
from typing import Optional

from ..errors import ConfigError
from ..net.listeners import bind_socket, parse_bind


class MasterSockets:
    """The listening sockets the workers serve (`current`) and the ones held back."""

    def __init__(self) -> None:
        self.current: list[socket.socket] = []
        self._held: dict[str, socket.socket] = {}  # bind address -> socket, current too

    def adopt(self, sockets: list[socket.socket], binds: Optional[list[str]]) -> None:
        """From now on the workers serve `sockets`, made from `binds` (same order; None
        or a list of another length when they were not made from bind addresses)."""
        self.current = list(sockets)
        if binds is not None and len(binds) == len(sockets):
            self._held.update(zip(binds, sockets, strict=True))

    def rebind(self, binds: list[str], backlog: int, reuse_port: bool) -> list[socket.socket]:
        """The sockets for `binds`: held ones reused, the others bound now; ConfigError
        (with nothing left open) if one cannot be bound."""
        fresh: dict[str, socket.socket] = {}
        try:
            for bind in binds:
                if bind not in self._held and bind not in fresh:
                    fresh[bind] = bind_socket(parse_bind(bind), backlog, reuse_port)
        except ConfigError:
            for sock in fresh.values():
                sock.close()
            raise
        self._held.update(fresh)
        return [self._held[bind] for bind in binds]

    def drop_unused(self, unlink: bool) -> None:
        """Close what the workers no longer serve (a reload has finished or failed)."""
        for bind, sock in list(self._held.items()):
            if sock not in self.current:
                del self._held[bind]
                close_listener(sock, unlink)

    def forget_unused(self) -> None:
        """In a new worker: close its copies of the held-back sockets (the files stay)."""
        for sock in self._held.values():
            if sock not in self.current:
                sock.close()

    def close_all(self, unlink: bool) -> None:
        for sock in {*self.current, *self._held.values()}:
            close_listener(sock, unlink)
        self._held.clear()


def close_listener(sock: socket.socket, unlink: bool) -> None:
    """Close a listening socket; `unlink` removes a Unix socket's file too."""
    if sock.family == socket.AF_UNIX and unlink and sock.fileno() != -1:
        try:
            os.unlink(sock.getsockname())
        except (OSError, TypeError):
            pass
    sock.close()
