"""Channel output with a recording socket: which bytes go out in which call, with which flags."""

import os
import socket

import pytest

from wsgiserver.http.exchange import FileSegment
from wsgiserver.net.connection import Connection
from wsgiserver.server import WSGIServer


class RecordingSocket:
    def __init__(self):
        self.calls = []

    def fileno(self):
        return -1

    def send(self, data, flags=0):
        self.calls.append(("send", bytes(data), flags))
        return len(data)

    def sendmsg(self, buffers, ancdata=(), flags=0):
        self.calls.append(("sendmsg", b"".join(buffers), flags))
        return sum(len(b) for b in buffers)

    def close(self):
        pass


@pytest.fixture
def channel(monkeypatch):
    server = WSGIServer(None, bind=["127.0.0.1:0"], threads=0, static_root=None)
    server.loop.modify = lambda fd, mask: None  # the fake socket is not in epoll
    monkeypatch.setattr(os, "sendfile", lambda out_fd, in_fd, offset, count: count)
    yield Connection(server, RecordingSocket(), ("127.0.0.1", 1))
    server.loop.close()
    for sock in server.sockets:
        sock.close()


def test_a_head_before_file_bytes_is_sent_with_msg_more(channel):
    channel.send_file(b"HEAD", FileSegment(0, 0, 1000))
    assert channel.sock.calls == [("send", b"HEAD", socket.MSG_MORE)]
    assert not channel.output.items


def test_a_head_before_an_empty_segment_is_pushed_at_once(channel):
    # MSG_MORE with nothing after it would hold the head back (200 ms on Linux).
    channel.send_file(b"HEAD", FileSegment(0, 0, 0))
    assert channel.sock.calls == [("send", b"HEAD", 0)]


def test_plain_responses_never_carry_msg_more(channel):
    channel.send(b"HTTP/1.1 200 OK\r\n\r\nbody")
    assert channel.sock.calls == [("send", b"HTTP/1.1 200 OK\r\n\r\nbody", 0)]
