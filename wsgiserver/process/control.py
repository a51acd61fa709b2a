"""The control socket: `wsgiserver ctl` talks to the master over a unix socket.

The protocol is one JSON line each way per request:

    → {"command": ["show", "workers"]}
    ← {"ok": true, "data": {...}}     or     {"ok": false, "error": "one line"}

A line, not gunicorn's length prefix, so `socat - UNIX-CONNECT:PATH` is a
client too. The socket is created under a umask that leaves it no wider than
--control-socket-mode from the first instant (bind() creates the file, and a
chmod after it would leave a window), and every peer's uid is checked with
SO_PEERCRED as well, so a mode set too wide or a socket passed on by
another process still answers only its owner (and root). The server is a
daemon thread in the master that serves one client at a time: control
traffic is a person typing, and a stuck client is dropped after TIMEOUT.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
import struct
import threading
from typing import Any, Callable, Optional

from ..errors import ConfigError
from .commands import CommandError, Commands

error_log = logging.getLogger("wsgiserver.error")

MAX_LINE = 64 * 1024  # a request is a few words; an answer a few KiB per worker
TIMEOUT = 5.0  # seconds a client may take to send its line or read its answer
_UCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid


def encode(message: dict) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def read_line(sock: socket.socket, limit: int = MAX_LINE) -> Optional[bytes]:
    """One line off the socket (without its newline); None if the peer closed first."""
    data = bytearray()
    while b"\n" not in data:
        if len(data) > limit:
            raise ValueError(f"a line over {limit} bytes")
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    return bytes(data[:data.index(b"\n")])


def peer_allowed(uid: int, gid: int, mode: int) -> bool:
    """Whether a peer with this uid/gid may talk to a socket of this mode owned by us."""
    if uid in (0, os.geteuid()):
        return True
    if mode & 0o060 == 0o060 and gid == os.getegid():
        return True
    return mode & 0o006 == 0o006


def peer_credentials(sock: socket.socket) -> tuple[int, int, int]:
    """(pid, uid, gid) of the process at the other end of a unix socket."""
    return _UCRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size))


def bind_control_socket(path: str, mode: int) -> socket.socket:
    """A listening unix socket at path, never wider than mode, even for an instant."""
    _clear_stale(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    previous = os.umask(0o777 & ~mode)
    try:
        sock.bind(path)
    except OSError as error:
        sock.close()
        raise ConfigError(f"--control-socket {path}: {error.strerror}") from None
    finally:
        os.umask(previous)
    os.chmod(path, mode)  # narrower than the umask allowed is fine; this only names it
    sock.listen(16)
    return sock


def _clear_stale(path: str) -> None:
    """Remove a socket left by a master that died; refuse to steal a live one."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        raise ConfigError(f"--control-socket {path}: exists and is not a socket")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except OSError:
        os.unlink(path)  # nobody listens: left behind
        return
    finally:
        probe.close()
    raise ConfigError(f"--control-socket {path}: another server is listening there")


class ControlServer:
    """A service of the master (start(arbiter), stop()): answers `wsgiserver ctl`."""

    def __init__(self, path: str, mode: int = 0o600,
                 commands: Optional[Callable[[Any], Commands]] = None) -> None:
        self.path = path
        self.mode = mode
        self._make_commands = commands or Commands
        self._sock: Optional[socket.socket] = None
        self._thread: Optional[threading.Thread] = None
        self._commands: Optional[Commands] = None

    def start(self, arbiter: Any) -> None:
        self._commands = self._make_commands(arbiter)
        self._sock = bind_control_socket(self.path, self.mode)
        self._thread = threading.Thread(target=self._serve, name="wsgiserver-control",
                                        daemon=True)
        self._thread.start()
        error_log.info("control socket at %s (mode %04o)", self.path, self.mode)

    def after_fork(self) -> None:
        """In a new worker: close its copy of the listening socket (never unlink the
        master's path), or a ctl client could queue on a worker that never answers,
        and a worker outliving its master would make the socket look live."""
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def stop(self) -> None:
        sock, self._sock = self._sock, None
        if sock is None:
            return
        try:
            sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        except OSError:
            pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(TIMEOUT + 1)
        sock.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def _serve(self) -> None:
        while self._sock is not None:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return  # stop() shut the socket down
            with client:
                try:
                    self._answer(client)
                except (OSError, ValueError) as error:
                    error_log.debug("control client dropped: %s", error)

    def _answer(self, client: socket.socket) -> None:
        client.settimeout(TIMEOUT)
        _, uid, gid = peer_credentials(client)
        allowed = peer_allowed(uid, gid, self.mode)
        while True:
            line = read_line(client)  # read first, so the refusal is an answer, not EPIPE
            if line is None:
                return
            if not allowed:
                error_log.warning("control socket: refused a client with uid %d", uid)
                client.sendall(encode({"ok": False, "error": "permission denied"}))
                return
            client.sendall(encode(self.handle(line)))

    def handle(self, line: bytes) -> dict:
        """One request line → one answer (never raises: a bad request is an answer too)."""
        try:
            request = json.loads(line)
            words = request["command"]
            if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                raise TypeError
        except (ValueError, TypeError, KeyError):
            return {"ok": False, "error": 'expected {"command": ["word", ...]}'}
        try:
            return {"ok": True, "data": self._commands.run(words)}
        except CommandError as error:
            return {"ok": False, "error": str(error)}
        except Exception:  # a bug of ours must not kill the control thread
            error_log.exception("control command %s failed", " ".join(words))
            return {"ok": False, "error": "internal error (see the server's log)"}
