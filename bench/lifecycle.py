"""The master's lifecycle under load: HUP, TTIN/TTOU, USR2 + TERM and --max-requests,
our server vs gunicorn, counting failed requests.

    python bench/lifecycle.py [-d 10] [--scenarios hup,ttin-ttou,usr2,max-requests]
                              [--servers ours,gunicorn] [--modes keepalive,close]

Each server runs with two workers (ours: ``-w 2``; gunicorn: ``-k gthread --threads 4
-w 2``), pinned to core 0, on an app this script writes into a temporary folder
(the server's cwd and first on its PYTHONPATH) that answers ``v1 <worker pid>``.
wrk loads it for ``-d`` seconds from core 1 (keep-alive ``-c50 -t1``; ``--modes
close`` adds a run with ``Connection: close``). A probe, in this process on wrk's
core, asks every 50 ms on a fresh connection and notes the version and pid it gets.
About 2 s into the load each scenario does its operation:

- hup: the app file is rewritten to answer ``v2``, then SIGHUP to the master: the
  seconds from the signal until the probe first gets v2, and how often it still
  gets v1 after that (the probe goes on for at least 2 s more).
- ttin-ttou: SIGTTIN, wait until the master has 3 children, SIGTTOU, wait for 2.
- usr2: SIGUSR2, wait until a new master (a child of the old master with workers
  of its own) serves the probe, then SIGTERM to the old master; the load goes on,
  on the same port. The new master is stopped at the end, by its pid.
- max-requests: ``--max-requests 200 --max-requests-jitter 20`` for the whole run,
  no signal.

Reported per scenario, load mode and server: wrk's requests, socket errors by
kind and non-2xx/3xx responses; probe failures; the scenario's own timings.
Every wait is bounded; every process started is stopped (its process group,
and the USR2 new master by pid), and none may be left at the end.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Optional

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.lifecycle_probe import (
    PATH,
    Load,
    Probe,
    alive,
    children,
    group_members,
    new_code_summary,
    parent_of,
    probe_errors,
    process_table,
    processes_matching,
    stop_pid,
    wait_for,
)

APP_MODULE = "lifecycle_app"
APP = f"{APP_MODULE}:application"
SERVERS = ["ours", "gunicorn"]
SCENARIOS = ["hup", "ttin-ttou", "usr2", "max-requests"]
MODES = {"keepalive": (), "close": ("-H", "Connection: close")}
WORKERS = 2
THREADS = 4  # gunicorn's --threads; ours keeps its default
MAX_REQUESTS = ("--max-requests", "200", "--max-requests-jitter", "20")
ACTION_AT = 2.0  # seconds into the load
WATCH_AFTER_V2 = 2.0  # seconds the probe goes on after the first v2
WAIT = 30.0  # bound of every wait for the server to do something
OLD_MASTER_EXIT = 45.0  # graceful timeouts are 30 s
# The line each server logs when --max-requests retires a worker.
RECYCLE_LINE = {"ours": "wants replacing", "gunicorn": "Autorestarting worker"}

APP_SOURCE = '''"""Written by bench/lifecycle.py: answers its version and the worker's pid."""
import os

VERSION = {version!r}
# Tells bench/lifecycle.py this process has loaded the app.
open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "loaded-%d" % os.getpid()),
     "w").close()


def application(environ, start_response):
    body = ("%s %d" % (VERSION, os.getpid())).encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
'''


# --------------------------------------------------------------------------- the app

def write_app(folder: Path, version: str) -> None:
    """(Re)write the app module atomically, so a booting worker never reads half of it."""
    tmp = folder / f".{APP_MODULE}.py.tmp"
    tmp.write_text(APP_SOURCE.format(version=version))
    os.replace(tmp, folder / f"{APP_MODULE}.py")
    shutil.rmtree(folder / "__pycache__", ignore_errors=True)


def loaded_workers(folder: Path, master: int) -> list[int]:
    """The master's children that have imported the app (the app marks it)."""
    return [pid for pid in children(master) if (folder / f"loaded-{pid}").exists()]




# --------------------------------------------------------------------------- scenarios

@dataclass
class Context:
    """What a scenario acts on; it fills ``notes``, ``new_code_s``, ``new_master``."""

    server: common.RunningServer
    probe: Probe
    load: Load
    folder: Path
    notes: list[str] = field(default_factory=list)
    new_code_s: Optional[float] = None
    signalled: float = 0.0
    new_master: int = 0
    old_master_gone: bool = False

    @property
    def master(self) -> int:
        return self.server.proc.pid

    def at_action_time(self) -> None:
        time.sleep(max(0.0, self.load.started + ACTION_AT - time.monotonic()))

    def signal(self, sig: signal.Signals, pid: int = 0) -> float:
        self.server.check_alive(f"before {sig.name}")
        now = time.monotonic()
        os.kill(pid or self.master, sig)
        return now

    def wait_workers(self, count: int, since: float, label: str) -> None:
        got = wait_for(lambda: len(children(self.master)) == count, WAIT)
        elapsed = time.monotonic() - since
        self.notes.append(f"{count} workers {elapsed:.2f}s after {label}" if got else
                          f"NOT {count} workers {WAIT:g}s after {label} "
                          f"({len(children(self.master))})")


def scenario_hup(ctx: Context) -> None:
    ctx.at_action_time()
    write_app(ctx.folder, "v2")
    old_workers = children(ctx.master)
    ctx.signalled = ctx.signal(signal.SIGHUP)
    first = wait_for(lambda: ctx.probe.first(ctx.signalled, lambda s: s.version == "v2"), WAIT)
    if first is None:
        ctx.notes.append(f"v2 NOT served {WAIT:g}s after HUP")
        return
    ctx.new_code_s = first.t - ctx.signalled
    if wait_for(lambda: not any(map(alive, old_workers)), WAIT):
        ctx.notes.append(f"old workers gone {time.monotonic() - ctx.signalled:.2f}s after HUP")
    else:
        ctx.notes.append(f"old workers NOT gone {WAIT:g}s after HUP")
    time.sleep(max(0.0, first.t + WATCH_AFTER_V2 - time.monotonic()))


def scenario_ttin_ttou(ctx: Context) -> None:
    ctx.at_action_time()
    ctx.wait_workers(WORKERS + 1, ctx.signal(signal.SIGTTIN), "TTIN")
    ctx.wait_workers(WORKERS, ctx.signal(signal.SIGTTOU), "TTOU")


def _new_master(old: int) -> int:
    """A child of ``old`` that has children of its own (the USR2 master), or 0."""
    table = process_table()
    return next((pid for pid in children(old, table) if children(pid, table)), 0)


def scenario_usr2(ctx: Context) -> None:
    ctx.at_action_time()
    old = ctx.master
    since = ctx.signal(signal.SIGUSR2)
    ctx.new_master = new = wait_for(lambda: _new_master(old), WAIT) or 0
    if not new:
        ctx.notes.append(f"NO new master {WAIT:g}s after USR2")
        return
    ready = wait_for(lambda: len(loaded_workers(ctx.folder, new)) >= WORKERS, WAIT)
    if not ready:
        ctx.notes.append(f"new master {new}'s workers NOT ready {WAIT:g}s after USR2")
        return
    termed = time.monotonic()
    served = sum(1 for s in ctx.probe.samples if s.ppid == new)
    ctx.notes.append(f"new master's {WORKERS} workers loaded the app {termed - since:.2f}s "
                     f"after USR2 (probe answers from them before TERM: {served})"
                     + ("" if os.getpgid(new) == old else "; new master in its own group"))
    termed = ctx.signal(signal.SIGTERM)
    try:
        code = ctx.server.proc.wait(OLD_MASTER_EXIT)
    except subprocess.TimeoutExpired:
        ctx.notes.append(f"old master NOT gone {OLD_MASTER_EXIT:g}s after TERM")
        return
    ctx.old_master_gone = True
    ctx.notes.append(f"old master exited {time.monotonic() - termed:.2f}s after TERM "
                     f"(code {code})")
    first = wait_for(lambda: ctx.probe.first(termed, lambda s: s.ppid == new), WAIT)
    ctx.notes.append(f"probe first answered by the new master's workers "
                     f"{first.t - termed:.2f}s after TERM" if first else
                     f"probe NOT answered by the new master's workers {WAIT:g}s after TERM")
    if not wait_for(lambda: alive(new) and parent_of(new) != old, 5):
        ctx.notes.append("new master NOT running after the old one exited")


def scenario_max_requests(ctx: Context) -> None:
    """Nothing to do: the server runs with MAX_REQUESTS."""


ACTIONS: dict[str, Callable[[Context], None]] = {
    "hup": scenario_hup, "ttin-ttou": scenario_ttin_ttou, "usr2": scenario_usr2,
    "max-requests": scenario_max_requests,
}


# --------------------------------------------------------------------------- one run

@dataclass
class Outcome:
    """One (scenario, load mode, server) run."""

    scenario: str
    mode: str
    server: str
    requests: Optional[int] = None
    requests_per_sec: Optional[float] = None
    socket_errors: dict[str, int] = field(default_factory=dict)
    non_2xx_3xx: int = 0
    probe_answered: int = 0
    probe_errors: dict[str, int] = field(default_factory=dict)
    new_code_s: Optional[float] = None  # hup: signal -> first v2
    v1_after_v2: Optional[int] = None  # hup: v1 answers after the first v2
    workers_seen: int = 0  # worker pids the probe saw in the group (a lower bound)
    recycled: Optional[int] = None  # max-requests: workers the server's log retired
    notes: str = ""
    tracebacks: int = 0
    other_cpu_pct: Optional[float] = None
    leftovers: list[str] = field(default_factory=list)
    error: str = ""


def server_specs(folder: Path) -> dict[tuple[str, str], common.ServerSpec]:
    """(server, scenario) -> spec; max-requests adds MAX_REQUESTS."""
    path = os.pathsep.join(p for p in (str(folder), str(common.REPO_ROOT),
                                       os.environ.get("PYTHONPATH", "")) if p)
    env = {"PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}
    specs = {}
    for scenario in SCENARIOS:
        extra = MAX_REQUESTS if scenario == "max-requests" else ()
        for spec in (common.ours_spec("ours", APP, ("-w", str(WORKERS), *extra)),
                     common.gunicorn_spec("gunicorn", APP, THREADS, WORKERS, extra)):
            specs[spec.name, scenario] = replace(spec, env=env, cwd=folder)
    return specs


def run_one(spec: common.ServerSpec, scenario: str, mode: str, folder: Path,
            opts: argparse.Namespace) -> Outcome:
    outcome = Outcome(scenario, mode, spec.name)
    write_app(folder, "v1")
    tag = f"lifecycle-{scenario}-{mode}"
    server: Optional[common.RunningServer] = None
    new_masters: list[int] = []  # a USR2 new master, stopped by pid before the group
    try:
        with common.running_server(spec, opts.server_cpu, tag, opts.start_timeout) as server:
            print(f"[bench] {scenario}/{mode}/{spec.name}: {shlex.join(server.argv)}",
                  flush=True)
            try:
                _measure(server, scenario, mode, folder, opts, outcome, new_masters)
            finally:
                outcome.leftovers = _stop_new_masters(new_masters, outcome)
    except common.ServerError as exc:
        outcome.error = str(exc)
        print(f"[bench] ERROR {exc}", file=sys.stderr, flush=True)
    if server is not None:
        outcome.leftovers += [f"{pid} (group {server.proc.pid})"
                              for pid in group_members(server.proc.pid)]
        log = server.log_text()
        outcome.tracebacks = log.count("Traceback (most recent call last)")
        if scenario == "max-requests":
            outcome.recycled = log.count(RECYCLE_LINE[spec.name])
    _print_outcome(outcome)
    return outcome


def _measure(server: common.RunningServer, scenario: str, mode: str, folder: Path,
             opts: argparse.Namespace, outcome: Outcome, new_masters: list[int]) -> None:
    probe = Probe(server.port, server.proc.pid)
    answer = wait_for(lambda: probe.ask(), opts.start_timeout, interval=0.1)
    if answer is None or answer.version != "v1":  # a Sample is always truthy
        raise common.ServerError(f"{server.spec.name}: expected v1, got {answer}")
    extra = MODES[mode]
    if opts.warmup > 0:
        common.run_wrk(f"http://{common.HOST}:{server.port}{PATH}", opts, opts.warmup, extra)
    load = Load(server, opts, extra)
    ctx = Context(server, probe, load, folder)
    load.start()
    probe.start()
    try:
        try:
            ACTIONS[scenario](ctx)
        finally:
            if ctx.new_master:
                new_masters.append(ctx.new_master)
        result = load.join()
    finally:
        probe.stop()
        load.stop()
    if not ctx.old_master_gone:
        server.check_alive("during the load")
    _fill(outcome, result, ctx)


def _fill(outcome: Outcome, result: common.WrkResult, ctx: Context) -> None:
    samples = ctx.probe.samples
    outcome.requests, outcome.requests_per_sec = result.requests, result.requests_per_sec
    outcome.socket_errors, outcome.non_2xx_3xx = result.socket_errors, result.non_2xx_3xx
    outcome.other_cpu_pct = result.other_cpu_pct
    outcome.probe_answered = sum(1 for s in samples if not s.error)
    outcome.probe_errors = probe_errors(samples)
    if ctx.signalled and outcome.scenario == "hup":
        outcome.new_code_s, outcome.v1_after_v2 = new_code_summary(samples, ctx.signalled)
    masters = {ctx.master, ctx.new_master}
    outcome.workers_seen = len(ctx.probe.group_seen - masters)
    outcome.notes = "; ".join(ctx.notes)


def _stop_new_masters(pids: list[int], outcome: Outcome) -> list[str]:
    """Stop a USR2 new master by pid (it outlives the old master), before
    running_server stops the group; what was still there afterwards."""
    left = []
    for pid in pids:
        how = stop_pid(pid)
        outcome.notes = "; ".join(filter(None, [outcome.notes, f"new master {how}"]))
        if alive(pid):
            left.append(f"{pid} (new master)")
    return left


def _print_outcome(o: Outcome) -> None:
    if o.error:
        print(f"[bench]   FAILED: {common._brief(o.error)}", flush=True)
        return
    print(f"[bench]   {o.requests} requests, socket errors {o.socket_errors}, non-2xx "
          f"{o.non_2xx_3xx}; probe {o.probe_answered} ok, errors {o.probe_errors}; "
          f"new code {_fmt(o.new_code_s, '.2f')}s v1 after v2 {_fmt(o.v1_after_v2, 'd')}; "
          f"{o.notes}", flush=True)
    if o.leftovers:
        print(f"[bench]   WARNING left running: {o.leftovers}", flush=True)


# --------------------------------------------------------------------------- report

def _fmt(value: Optional[float], spec: str) -> str:
    return "-" if value is None else format(value, spec)


HEAD = ["scenario", "load", "server", "requests", "req/s", "connect", "read", "write",
        "timeout", "non-2xx", "probe failed", "new code s", "v1 after v2", "workers seen",
        "tracebacks", "other CPU", "notes"]


def cells(o: Outcome) -> list[str]:
    if o.error:
        return [o.scenario, o.mode, o.server, "FAILED"] + ["-"] * (len(HEAD) - 5) + [
            common._brief(o.error)]
    errs = o.socket_errors
    probe_failed = sum(o.probe_errors.values())
    failed = f"{probe_failed}/{probe_failed + o.probe_answered}"
    if o.probe_errors:
        failed += " (" + ", ".join(f"{k} {v}" for k, v in sorted(o.probe_errors.items())) + ")"
    notes = o.notes
    if o.recycled is not None:
        notes = "; ".join(filter(None, [f"{o.recycled} workers retired (server log)", notes]))
    if o.leftovers:
        notes += f"; LEFT RUNNING: {', '.join(o.leftovers)}"
    return [o.scenario, o.mode, o.server, str(o.requests), _fmt(o.requests_per_sec, ",.0f"),
            *(str(errs.get(k, 0)) for k in ("connect", "read", "write", "timeout")),
            str(o.non_2xx_3xx), failed, _fmt(o.new_code_s, ".2f"), _fmt(o.v1_after_v2, "d"),
            str(o.workers_seen), str(o.tracebacks), _fmt(o.other_cpu_pct, ".0f") + "%", notes]


class LifecycleReport(common.Report):
    """common.Report with this scenario's table."""

    @property
    def failed(self) -> bool:
        return bool(any(row.error or row.leftovers for row in self.rows)
                    or self.info.get("leftover_processes"))

    def table(self) -> str:
        lines = [HEAD] + [cells(r) for r in self.rows]
        widths = [max(len(line[i]) for line in lines) for i in range(len(HEAD) - 1)]
        out = ["  ".join([*(line[i].ljust(w) if i < 3 else line[i].rjust(w)
                            for i, w in enumerate(widths)), line[-1]])
               for line in lines]
        out.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(out)

    def markdown(self) -> str:
        out = [f"## {self.title}", "", f"`{self.settings['command']}`", "",
               common._settings_line(self.settings), "",
               "| " + " | ".join(HEAD) + " |",
               "|---|---|---|" + "---:|" * (len(HEAD) - 4) + "---|"]
        out += ["| " + " | ".join(cells(r)) + " |" for r in self.rows]
        out += ["", "Commands (cwd and first on PYTHONPATH: a temporary folder holding "
                f"`{APP_MODULE}.py`):", ""]
        out += [f"- {name}: `{cmd}`" for name, cmd in self.servers.items()]
        out += ["", "connect/read/write/timeout: wrk's socket errors. probe failed: requests "
                "of the probe (a fresh connection every 50 ms) that failed, of all it made. "
                "new code s: from SIGHUP until the probe first got v2; v1 after v2: "
                "answers from the old code the probe got after that. workers seen: worker "
                "pids the probe saw in the server's process group (polled every 50 ms, so a "
                "lower bound). Other CPU: what other processes used during the load, in % of "
                "one core (this script's probe and polling left out)."]
        return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- main

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.add_common_args(parser)
    parser.set_defaults(warmup=0)
    parser.add_argument("--servers", type=common.selection(SERVERS), default=SERVERS)
    parser.add_argument("--scenarios", type=common.selection(SCENARIOS), default=SCENARIOS)
    parser.add_argument("--modes", type=common.selection(list(MODES)), default=["keepalive"],
                        help="wrk load: keepalive, close (Connection: close) or both")
    return parser


def run(argv: Optional[list[str]] = None) -> common.Report:
    argv = sys.argv[1:] if argv is None else argv
    opts = build_parser().parse_args(argv)
    common.prepare(opts)
    if opts.duration < ACTION_AT + WATCH_AFTER_V2 + 2:
        print(f"[bench] warning: -d {opts.duration} leaves little load after the "
              f"operation at {ACTION_AT:g}s", flush=True)
    if opts.wrk_cpu is not None:
        os.sched_setaffinity(0, {opts.wrk_cpu})  # the probe shares wrk's core
    if "gunicorn" in opts.servers:
        common.ensure_pip("gunicorn", "gunicorn")
    folder = Path(tempfile.mkdtemp(prefix="bench-lifecycle-"))
    try:
        specs = server_specs(folder)
        outcomes = [run_one(specs[server, scenario], scenario, mode, folder, opts)
                    for scenario in opts.scenarios for mode in opts.modes
                    for server in opts.servers]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        leftovers = processes_matching(APP)
        print(f"[bench] processes left serving {APP}: {leftovers or 'none'}", flush=True)
    used = [replace(spec, name=f"{name} ({scenario})") for (name, scenario), spec in specs.items()
            if name in opts.servers and scenario in opts.scenarios]
    command = shlex.join(["python3", "bench/lifecycle.py", *argv])
    gunicorn = common.tool_version([sys.executable, "-m", "gunicorn", "--version"])
    report = common.make_report(
        opts, "lifecycle", "Master lifecycle under load: wsgiserver vs gunicorn gthread",
        used, outcomes, [],
        {"command": command, "workers": WORKERS, "gunicorn_threads": THREADS,
         "modes": ",".join(opts.modes), "action_at_s": ACTION_AT, "path": PATH},
        {"gunicorn": gunicorn, "leftover_processes": leftovers}, LifecycleReport)
    return report


def main(argv: Optional[list[str]] = None) -> int:
    return common.main_wrapper(run, argv)


if __name__ == "__main__":
    sys.exit(main())
