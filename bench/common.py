"""Shared benchmark machinery: tools, servers, wrk runs, reports.

Every scenario script (hello.py, static.py, frameworks.py) describes a list of
servers and a list of targets (URL paths); :func:`run_matrix` starts each server
pinned to one core, checks each target answers correctly, runs wrk pinned to the
other core, stops the server, and collects the results. :class:`Report` prints
and stores them under ``bench/results/``.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import operator
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
LOG_DIR = RESULTS_DIR / "logs"
HOST = "127.0.0.1"
FALLBACK_THREADS = 4
OTHER_CPU_WARN = 10.0  # % of one core used by other processes during a run

_apt_updated = False


# --------------------------------------------------------------------------- tools

def run_quiet(argv: list[str], timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a command, capturing output, bounded in time."""
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


def ensure_apt(binary: str, *packages: str) -> None:
    """Install ``packages`` with apt-get unless ``binary`` is on PATH."""
    global _apt_updated
    if shutil.which(binary):
        return
    print(f"[bench] {binary} missing: apt-get install -y {' '.join(packages)}", flush=True)
    if not _apt_updated:
        subprocess.run(["apt-get", "update"], check=True, timeout=600)
        _apt_updated = True
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", *packages], check=True, timeout=900, env=env)
    if not shutil.which(binary):
        raise SystemExit(f"bench: {binary} still missing after installing {packages}")


def ensure_pip(module: str, package: str) -> None:
    """``pip install package`` unless ``module`` imports in this interpreter."""
    if importlib.util.find_spec(module) is not None:
        return
    print(f"[bench] {module} missing: pip install {package}", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", package], check=True, timeout=900)


def tool_version(argv: list[str]) -> str:
    """First line of a tool's version output (stdout or stderr), or ''."""
    try:
        proc = run_quiet(argv, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    return lines[0].strip() if lines else ""


def python_eval(code: str) -> Optional[str]:
    """Run ``code`` in a fresh interpreter at the repo root; its stdout or None."""
    try:
        proc = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                              text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


# --------------------------------------------------------------------------- processes

def free_port() -> int:
    """A currently free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def pinned(cpu: Optional[int], argv: list[str]) -> list[str]:
    """Prefix ``argv`` with taskset so it runs on ``cpu`` (None: no pinning)."""
    return argv if cpu is None else ["taskset", "-c", str(cpu), *argv]


@dataclass
class ServerSpec:
    """How to start one server: ``build(port)`` returns its argv.

    ``command``, if set, is shown in reports instead of the argv built for port 0.
    ``env`` is added to the environment and ``cwd`` (default: the repository
    root) is the folder it runs in.
    """

    name: str
    build: Callable[[int], list[str]]
    command: str = ""
    env: dict[str, str] = field(default_factory=dict)
    cwd: Optional[Path] = None


class ServerError(RuntimeError):
    """A server failed to start, answered wrongly, or died during a run."""


class RunningServer:
    """A started server process; use through :func:`running_server`."""

    def __init__(self, spec: ServerSpec, port: int, cpu: Optional[int], log_path: Path) -> None:
        self.spec = spec
        self.port = port
        self.argv = pinned(cpu, spec.build(port))
        self.log_path = log_path
        env = dict(os.environ, PYTHONUNBUFFERED="1", **spec.env)
        self._log = open(log_path, "wb")  # closed in stop()
        self.proc = subprocess.Popen(self.argv, cwd=spec.cwd or REPO_ROOT, env=env,
                                     stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 25) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def check_alive(self, when: str) -> None:
        code = self.proc.poll()
        if code is not None:
            raise ServerError(f"{self.spec.name} exited with code {code} {when} "
                              f"(log {self.log_path}):\n{self.log_tail()}")

    def wait_ready(self, timeout: float) -> None:
        """Poll the port until it accepts a connection."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive("before listening")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise ServerError(f"{self.spec.name} not listening on {HOST}:{self.port} after "
                          f"{timeout:.0f}s (log {self.log_path}):\n{self.log_tail()}")

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM the server's process group, SIGKILL it if it lingers."""
        try:
            if self.proc.poll() is None:
                self._signal_group(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    print(f"[bench] {self.spec.name} ignored SIGTERM for {timeout:.0f}s; "
                          "SIGKILL", flush=True)
            self._signal_group(signal.SIGKILL)  # leftover workers, if any
            self.proc.wait(timeout=timeout)
        finally:
            self._log.close()

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass


@contextmanager
def running_server(spec: ServerSpec, cpu: Optional[int], tag: str,
                   start_timeout: float = 30) -> Iterator[RunningServer]:
    """Start ``spec`` on a free port, wait for it, and always stop it."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    server = RunningServer(spec, free_port(), cpu, LOG_DIR / f"{tag}-{spec.name}.log")
    try:
        server.wait_ready(start_timeout)
        yield server
    finally:
        server.stop()


def ours_spec(name: str, app: Optional[str], extra: tuple[str, ...] = ()) -> ServerSpec:
    """``python -m wsgiserver [APP] -b 127.0.0.1:PORT EXTRA...``."""
    def build(port: int) -> list[str]:
        return [sys.executable, "-m", "wsgiserver", *([app] if app else []),
                "-b", f"{HOST}:{port}", *extra]

    return ServerSpec(name, build)


def gunicorn_spec(name: str, app: str, threads: int, workers: int = 1,
                  extra: tuple[str, ...] = ()) -> ServerSpec:
    """``gunicorn -k gthread --threads N -w WORKERS [EXTRA...] -b 127.0.0.1:PORT APP``."""
    quiet = ["--no-control-socket"] if _gunicorn_has_control_socket() else []

    def build(port: int) -> list[str]:
        return [sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", str(threads),
                "-w", str(workers), *quiet, *extra, "-b", f"{HOST}:{port}", app]

    return ServerSpec(name, build)


def _gunicorn_has_control_socket() -> bool:
    """gunicorn >= 24 opens a control socket in ~/.gunicorn unless told not to."""
    help_text = python_eval("import sys; sys.argv = ['gunicorn', '--help']\n"
                            "from gunicorn.app.wsgiapp import run; run()")
    return help_text is not None and "--no-control-socket" in help_text


def wsgiserver_default_threads() -> Optional[int]:
    """Our server's default ``--threads`` from wsgiserver.settings.DEFAULTS, if readable."""
    out = python_eval("from wsgiserver.settings import DEFAULTS as D\n"
                      "t = D['threads'] if isinstance(D, dict) else getattr(D, 'threads')\n"
                      "print(int(t))")
    return int(out) if out and out.isdigit() else None


def command_line(spec: ServerSpec) -> str:
    """The server's command for reports, with PORT as a placeholder."""
    if spec.command:
        return spec.command
    return shlex.join(spec.build(0)).replace(f"{HOST}:0", f"{HOST}:PORT")


# --------------------------------------------------------------------------- checks

@dataclass
class Target:
    """One URL path to benchmark, with what a correct answer looks like."""

    name: str
    path: str
    expect_length: Optional[int] = None
    expect_json: object = None


def check_target(server: RunningServer, target: Target) -> str:
    """GET the target once; raise ServerError unless it is a correct 200."""
    conn = http.client.HTTPConnection(HOST, server.port, timeout=10)
    try:
        conn.request("GET", target.path)
        resp = conn.getresponse()
        body = resp.read()
    except (OSError, http.client.HTTPException) as exc:
        raise ServerError(f"{server.spec.name} GET {target.path}: {exc!r}") from exc
    finally:
        conn.close()
    problem = _response_problem(resp.status, body, target)
    if problem:
        raise ServerError(f"{server.spec.name} GET {target.path}: {problem}")
    return f"{resp.status} {resp.getheader('Content-Type')} {len(body)} bytes"


def _response_problem(status: int, body: bytes, target: Target) -> str:
    if status != 200:
        return f"status {status}, body {body[:200]!r}"
    if target.expect_length is not None and len(body) != target.expect_length:
        return f"body is {len(body)} bytes, expected {target.expect_length}"
    if target.expect_json is not None:
        try:
            data = json.loads(body)
        except ValueError:
            return f"body is not JSON: {body[:200]!r}"
        if data != target.expect_json:
            return f"JSON {data!r}, expected {target.expect_json!r}"
    return ""


# --------------------------------------------------------------------------- wrk

UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
TIME_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


@dataclass
class WrkResult:
    requests_per_sec: float
    transfer_bytes_per_sec: float
    requests: int
    latency_ms: dict[str, float]
    socket_errors: dict[str, int]
    non_2xx_3xx: int
    other_cpu_pct: Optional[float] = None  # set by measure_other_cpu

    @property
    def mb_per_sec(self) -> float:
        return self.transfer_bytes_per_sec / 1024**2

    @property
    def errors(self) -> int:
        return sum(self.socket_errors.values()) + self.non_2xx_3xx


def _parse_size(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)([KMGT]?B)", text)
    if not match:
        raise ValueError(f"bad wrk size {text!r}")
    return float(match.group(1)) * UNITS[match.group(2)]


def _parse_time_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise ValueError(f"bad wrk time {text!r}")
    return float(match.group(1)) * TIME_UNITS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """Parse ``wrk --latency`` output."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    transfer = re.search(r"^Transfer/sec:\s+(\S+)", output, re.M)
    total = re.search(r"^\s*(\d+) requests in", output, re.M)
    if not (rps and transfer and total):
        raise ValueError(f"cannot parse wrk output:\n{output}")
    latency = {f"p{pct}": _parse_time_ms(value)
               for pct, value in re.findall(r"^\s+(\d+)%\s+(\S+)", output, re.M)}
    avg = re.search(r"^\s+Latency\s+(\S+)", output, re.M)
    if avg:
        latency["avg"] = _parse_time_ms(avg.group(1))
    errors = re.search(r"Socket errors: connect (?P<connect>\d+), read (?P<read>\d+), "
                       r"write (?P<write>\d+), timeout (?P<timeout>\d+)", output)
    socket_errors = {k: int(v) for k, v in errors.groupdict().items()} if errors else {}
    non_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return WrkResult(float(rps.group(1)), _parse_size(transfer.group(1)), int(total.group(1)),
                     latency, socket_errors, int(non_ok.group(1)) if non_ok else 0)


def wrk_argv(url: str, opts: argparse.Namespace, duration: int,
             extra: tuple[str, ...] = ()) -> list[str]:
    """wrk's command line; ``extra`` options (e.g. ``-H "Connection: close"``) go last."""
    return pinned(opts.wrk_cpu, ["wrk", "--latency", f"-t{opts.wrk_threads}",
                                 f"-c{opts.connections}", f"-d{duration}s",
                                 f"--timeout={opts.wrk_timeout:g}s", *extra, url])


def run_wrk(url: str, opts: argparse.Namespace, duration: int,
            extra: tuple[str, ...] = ()) -> WrkResult:
    """Run wrk against ``url`` for ``duration`` seconds (hard-bounded)."""
    argv = wrk_argv(url, opts, duration, extra)
    try:
        proc = run_quiet(argv, timeout=duration + opts.wrk_timeout + 30)
    except subprocess.TimeoutExpired as exc:
        raise ServerError(f"wrk did not finish: {' '.join(argv)}") from exc
    if proc.returncode != 0:
        raise ServerError(f"wrk failed ({proc.returncode}): {shlex.join(argv)}\n"
                          f"{(proc.stderr or proc.stdout).strip()}")
    return parse_wrk(proc.stdout)


# --------------------------------------------------------------------------- interference

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _busy_ticks() -> int:
    """All CPUs' non-idle ticks (user, nice, system, irq, softirq, steal)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return user + nice + system + irq + softirq + steal


def _group_ticks(pgid: int) -> int:
    """CPU ticks used so far by the live processes of a process group, with the
    children they have reaped (a master's workers that exited: HUP, --max-requests)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:
            total += sum(map(int, fields[11:15]))  # utime, stime, cutime, cstime
    return total


def _children_ticks() -> float:
    times = os.times()
    return (times.children_user + times.children_system) * CLK_TCK


def _sample(pgid: int) -> tuple[float, ...]:
    return _busy_ticks(), _group_ticks(pgid), _children_ticks(), time.monotonic()


def run_wrk_measured(server: RunningServer, url: str, opts: argparse.Namespace,
                     extra: tuple[str, ...] = ()) -> WrkResult:
    """The measured wrk run, noting how much CPU anything else used meanwhile.

    other = machine busy ticks - server's process group - wrk, as % of one core.
    Kernel softirq time for loopback traffic is charged to the process it
    interrupts, so on a quiet machine this stays near 0; other load (tests,
    builds, hypervisor steal) shows up here and makes the figures suspect.
    """
    start = _sample(server.proc.pid)
    result = run_wrk(url, opts, opts.duration, extra)
    busy, group, wrk, wall = map(operator.sub, _sample(server.proc.pid), start)
    result.other_cpu_pct = max(0.0, 100 * (busy - group - wrk) / (wall * CLK_TCK))
    return result


# --------------------------------------------------------------------------- matrix

@dataclass
class Row:
    """The result for one (server, target) pair: median round by requests/s."""

    server: str
    target: str
    requests_per_sec: Optional[float] = None
    mb_per_sec: Optional[float] = None
    latency_p50_ms: Optional[float] = None
    latency_p99_ms: Optional[float] = None
    errors: int = 0
    rounds: list[float] = field(default_factory=list)
    error: str = ""
    server_tracebacks: int = 0  # "Traceback" count in the server's logs, all rounds
    other_cpu_pct: Optional[float] = None  # CPU others used during the median round


def _median_result(results: list[WrkResult]) -> WrkResult:
    """The median round by req/s, among the undisturbed rounds if there are any."""
    quiet = [r for r in results if (r.other_cpu_pct or 0) <= OTHER_CPU_WARN]
    ordered = sorted(quiet or results, key=lambda r: r.requests_per_sec)
    return ordered[(len(ordered) - 1) // 2]


def _row(server: str, target: str, results: list[WrkResult], error: str,
         tracebacks: int) -> Row:
    if not results:
        return Row(server, target, error=error or "no result", server_tracebacks=tracebacks)
    best = _median_result(results)
    return Row(server, target, best.requests_per_sec, best.mb_per_sec,
               best.latency_ms.get("p50"), best.latency_ms.get("p99"),
               sum(r.errors for r in results), [r.requests_per_sec for r in results], error,
               tracebacks, best.other_cpu_pct)


def bench_server(spec: ServerSpec, targets: list[Target], opts: argparse.Namespace,
                 tag: str) -> tuple[dict[str, WrkResult], int]:
    """Start one server, check and benchmark every target, stop it.

    Returns the wrk results by target name and the number of tracebacks the
    server wrote to its log.
    """
    results: dict[str, WrkResult] = {}
    with running_server(spec, opts.server_cpu, tag, opts.start_timeout) as server:
        print(f"[bench] {spec.name}: {shlex.join(server.argv)}", flush=True)
        for target in targets:
            url = f"http://{HOST}:{server.port}{target.path}"
            print(f"[bench]   check {target.path}: {check_target(server, target)}", flush=True)
            if opts.warmup > 0:
                run_wrk(url, opts, opts.warmup)
            result = run_wrk_measured(server, url, opts)
            for _ in range(opts.retries):
                if result.other_cpu_pct <= OTHER_CPU_WARN:
                    break
                print(f"[bench]   other processes used {result.other_cpu_pct:.0f}% of a core; "
                      "measuring again", flush=True)
                result = run_wrk_measured(server, url, opts)
            server.check_alive(f"during the wrk run on {target.path}")
            check_target(server, target)  # still answering correctly after the load
            print(f"[bench]   {target.name}: {result.requests_per_sec:,.0f} req/s "
                  f"{result.mb_per_sec:,.2f} MB/s errors={result.errors} "
                  f"other-cpu={result.other_cpu_pct:.0f}%", flush=True)
            if result.other_cpu_pct > OTHER_CPU_WARN:
                print(f"[bench] WARNING other processes used {result.other_cpu_pct:.0f}% of a "
                      "core during this run; its figures are suspect", flush=True)
            results[target.name] = result
    tracebacks = server.log_text().count("Traceback (most recent call last)")
    if tracebacks:
        print(f"[bench] WARNING {spec.name} logged {tracebacks} tracebacks; see "
              f"{server.log_path}", flush=True)
    return results, tracebacks


def run_matrix(servers: list[ServerSpec], targets: list[Target], opts: argparse.Namespace,
               tag: str) -> list[Row]:
    """Benchmark every server on every target, ``opts.rounds`` interleaved rounds."""
    collected: dict[tuple[str, str], list[WrkResult]] = {}
    failures: dict[str, str] = {}
    tracebacks = dict.fromkeys((spec.name for spec in servers), 0)
    for rnd in range(opts.rounds):
        for spec in servers:
            if spec.name in failures:
                continue
            print(f"[bench] round {rnd + 1}/{opts.rounds}: {spec.name}", flush=True)
            round_tag = f"{tag}-r{rnd + 1}" if opts.rounds > 1 else tag
            try:
                results, count = bench_server(spec, targets, opts, round_tag)
                tracebacks[spec.name] += count
                for name, result in results.items():
                    collected.setdefault((spec.name, name), []).append(result)
            except ServerError as exc:
                failures[spec.name] = str(exc)
                print(f"[bench] ERROR {exc}", file=sys.stderr, flush=True)
    return [_row(spec.name, t.name, collected.get((spec.name, t.name), []),
                 failures.get(spec.name, ""), tracebacks[spec.name])
            for spec in servers for t in targets]


# --------------------------------------------------------------------------- reports

@dataclass
class Ratio:
    """``numerator / denominator`` requests/s on one target, with its goal."""

    label: str
    target: str
    numerator: str
    denominator: str
    goal: float
    value: Optional[float] = None
    noisy: bool = False  # other processes disturbed one of the two runs

    @property
    def status(self) -> str:
        if self.value is None:
            return "n/a"
        verdict = "ok" if self.value >= self.goal else "MISS"
        return f"{verdict} (noisy)" if self.noisy else verdict


def compute_ratios(ratios: list[Ratio], rows: list[Row]) -> list[Ratio]:
    if not ratios:  # rows may then be another kind of row (bench/lifecycle.py's)
        return ratios
    by_key = {(r.server, r.target): r for r in rows}
    for ratio in ratios:
        num = by_key.get((ratio.numerator, ratio.target))
        den = by_key.get((ratio.denominator, ratio.target))
        if num and den and num.requests_per_sec and den.requests_per_sec:
            ratio.value = num.requests_per_sec / den.requests_per_sec
            ratio.noisy = any((row.other_cpu_pct or 0) > OTHER_CPU_WARN for row in (num, den))
    return ratios


def _fmt(value: Optional[float], spec: str) -> str:
    return "-" if value is None else format(value, spec)


def machine_info() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "loadavg_start": os.getloadavg(),
        "wrk": tool_version(["wrk", "--version"]),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor()
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    return match.group(1) if match else platform.processor()


@dataclass
class Report:
    scenario: str
    title: str
    settings: dict[str, object]
    servers: dict[str, str]
    rows: list[Row]
    ratios: list[Ratio]
    info: dict[str, object]

    @property
    def failed(self) -> bool:
        return any(row.error for row in self.rows)

    def table(self) -> str:
        head = ["server", "target", "req/s", "MB/s", "p50 ms", "p99 ms", "errors", "tracebacks",
                "other CPU"]
        lines = [head] + [_cells(r) for r in self.rows]
        widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
        out = ["  ".join(cell.ljust(widths[i]) if i < 2 else cell.rjust(widths[i])
                         for i, cell in enumerate(line)) for line in lines]
        out.insert(1, "  ".join("-" * w for w in widths))
        out += [""] + [f"{r.label:<40} {_fmt(r.value, '.2f'):>6}x  (goal >= {r.goal:g}x) "
                       f"{r.status}" for r in self.ratios]
        return "\n".join(out)

    def markdown(self) -> str:
        out = [f"## {self.title}", "", _settings_line(self.settings), "",
               "| server | target | req/s | MB/s | p50 ms | p99 ms | wrk errors "
               "| server tracebacks | other CPU |",
               "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
        out += ["| " + " | ".join(_cells(r)) + " |" for r in self.rows]
        out += ["", "| ratio (req/s) | value | goal | status |", "|---|---:|---:|---|"]
        out += [f"| {r.label} | {_fmt(r.value, '.2f')}x | >= {r.goal:g}x | {r.status} |"
                for r in self.ratios]
        out += ["", "Commands:", ""] + [f"- {name}: `{cmd}`" for name, cmd in self.servers.items()]
        out += [f"- FAILED {r.server}/{r.target}: {_brief(r.error)}" for r in self.rows if r.error]
        out += ["", "Server tracebacks count the whole server run (all targets, all rounds). "
                "Other CPU is what other processes used during the reported run, in % of one "
                f"core; above {OTHER_CPU_WARN:g}% a ratio is marked noisy."]
        return "\n".join(out) + "\n"

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        for i, ratio in enumerate(self.ratios):
            data["ratios"][i]["status"] = ratio.status
        data["info"]["loadavg_end"] = os.getloadavg()
        return data

    def save(self) -> Path:
        """Print the table and write results/<scenario>.json and .md."""
        print(f"\n{self.title}\n{self.table()}\n", flush=True)
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        (RESULTS_DIR / f"{self.scenario}.json").write_text(json.dumps(self.to_json(), indent=2))
        md_path = RESULTS_DIR / f"{self.scenario}.md"
        md_path.write_text(self.markdown())
        print(f"[bench] wrote {md_path} and {self.scenario}.json", flush=True)
        return md_path


def _cells(row: Row) -> list[str]:
    """A result row as text: numbers formatted, FAILED for a failed server."""
    return [row.server, row.target, _fmt(row.requests_per_sec, ",.0f"),
            _fmt(row.mb_per_sec, ",.2f"), _fmt(row.latency_p50_ms, ".2f"),
            _fmt(row.latency_p99_ms, ".2f"), "FAILED" if row.error else str(row.errors),
            str(row.server_tracebacks), _fmt(row.other_cpu_pct, ".0f") + "%"]


def _brief(error: str) -> str:
    """First and last line of an error (the reason and the log's last words)."""
    lines = error.strip().splitlines() or [""]
    return lines[0] if len(lines) == 1 else f"{lines[0]} ... {lines[-1].strip()}"


def _settings_line(settings: dict[str, object]) -> str:
    return ", ".join(f"{key}={value}" for key, value in settings.items())


# --------------------------------------------------------------------------- options

def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Options shared by every scenario."""
    parser.add_argument("-d", "--duration", type=_positive_int, default=10,
                        help="seconds of measured load per server and target (default 10)")
    parser.add_argument("-c", "--connections", type=int, default=50,
                        help="wrk keep-alive connections (default 50)")
    parser.add_argument("-t", "--wrk-threads", type=int, default=1,
                        help="wrk threads (default 1)")
    parser.add_argument("--warmup", type=int, default=1,
                        help="seconds of unmeasured load before each run (default 1; 0 = none)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="interleaved rounds; the median round is reported (default 1)")
    parser.add_argument("--retries", type=int, default=2,
                        help="measure again when other processes used over "
                             f"{OTHER_CPU_WARN:g}%% of a core meanwhile (default 2 times)")
    parser.add_argument("--server-cpu", type=int, default=0, help="core for servers (default 0)")
    parser.add_argument("--wrk-cpu", type=int, default=1, help="core for wrk (default 1)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    parser.add_argument("--wrk-timeout", type=float, default=5, help="wrk --timeout seconds")
    parser.add_argument("--start-timeout", type=float, default=30,
                        help="seconds to wait for a server's port (default 30)")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be a whole number >= 1 (wrk takes seconds)")
    return value


def common_settings(opts: argparse.Namespace) -> dict[str, object]:
    return {"duration_s": opts.duration, "connections": opts.connections,
            "wrk_threads": opts.wrk_threads, "warmup_s": opts.warmup, "rounds": opts.rounds,
            "server_cpu": opts.server_cpu, "wrk_cpu": opts.wrk_cpu}


def make_report(opts: argparse.Namespace, scenario: str, title: str,
                specs: list[ServerSpec], rows: list[Row], ratios: list[Ratio],
                settings: dict[str, object], info: dict[str, object],
                report_class: type[Report] = Report) -> Report:
    """Assemble, print and save a scenario's report (``report_class``: a subclass
    of Report with its own table)."""
    report = report_class(scenario, title, {**common_settings(opts), **settings},
                          {spec.name: command_line(spec) for spec in specs}, rows,
                          compute_ratios(ratios, rows), {**opts.machine_info, **info})
    report.save()
    return report


def prepare(opts: argparse.Namespace) -> None:
    """Validate shared options, note the machine's state, make sure wrk and taskset exist."""
    opts.machine_info = machine_info()
    if opts.no_pin:
        opts.server_cpu = opts.wrk_cpu = None
    elif opts.server_cpu == opts.wrk_cpu:
        raise SystemExit("bench: --server-cpu and --wrk-cpu must differ")
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"[bench] warning: load average {load:.2f}; other work skews the figures",
              flush=True)
    ensure_apt("wrk", "wrk")
    if not opts.no_pin:
        ensure_apt("taskset", "util-linux")


def parse_selection(value: str, choices: list[str]) -> list[str]:
    """Comma-separated subset of ``choices`` (argparse ``type`` helper)."""
    picked = [item.strip() for item in value.split(",") if item.strip()]
    unknown = [item for item in picked if item not in choices]
    if unknown or not picked:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(choices)}")
    return picked


def selection(choices: list[str]) -> Callable[[str], list[str]]:
    return lambda value: parse_selection(value, choices)


def main_wrapper(run: Callable[[Optional[list[str]]], object], argv: Optional[list[str]]) -> int:
    """Run a scenario (a Report) or several (a list of them).

    Exit status 1 if a server failed, 130 on Ctrl-C or SIGTERM (servers are
    stopped either way).
    """
    def _interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with it ignored
    try:
        result = run(argv)
    except KeyboardInterrupt:
        print("\n[bench] interrupted; servers stopped", file=sys.stderr)
        return 130
    reports = result if isinstance(result, list) else [result]
    return 1 if any(report.failed for report in reports) else 0
