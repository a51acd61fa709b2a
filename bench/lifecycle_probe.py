"""bench/lifecycle.py's eyes: processes seen through /proc, a probe asking on fresh
connections which version and worker answer, and wrk running in the background."""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, TypeVar

from bench import common

T = TypeVar("T")

PATH = "/lifecycle"
PROBE_INTERVAL = 0.05


def parse_body(body: bytes) -> Optional[tuple[str, int]]:
    """``b"v1 1234"`` -> ("v1", 1234); None for anything else."""
    parts = body.split()
    if len(parts) != 2 or not parts[1].isdigit():
        return None
    return parts[0].decode("ascii", "replace"), int(parts[1])


# --------------------------------------------------------------------------- /proc

def parse_stat(text: str) -> tuple[str, int, int]:
    """(state, ppid, pgid) from the text of /proc/PID/stat (the name may hold ')')."""
    fields = text.rsplit(")", 1)[1].split()
    return fields[0], int(fields[1]), int(fields[2])


def process_table() -> dict[int, tuple[str, int, int]]:
    """pid -> (state, ppid, pgid) of every process, zombies left out."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = parse_stat(Path(entry.path, "stat").read_text())
        except (OSError, IndexError, ValueError):
            continue
        if stat[0] != "Z":
            table[int(entry.name)] = stat
    return table


def children(pid: int, table: Optional[dict[int, tuple[str, int, int]]] = None) -> list[int]:
    table = process_table() if table is None else table
    return sorted(p for p, (_, ppid, _) in table.items() if ppid == pid)


def group_members(pgid: int) -> list[int]:
    return sorted(p for p, (_, _, group) in process_table().items() if group == pgid)


def parent_of(pid: int) -> int:
    """The parent's pid, 0 if ``pid`` is gone (or a zombie)."""
    try:
        state, ppid, _ = parse_stat(Path(f"/proc/{pid}/stat").read_text())
    except (OSError, IndexError, ValueError):
        return 0
    return 0 if state == "Z" else ppid


def alive(pid: int) -> bool:
    return parent_of(pid) != 0


def wait_for(check: Callable[[], Optional[T]], timeout: float,
             interval: float = 0.05) -> Optional[T]:
    """Call ``check`` until it returns something truthy (returned) or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() >= deadline:
            return value or None
        time.sleep(interval)


def stop_pid(pid: int, timeout: float = 15) -> str:
    """SIGTERM a process that is not our child (a promoted new master), SIGKILL it
    if it lingers; what happened, for the notes."""
    if not alive(pid):
        return "already gone"
    os.kill(pid, signal.SIGTERM)
    if wait_for(lambda: not alive(pid), timeout):
        return "stopped by SIGTERM"
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    wait_for(lambda: not alive(pid), 5)
    return f"SIGKILLed after ignoring SIGTERM for {timeout:g}s"


def command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def processes_matching(text: str) -> list[str]:
    """``pid cmdline`` of each live process whose command line contains ``text``."""
    return [f"{pid} {command_of(pid)}" for pid in process_table()
            if pid != os.getpid() and text in command_of(pid)]


# --------------------------------------------------------------------------- probe and load

@dataclass
class Sample:
    """One probe request: when it was answered, with what (or why it failed)."""

    t: float
    version: str = ""
    pid: int = 0  # the worker's, from the body
    ppid: int = 0  # its parent then (its master), 0 if already gone
    error: str = ""


class Probe:
    """Asks for PATH every PROBE_INTERVAL on a fresh connection, in a thread; also
    notes every process of the server's process group it sees."""

    def __init__(self, port: int, pgid: int) -> None:
        self.port, self.pgid = port, pgid
        self.samples: list[Sample] = []
        self.group_seen: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="probe", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(PROBE_INTERVAL):
            self.samples.append(self.ask())
            self.group_seen.update(group_members(self.pgid))

    def ask(self) -> Sample:
        conn = http.client.HTTPConnection(common.HOST, self.port, timeout=2)
        try:
            conn.request("GET", PATH, headers={"Connection": "close"})
            resp = conn.getresponse()
            body = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            return Sample(time.monotonic(), error=type(exc).__name__)
        finally:
            conn.close()
        parsed = parse_body(body)
        if resp.status != 200 or parsed is None:
            return Sample(time.monotonic(), error=f"status {resp.status}")
        version, pid = parsed
        return Sample(time.monotonic(), version, pid, parent_of(pid))

    def first(self, since: float, test: Callable[[Sample], bool]) -> Optional[Sample]:
        return next((s for s in list(self.samples) if s.t >= since and test(s)), None)


def probe_errors(samples: list[Sample]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for sample in samples:
        if sample.error:
            counts[sample.error] = counts.get(sample.error, 0) + 1
    return counts


def new_code_summary(samples: list[Sample], signalled: float, new: str = "v2",
                     old: str = "v1") -> tuple[Optional[float], int]:
    """(seconds from the signal to the first ``new`` answer or None, ``old`` answers after it)."""
    first = next((s for s in samples if s.t >= signalled and s.version == new), None)
    if first is None:
        return None, 0
    return first.t - signalled, sum(1 for s in samples if s.t > first.t and s.version == old)


class Load:
    """The measured wrk run (common.run_wrk_measured), in a thread."""

    def __init__(self, server: common.RunningServer, opts: argparse.Namespace,
                 extra: tuple[str, ...]) -> None:
        self.url = f"http://{common.HOST}:{server.port}{PATH}"
        self.server, self.opts, self.extra = server, opts, extra
        self.result: Optional[common.WrkResult] = None
        self.failure: Optional[BaseException] = None
        self.started = 0.0
        self._thread = threading.Thread(target=self._run, name="wrk", daemon=True)

    def start(self) -> None:
        self.started = time.monotonic()
        self._thread.start()

    def _run(self) -> None:
        own, wall = time.process_time(), time.monotonic()
        try:
            result = common.run_wrk_measured(self.server, self.url, self.opts, self.extra)
        except BaseException as exc:  # handed to the main thread by join()
            self.failure = exc
            return
        # This script's own CPU (probe, /proc polling) is not other load.
        own = 100 * (time.process_time() - own) / (time.monotonic() - wall)
        result.other_cpu_pct = max(0.0, (result.other_cpu_pct or 0.0) - own)
        self.result = result

    def stop(self) -> None:
        """Interrupted: SIGINT our wrk (a child of this process, by pid), wait for it.
        (Not only while the thread is alive: a join() that KeyboardInterrupt broke
        can leave the thread marked as stopped.)"""
        for pid in children(os.getpid()):
            if command_of(pid).startswith("wrk ") and self.url in command_of(pid):
                try:
                    os.kill(pid, signal.SIGINT)
                except ProcessLookupError:
                    pass
        self._thread.join(10)

    def join(self) -> common.WrkResult:
        """Wait for wrk (bounded: run_wrk kills it after its duration + 30 s)."""
        self._thread.join(self.opts.duration + self.opts.wrk_timeout + 60)
        if self._thread.is_alive():
            raise common.ServerError("wrk thread did not finish")
        if self.failure is not None:
            raise common.ServerError(f"wrk: {self.failure}") from self.failure
        assert self.result is not None
        return self.result
