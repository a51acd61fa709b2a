"""--limit-per-client against one address that opens 3,000 connections (issue 12).

    python bench/client_caps.py

Opens 3,000 loopback connections from 127.0.0.1 to a live server whose cap is
on for loopback (forwarded_allow_ips=""), then asks from 127.0.0.2 whether the
server still answers; prints how many connections it holds. Also times one
ClientCaps acquire + release. Bounded: 3,000 sockets, all closed at the end.
"""

from __future__ import annotations

import os
import resource
import socket
import sys
import time
import timeit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from wsgiserver.net.caps import ClientCaps  # noqa: E402
from wsgiserver.testing import live_server  # noqa: E402

ATTACK = 3000


def app(environ, start_response):
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]


def flood() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192))
    with live_server(app, forwarded_allow_ips="") as server:
        socks = []
        try:
            for _ in range(ATTACK):
                sock = socket.socket()
                sock.bind(("127.0.0.1", 0))
                sock.connect((server.host, server.port))
                socks.append(sock)
            time.sleep(1.0)
            held = len(server.server.connections)
            with socket.socket() as other:
                other.bind(("127.0.0.2", 0))
                other.settimeout(5)
                other.connect((server.host, server.port))
                other.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                answer = other.recv(100)[:15]
        finally:
            for sock in socks:
                sock.close()
    print(f"{ATTACK} connections from 127.0.0.1: server holds {held}; "
          f"127.0.0.2 got {answer!r}")


def cost() -> None:
    caps, peer, count = ClientCaps(128, {"10.0.0.1"}), ("192.0.2.7", 4242), 1_000_000
    spent = timeit.timeit(lambda: (caps.acquire(peer), caps.release(peer)), number=count)
    base = timeit.timeit(lambda: (None, None), number=count)
    print(f"acquire + release: {(spent - base) / count * 1e9:.0f} ns per connection")


if __name__ == "__main__":
    flood()
    cost()
