"""--reuse-port: SO_REUSEPORT on the listening sockets."""

from __future__ import annotations

import socket

import pytest

from tests.helpers import free_port, server_process
from wsgiserver.errors import ConfigError
from wsgiserver.server import WSGIServer


def close(server: WSGIServer) -> None:
    server.loop.close()
    for sock in server.sockets:
        sock.close()


def test_reuse_port_lets_two_servers_bind_one_port():
    port = free_port()
    first = WSGIServer(None, bind=[f"127.0.0.1:{port}"], static_root=None, reuse_port=True)
    try:
        assert first.sockets[0].getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
        second = WSGIServer(None, bind=[f"127.0.0.1:{port}"], static_root=None,
                            reuse_port=True)
        assert second.port == first.port == port
        close(second)
    finally:
        close(first)


def test_without_reuse_port_the_second_bind_fails():
    port = free_port()
    first = WSGIServer(None, bind=[f"127.0.0.1:{port}"], static_root=None)
    try:
        assert first.sockets[0].getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 0
        with pytest.raises(ConfigError, match="cannot listen on"):
            WSGIServer(None, bind=[f"127.0.0.1:{port}"], static_root=None)
    finally:
        close(first)


def test_two_servers_started_with_reuse_port_share_a_port(tmp_path):
    port = free_port()
    args = ["--reuse-port", "-b", f"127.0.0.1:{port}", "--static-root", str(tmp_path)]
    with server_process(args) as first, server_process(args) as second:
        for server in (first, second):
            assert server.wait_for_stderr(f"listening at http://127.0.0.1:{port}"), (
                server.stderr_text)
            assert server.proc.poll() is None
