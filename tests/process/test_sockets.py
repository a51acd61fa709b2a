"""MasterSockets: a HUP's --bind change keeps, binds and drops listening sockets."""

from __future__ import annotations

import socket

import pytest

from tests.helpers import free_port
from wsgiserver.errors import ConfigError
from wsgiserver.process.sockets import MasterSockets


def address() -> str:
    return f"127.0.0.1:{free_port()}"


def started(*binds: str) -> MasterSockets:
    held = MasterSockets()
    held.adopt(held.rebind(list(binds), 16, False), list(binds))
    return held


def is_open(sock: socket.socket) -> bool:
    return sock.fileno() != -1


def test_an_address_still_wanted_keeps_its_socket_and_a_new_one_is_bound():
    a, b = address(), address()
    held = started(a)
    [first] = held.current
    kept, new = held.rebind([a, b], 16, False)
    assert kept is first
    assert new.getsockname() == ("127.0.0.1", int(b.rsplit(":", 1)[1]))
    held.close_all(unlink=True)


def test_a_dropped_socket_stays_open_until_drop_unused():
    a, b = address(), address()
    held = started(a)
    [old] = held.current
    held.adopt(held.rebind([b], 16, False), [b])
    assert is_open(old)  # a failed reload may come back to it
    held.drop_unused(unlink=True)
    assert not is_open(old) and is_open(held.current[0])
    held.close_all(unlink=True)


def test_going_back_reuses_the_held_socket():
    a, b = address(), address()
    held = started(a)
    [old] = held.current
    held.adopt(held.rebind([b], 16, False), [b])
    assert held.rebind([a], 16, False) == [old]  # not bound again: it is ours
    held.close_all(unlink=True)


def test_an_address_in_use_fails_and_leaves_nothing_new_open():
    a, b = address(), address()
    held = started(a)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        busy = f"127.0.0.1:{taken.getsockname()[1]}"
        with pytest.raises(ConfigError, match="cannot listen on"):
            held.rebind([a, b, busy], 16, False)
        held.drop_unused(unlink=True)
        with socket.create_server(("127.0.0.1", int(b.rsplit(":", 1)[1]))):
            pass  # b was closed again: free to bind
    assert is_open(held.current[0])
    held.close_all(unlink=True)


def test_forget_unused_closes_only_the_held_back_sockets():
    a, b = address(), address()
    held = started(a)
    [old] = held.current
    held.adopt(held.rebind([b], 16, False), [b])
    held.forget_unused()  # as in a new worker
    assert not is_open(old) and is_open(held.current[0])
    held.close_all(unlink=True)


def test_a_unix_socket_file_is_removed_when_dropped(tmp_path):
    path = tmp_path / "app.sock"
    held = started(f"unix:{path}")
    other = address()
    held.adopt(held.rebind([other], 16, False), [other])
    held.drop_unused(unlink=True)
    assert not path.exists()
    held.close_all(unlink=True)
