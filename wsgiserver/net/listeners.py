"""Listening sockets: parsing bind addresses, binding them, accepting clients."""

from __future__ import annotations

import errno
import logging
import os
import select
import socket
import stat
from typing import Callable

from ..errors import ConfigError
from .loop import IN

error_log = logging.getLogger("wsgiserver.error")


def parse_bind(text: str) -> tuple:
    """('unix', path) or (family, host, port) from HOST:PORT, [V6]:PORT or unix:PATH."""
    if text.startswith("unix:"):
        return ("unix", text[5:])
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
        if not sep:
            raise ConfigError(f"invalid bind address {text!r}: expected [HOST]:PORT")
        return (socket.AF_INET6, host, _port(port, text))
    host, sep, port = text.rpartition(":")
    if not sep:
        return (socket.AF_INET, text, 8000)
    return (socket.AF_INET, host or "0.0.0.0", _port(port, text))


def _port(text: str, bind: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise ConfigError(f"invalid port in bind address {bind!r}")
    return int(text)


def bind_socket(address: tuple, backlog: int, reuse_port: bool = False) -> socket.socket:
    """A listening socket; `reuse_port` sets SO_REUSEPORT (TCP only), so processes that
    all set it may bind the same port and the kernel spreads connections among them."""
    try:
        sock = (_unix_socket(address[1]) if address[0] == "unix"
                else _inet_socket(*address, reuse_port=reuse_port))
    except OSError as error:
        raise ConfigError(f"cannot listen on {format_address(address)}: "
                          f"{_describe(error)}") from None
    sock.listen(backlog)
    sock.setblocking(False)
    return sock


def _inet_socket(family: int, host: str, port: int, reuse_port: bool = False) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _unix_socket(path: str) -> socket.socket:
    if os.path.exists(path) and stat.S_ISSOCK(os.stat(path).st_mode):
        os.unlink(path)  # a stale socket left by a previous run
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
    except OSError:
        sock.close()
        raise
    return sock


def _describe(error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return "address already in use (is another server running on that port?)"
    if error.errno == errno.EACCES:
        return "permission denied (ports below 1024 need root)"
    return error.strerror or str(error)


def format_address(address: tuple) -> str:
    if address[0] == "unix":
        return f"unix:{address[1]}"
    family, host, port = address
    return f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"


def url_for(sock: socket.socket) -> str:
    """The URL a person would open for a bound socket."""
    if sock.family == socket.AF_UNIX:
        return f"unix:{sock.getsockname()}"
    host, port = sock.getsockname()[:2]
    if sock.family == socket.AF_INET6:
        host = f"[{host}]"
    return f"http://{host}:{port}"


class Listener:
    """A listening socket in the loop: accepts clients and hands them on."""

    def __init__(self, sock: socket.socket, on_client: Callable) -> None:
        self.sock = sock
        self.on_client = on_client
        self.paused = False  # out of epoll while the server holds its most connections

    def on_events(self, events: int) -> None:
        self.accept(64)  # bounded, so reading clients are not starved

    def accept(self, limit: int, even_paused: bool = False) -> None:
        """Accept up to `limit` waiting clients; stops early once paused (the server
        reached --worker-connections), unless `even_paused` (draining at stop)."""
        for _ in range(limit):
            if self.paused and not even_paused:
                return
            try:
                client, addr = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:
                self._back_off(error)
                return
            client.setblocking(False)
            if client.family != socket.AF_UNIX:
                client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.on_client(client, addr)

    def _back_off(self, error: OSError) -> None:
        # Out of file descriptors (EMFILE/ENFILE) and the like: the listening
        # socket stays readable, so a level-triggered loop would spin. Stop
        # listening until the next tick, when connections may have closed.
        error_log.error("accept() failed: %s; pausing accepts for a moment", error)
        self.loop.unregister(self.sock.fileno())
        self.loop.call_later_tick(self._resume)

    def _resume(self, now: float = 0.0) -> None:
        if (not self.paused and self.sock.fileno() >= 0
                and self.sock.fileno() not in self.loop.handlers):
            self.loop.register(self.sock.fileno(), self.mask, self)

    def pause(self) -> None:
        """Stop accepting: new clients wait in the kernel's backlog."""
        if not self.paused:
            self.paused = True
            self.loop.unregister(self.sock.fileno())

    def resume(self) -> None:
        if self.paused:
            self.paused = False
            self._resume()

    def start(self, loop, exclusive: bool = False) -> None:
        self.loop = loop
        self.mask = IN | select.EPOLLEXCLUSIVE if exclusive else IN
        loop.register(self.sock.fileno(), self.mask, self)

    def close(self, loop, unlink: bool = True) -> None:
        loop.unregister(self.sock.fileno())
        if unlink and self.sock.family == socket.AF_UNIX:
            path = self.sock.getsockname()
            if path and os.path.exists(path):
                os.unlink(path)
        self.sock.close()
