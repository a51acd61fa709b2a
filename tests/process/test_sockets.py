"""MasterSockets: a HUP's --bind change keeps, binds and drops listening sockets."""

from __future__ import annotations

import socket

import pytest

from tests.helpers import free_port
from wsgiserver.errors import ConfigError
from wsgiserver.net.listeners import bind_socket, parse_bind
from wsgiserver.process.sockets import MasterSockets


def address() -> str:
    return f"127.0.0.1:{free_port()}"


def port_of(bind: str) -> int:
    return int(bind.rsplit(":", 1)[1])


def started(*binds: str) -> MasterSockets:
    held = MasterSockets()
    held.adopt(held.rebind(list(binds), 16, False))
    return held


def switch(held: MasterSockets, *binds: str) -> list[socket.socket]:
    sockets = held.rebind(list(binds), 16, False)
    held.adopt(sockets)
    return sockets


def is_open(sock: socket.socket) -> bool:
    return sock.fileno() != -1


def can_bind(port: int) -> bool:
    try:
        with socket.create_server(("127.0.0.1", port)):
            return True
    except OSError:
        return False


@pytest.fixture
def held():
    sockets = MasterSockets()
    yield sockets
    sockets.close_all(unlink=True)


def test_an_address_still_wanted_keeps_its_socket_and_a_new_one_is_bound(held):
    a, b = address(), address()
    [first] = switch(held, a)
    kept, new = held.rebind([a, b], 16, False)
    assert kept is first
    assert new.getsockname() == ("127.0.0.1", port_of(b))


def test_the_same_address_spelled_another_way_is_the_same_socket(held):
    port = free_port()
    [anywhere] = switch(held, f"0.0.0.0:{port}")
    assert held.rebind([f":{port}"], 16, False) == [anywhere]
    other = free_port()
    [loopback] = switch(held, f"127.0.0.1:{other}")
    assert held.rebind([f"localhost:{other}"], 16, False) == [loopback]  # resolved


def test_a_dropped_socket_stays_open_until_drop_unused(held):
    a, b = address(), address()
    [old] = switch(held, a)
    switch(held, b)
    assert is_open(old)  # a failed reload may come back to it
    held.drop_unused(unlink=True)
    assert not is_open(old) and is_open(held.current[0])


def test_going_back_reuses_the_held_socket(held):
    a, b = address(), address()
    [old] = switch(held, a)
    switch(held, b)
    assert held.rebind([a], 16, False) == [old]  # not bound again: it is ours


def test_an_address_in_use_fails_and_leaves_nothing_new_open(held):
    a, b = address(), address()
    switch(held, a)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        busy = f"127.0.0.1:{taken.getsockname()[1]}"
        with pytest.raises(ConfigError, match="cannot listen on"):
            held.rebind([a, b, busy], 16, False)
    assert can_bind(port_of(b))  # closed again at once, without drop_unused
    assert is_open(held.current[0])
    assert held.rebind([b], 16, False)[0].getsockname()[1] == port_of(b)  # not a stale one


def test_forget_unused_closes_only_the_held_back_sockets(held):
    a, b = address(), address()
    [old] = switch(held, a)
    switch(held, b)
    held.forget_unused()  # as in a new worker
    assert not is_open(old) and is_open(held.current[0])


def test_inherited_sockets_are_known_by_their_own_address(held):
    """A USR2 upgrade's master adopts sockets it did not bind, whatever --bind says."""
    a, b, c = address(), address(), address()
    inherited = [bind_socket(parse_bind(x), 16) for x in (a, b)]
    held.adopt(inherited)
    kept, new = switch(held, a, c)
    assert kept is inherited[0] and new not in inherited
    held.drop_unused(unlink=True)
    assert not is_open(inherited[1]) and can_bind(port_of(b))


def test_a_unix_socket_file_is_removed_when_dropped(held, tmp_path):
    path = tmp_path / "app.sock"
    switch(held, f"unix:{path}")
    switch(held, address())
    held.drop_unused(unlink=True)
    assert not path.exists()


def test_a_unix_path_spelled_another_way_keeps_its_socket_and_file(held, tmp_path):
    path = tmp_path / "app.sock"
    [first] = switch(held, f"unix:{path}")
    assert switch(held, f"unix:{tmp_path}//./app.sock") == [first]
    held.drop_unused(unlink=True)
    assert path.exists() and is_open(first)


def test_a_socket_file_bound_anew_by_another_is_not_removed(held, tmp_path):
    path = tmp_path / "app.sock"
    switch(held, f"unix:{path}")
    switch(held, address())
    path.unlink()  # someone else took the name over since
    with socket.socket(socket.AF_UNIX) as other:
        other.bind(str(path))
        held.drop_unused(unlink=True)
        assert path.exists()


def test_two_sockets_on_one_address_are_both_dropped_and_closed(held):
    port = free_port()
    twins = [bind_socket(parse_bind(f"127.0.0.1:{port}"), 16, reuse_port=True)
             for _ in range(2)]  # --bind X --bind X --reuse-port
    held.adopt(twins)
    [kept] = switch(held, f"127.0.0.1:{port}")
    held.drop_unused(unlink=True)
    assert [is_open(sock) for sock in twins].count(True) == 1 and is_open(kept)
    held.close_all(unlink=True)
    assert not any(is_open(sock) for sock in twins)


def test_a_unix_path_through_a_symlink_is_the_same_socket(held, tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    [first] = switch(held, f"unix:{tmp_path / 'real' / 'app.sock'}")
    assert switch(held, f"unix:{tmp_path / 'link' / 'app.sock'}") == [first]
    held.drop_unused(unlink=True)
    assert (tmp_path / "real" / "app.sock").exists() and is_open(first)
