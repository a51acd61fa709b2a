"""Issue 12 benchmark: slowloris against our server and gunicorn, side by side.

    python bench/slowloris.py [--attackers 200] [--interval 2] [--hold 40] [-d 5]

For each server (ours with default settings, ``gunicorn -k gthread --threads 4
-w 1``), started pinned to core 0:

1. wrk (``--latency``, keep-alive, core 1) asks for ``/hello``: p99 without attack;
2. ``--attackers`` connections send a request head one byte every ``--interval``
   seconds, never finishing it, from the loopback addresses 127.0.0.2..127.0.0.9
   in turn (``--sources``), so no one address holds more than its share; they
   never reconnect once the server closes them;
3. after a few seconds, wrk again: p99 under attack;
4. ``--hold`` seconds after the attack began (default 40 = 4 x our default
   --header-timeout of 10 s), how many attack connections the server still holds.

The attack runs in this process (pinned to core 1 with wrk), one thread, one
selector; every wait is bounded.
"""

from __future__ import annotations

import argparse
import os
import selectors
import socket
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

APP = "apps.hello:application"
HEAD = b"GET /hello HTTP/1.1\r\nHost: bench\r\nUser-Agent: slowloris\r\nX-Pad: " + b"a" * 4000
SERVERS = ["ours", "gunicorn"]


@dataclass
class Figures:
    server: str
    p99_quiet_ms: float
    p99_attack_ms: float
    rps_quiet: float
    rps_attack: float
    answered_attack: int  # requests wrk got answered under attack (0: p99 means nothing)
    errors_attack: int
    opened: int
    held_at_end: int
    failed: bool = False  # for common.main_wrapper: a server error raises instead


class Slowloris:
    """Attack connections dribbling a head; counts the ones the server still holds."""

    def __init__(self, port: int, count: int, interval: float, sources: list[str]) -> None:
        self.port, self.count, self.interval, self.sources = port, count, interval, sources
        self.selector = selectors.DefaultSelector()
        self.sent: dict[socket.socket, int] = {}
        self.open: set[socket.socket] = set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="slowloris", daemon=True)

    def start(self) -> None:
        for index in range(self.count):
            sock = socket.socket()
            sock.bind((self.sources[index % len(self.sources)], 0))
            sock.settimeout(5)
            try:
                sock.connect((common.HOST, self.port))
            except OSError:
                sock.close()
                continue
            sock.setblocking(False)
            self.sent[sock] = 0
            self.open.add(sock)
            self.selector.register(sock, selectors.EVENT_READ)
        self.opened = len(self.open)
        self.thread.start()

    def _run(self) -> None:
        next_send = time.monotonic()
        while not self.stop.is_set():
            timeout = max(0.0, next_send - time.monotonic())
            for key, _ in self.selector.select(min(timeout, 0.2)):
                self._on_readable(key.fileobj)
            if time.monotonic() >= next_send:
                next_send += self.interval
                for sock in list(self.open):
                    self._send_byte(sock)

    def _on_readable(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._closed(sock)

    def _send_byte(self, sock: socket.socket) -> None:
        position = self.sent[sock] % len(HEAD)
        try:
            sock.send(HEAD[position:position + 1])
            self.sent[sock] += 1
        except BlockingIOError:
            pass
        except OSError:
            self._closed(sock)

    def _closed(self, sock: socket.socket) -> None:
        if sock in self.open:
            self.open.discard(sock)
            self.selector.unregister(sock)

    @property
    def held(self) -> int:
        return len(self.open)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        for sock in self.sent:
            sock.close()
        self.selector.close()


def measure(spec: common.ServerSpec, opts: argparse.Namespace) -> Figures:
    target = common.Target("hello", "/hello", expect_length=len(b"Hello, World!\n"))
    with common.running_server(spec, opts.server_cpu, "slowloris", opts.start_timeout) as server:
        url = f"http://{common.HOST}:{server.port}/hello"
        common.check_target(server, target)
        quiet = common.run_wrk(url, opts, opts.duration)
        attack = Slowloris(server.port, opts.attackers, opts.interval, opts.sources)
        started = time.monotonic()
        attack.start()
        try:
            time.sleep(min(2.0, opts.hold / 4))
            under = common.run_wrk(url, opts, opts.duration)
            time.sleep(max(0.0, started + opts.hold - time.monotonic()))
            held = attack.held
            server.check_alive("after the attack")
        finally:
            attack.close()
    print(f"[bench] {spec.name}: held {held} of {attack.opened} after {opts.hold:g}s; "
          f"p99 {quiet.latency_ms.get('p99')} ms quiet, {under.latency_ms.get('p99')} ms "
          f"attacked ({under.errors} errors: {under.socket_errors})", flush=True)
    return Figures(spec.name, quiet.latency_ms.get("p99", float("nan")),
                   under.latency_ms.get("p99", float("nan")), quiet.requests_per_sec,
                   under.requests_per_sec, under.requests, under.errors, attack.opened, held)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.add_common_args(parser)
    parser.set_defaults(duration=5, connections=10)
    parser.add_argument("--servers", type=common.selection(SERVERS), default=SERVERS)
    parser.add_argument("--attackers", type=int, default=200, help="attack connections")
    parser.add_argument("--interval", type=float, default=2.0,
                        help="seconds between one attack byte and the next (default 2)")
    parser.add_argument("--hold", type=float, default=40.0,
                        help="seconds after the attack began to count held connections")
    parser.add_argument("--sources", type=lambda text: text.split(","),
                        default=[f"127.0.0.{n}" for n in range(2, 10)],
                        help="comma-separated loopback source addresses of the attack")
    parser.add_argument("--server-args", default="",
                        help="extra options for our server, e.g. '--header-timeout 0'")
    return parser


def report(figures: list[Figures], opts: argparse.Namespace, specs: list) -> None:
    print(f"\nslowloris: {opts.attackers} connections from {','.join(opts.sources)}, one "
          f"head byte every {opts.interval:g}s; wrk -c{opts.connections} -d{opts.duration}s "
          f"--latency /hello; held = still open {opts.hold:g}s after the attack began")
    for spec in specs:
        print(f"  {spec.name}: {common.command_line(spec)}")
    print("| server | held / opened | p99 quiet (ms) | p99 attacked (ms) | req/s quiet "
          "| req/s attacked | wrk errors attacked |")
    print("|---|---|---|---|---|---|---|")
    for f in figures:
        attacked = f"{f.p99_attack_ms:.2f}" if f.answered_attack else "none answered"
        print(f"| {f.server} | {f.held_at_end} / {f.opened} | {f.p99_quiet_ms:.2f} | "
              f"{attacked} | {f.rps_quiet:.0f} | {f.rps_attack:.0f} | "
              f"{f.errors_attack} |")


def run(argv: Optional[list[str]] = None) -> list[Figures]:
    opts = build_parser().parse_args(argv)
    common.prepare(opts)
    if opts.wrk_cpu is not None:
        os.sched_setaffinity(0, {opts.wrk_cpu})  # the attack shares wrk's core
    if "gunicorn" in opts.servers:
        common.ensure_pip("gunicorn", "gunicorn")
    specs = {"ours": common.ours_spec("ours", APP, tuple(opts.server_args.split())),
             "gunicorn": common.gunicorn_spec("gunicorn", APP, 4)}
    chosen = [specs[name] for name in opts.servers]
    figures = [measure(spec, opts) for spec in chosen]
    report(figures, opts, chosen)
    return figures


if __name__ == "__main__":
    sys.exit(common.main_wrapper(run, None))
