"""The master's listening sockets, and how a HUP that changes --bind swaps them.

The master keeps every socket it may still need, by the address it listens
on (read from the socket itself, so sockets inherited by a USR2 upgrade
count, and `0.0.0.0:80`, `:80`, `unix:/run//a.sock` and `unix:/run/a.sock`
are the same address they are to the kernel). A HUP that changes --bind
keeps the socket of each address still wanted, so nothing on it is refused,
and binds the new addresses before anything else changes, so a bind error (a
port in use) fails the reload with the old set untouched. The dropped
sockets stay open here until the new workers all serve, since a reload whose
workers cannot boot returns to them; new workers close them right after
fork. So a dropped address is served by the old workers until they stop, and
refused from then on: never accepted by a socket nobody serves.
"""

from __future__ import annotations

import os
import socket
from typing import Optional

from ..errors import ConfigError
from ..net.listeners import bind_socket, parse_bind

Key = tuple  # ("unix", absolute path) or (family, numeric host, port)


class MasterSockets:
    """The listening sockets the workers serve (`current`) and the ones held back."""

    def __init__(self) -> None:
        self.current: list[socket.socket] = []
        self._held: list[socket.socket] = []  # every socket still open here, current too
        self._files: dict[socket.socket, tuple[int, int]] = {}  # a Unix socket's file

    def adopt(self, sockets: list[socket.socket]) -> None:
        """From now on the workers serve `sockets`."""
        self.current = list(sockets)
        for sock in sockets:
            if sock not in self._held:
                self._held.append(sock)
            if sock.family == socket.AF_UNIX and sock not in self._files:
                self._files[sock] = file_identity(sock.getsockname())

    def rebind(self, binds: list[str], backlog: int, reuse_port: bool) -> list[socket.socket]:
        """The sockets for `binds`: held ones reused, the others bound now; ConfigError
        (with nothing left open) if one cannot be bound."""
        chosen: list[socket.socket] = []
        fresh: list[socket.socket] = []
        try:
            for bind in binds:
                address = parse_bind(bind)
                sock = self._find(key_of_address(address))
                if sock is None:
                    sock = bind_socket(address, backlog, reuse_port)
                    fresh.append(sock)
                    self._held.append(sock)
                if sock not in chosen:
                    chosen.append(sock)
        except ConfigError:
            for sock in fresh:
                self._forget(sock)
                sock.close()
            raise
        return chosen

    def drop_unused(self, unlink: bool) -> None:
        """Close what the workers no longer serve (a reload has finished or failed)."""
        for sock in self._unused():
            self._close(sock, unlink)

    def forget_unused(self) -> None:
        """In a new worker: close its copies of the held-back sockets (the files stay)."""
        for sock in self._unused():
            sock.close()

    def close_all(self, unlink: bool) -> None:
        for sock in list(self._held):  # the current ones too: adopt() holds every one
            self._close(sock, unlink)
        self.current = []

    def _find(self, key: Key) -> Optional[socket.socket]:
        for sock in self._held:
            if sock.fileno() != -1 and key_of_socket(sock) == key:
                return sock
        return None

    def _unused(self) -> list[socket.socket]:
        return [sock for sock in self._held if sock not in self.current]

    def _close(self, sock: socket.socket, unlink: bool) -> None:
        identity = self._files.get(sock)
        if unlink and identity is not None and sock.fileno() != -1:
            remove_socket_file(sock.getsockname(), identity)
        self._forget(sock)
        sock.close()

    def _forget(self, sock: socket.socket) -> None:
        if sock in self._held:
            self._held.remove(sock)
        self._files.pop(sock, None)


def key_of_socket(sock: socket.socket) -> Key:
    name = sock.getsockname()
    if sock.family == socket.AF_UNIX:
        return ("unix", normal_path(name))
    return (sock.family, name[0], name[1])


def key_of_address(address: tuple) -> Key:
    """The key a socket bound to `address` (from parse_bind) would have; a host name is
    resolved as bind() would resolve it."""
    if address[0] == "unix":
        return ("unix", normal_path(address[1]))
    family, host, port = address
    try:
        resolved = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
    except OSError:
        return address  # bind_socket will say what is wrong with it
    return (family, resolved[0][4][0], port)


def normal_path(path: object) -> str:
    text = path.decode() if isinstance(path, bytes) else str(path)
    return os.path.realpath(text)  # /var/run/a.sock and /run/a.sock are one file


def file_identity(path: object) -> tuple[int, int]:
    """(device, inode) of a Unix socket's file; (0, 0) for an abstract or missing one."""
    try:
        stat = os.stat(path)  # type: ignore[arg-type]
    except (OSError, TypeError, ValueError):
        return (0, 0)
    return (stat.st_dev, stat.st_ino)


def remove_socket_file(path: object, identity: tuple[int, int]) -> None:
    """Unlink a Unix socket's file, unless another socket has been bound there since."""
    if identity != (0, 0) and file_identity(path) == identity:
        try:
            os.unlink(path)  # type: ignore[arg-type]
        except OSError:
            pass

