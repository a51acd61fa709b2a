"""Start-up time: from the command to the first answered request, ours vs gunicorn.

    python bench/startup.py [--runs 10] [--workers 2]

Each server (ours: ``-w N``; gunicorn: ``-k gthread --threads 4 -w N``) serves
``apps.hello:application``, pinned to core 0, and is started ``--runs`` times,
alternating with its peer. The script, on core 1, tries a GET on a fresh connection
every 5 ms from the moment it started the command and notes when the first 200
arrives; then the server is stopped (common.RunningServer.stop: SIGTERM to its
process group, then SIGKILL to what is left). Reported: the median and the range,
and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Optional

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

APP = "apps.hello:application"
POLL = 0.005
LIMIT = 30.0  # seconds a server gets to answer its first request


def first_answer(port: int, started: float) -> Optional[float]:
    """Seconds from `started` to the first 200 on 127.0.0.1:`port` (None: not in LIMIT)."""
    while time.monotonic() - started < LIMIT:
        conn = http.client.HTTPConnection(common.HOST, port, timeout=1)
        try:
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                return time.monotonic() - started
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(POLL)
    return None


def one_start(spec: common.ServerSpec, cpu: Optional[int]) -> Optional[float]:
    common.LOG_DIR.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    server = common.RunningServer(spec, common.free_port(), cpu,
                                  common.LOG_DIR / f"startup-{spec.name}.log")
    try:
        return first_answer(server.port, started)
    finally:
        server.stop()


def summary(times: list[Optional[float]]) -> str:
    done = [t for t in times if t is not None]
    if not done:
        return "never answered"
    failed = len(times) - len(done)
    return (f"median {statistics.median(done):.3f} s (min {min(done):.3f}, "
            f"max {max(done):.3f}){f', {failed} never answered' if failed else ''}")


def run(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="starts per server (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="workers (default 2)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin to cores")
    opts = parser.parse_args(argv)
    if not opts.no_pin:
        os.sched_setaffinity(0, {1})  # the poller: the other core than the servers
    cpu = None if opts.no_pin else 0
    specs = {"ours": common.ours_spec("ours", APP, ("-w", str(opts.workers))),
             "gunicorn": common.gunicorn_spec("gunicorn", APP, 4, opts.workers)}
    times: dict[str, list[Optional[float]]] = {name: [] for name in specs}
    for _ in range(opts.runs):
        for name, spec in specs.items():
            times[name].append(one_start(spec, cpu))
    print(f"python bench/startup.py --runs {opts.runs} --workers {opts.workers}")
    for name, spec in specs.items():
        print(f"{name:9} {summary(times[name])}   {common.command_line(spec)}")
    ours = [t for t in times["ours"] if t is not None]
    theirs = [t for t in times["gunicorn"] if t is not None]
    if ours and theirs:
        print(f"ours / gunicorn (median start-up time): "
              f"{statistics.median(ours) / statistics.median(theirs):.2f}")
    return 0 if all(t is not None for ts in times.values() for t in ts) else 1


if __name__ == "__main__":
    sys.exit(run())
