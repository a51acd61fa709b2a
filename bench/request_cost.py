"""CPU time of the server's Python code per request, with no socket I/O.

A fake socket hands the channel the same small GET again and again; the
channel parses it, runs the app (inline) or the static task, and "sends"
the response. The best of 5 batches of CPU time is reported, so the figure
says how much Python runs per request, not how fast the kernel is.

    python bench/request_cost.py              # /hello through apps.hello
    python bench/request_cost.py /index.html  # a small static file
    python bench/request_cost.py --profile    # and a cProfile listing
    python bench/request_cost.py --statsd     # with statsd on (a local UDP sink)
    python bench/request_cost.py --metrics    # with --metrics-bind's per-request record
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import socket
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from apps.hello import application  # noqa: E402
from wsgiserver.net.connection import Connection  # noqa: E402
from wsgiserver.server import WSGIServer  # noqa: E402


class FakeSocket:
    """recv() always returns one request; send() takes everything."""

    def __init__(self, request: bytes) -> None:
        self.request = request

    def fileno(self) -> int:
        return 99

    def recv(self, size: int) -> bytes:
        return self.request

    def send(self, data, flags: int = 0) -> int:
        return len(data)

    def sendmsg(self, buffers, ancdata=(), flags: int = 0) -> int:
        return sum(len(b) for b in buffers)

    def close(self) -> None:
        pass


def make_channel(path: str, **options) -> Connection:
    server = WSGIServer(application, bind=["127.0.0.1:0"], threads=0,
                        static_root=os.path.join(REPO, "html"), **options)
    server._start_metrics()  # the observers serve_forever would add (none by default)
    server.loop.modify = lambda fd, mask: None  # the fake fd is not in epoll
    request = b"GET %s HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: wrk\r\n\r\n" % (
        path.encode())
    return Connection(server, FakeSocket(request), ("127.0.0.1", 5555))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cost_per_request(channel: Connection, count: int) -> float:
    """Best of 5 batches, in CPU seconds per request."""
    for _ in range(count // 50):
        channel._read()  # warm the caches, as a running server has them
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for _ in range(count // 5):
            channel._read()
        best = min(best, (time.process_time() - start) / (count // 5))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default="/hello")
    parser.add_argument("-n", "--requests", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--statsd", action="store_true",
                        help="send statsd to a local UDP socket that never reads")
    parser.add_argument("--metrics", action="store_true",
                        help="record the stats --metrics-bind serves")
    args = parser.parse_args()
    options = {}
    if args.statsd:
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sink.bind(("127.0.0.1", 0))
        options["statsd_host"] = f"127.0.0.1:{sink.getsockname()[1]}"
    if args.metrics:
        options["metrics_bind"] = f"127.0.0.1:{free_port()}"
    channel = make_channel(args.path, **options)
    micros = cost_per_request(channel, args.requests) * 1e6
    print(f"{args.path}: {micros:.2f} us of CPU per request (Python only, best of 5)")
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(lambda: [channel._read() for _ in range(args.requests // 5)])
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
