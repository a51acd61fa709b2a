"""The Worker: a handle built in the master before fork, and the child's life.

In the master a `Worker` is a record (pid, age, slot, its generation's
settings) that hooks receive as `worker`. After fork, `run_in_child` turns
the same object into the worker process: it forgets the master's signal
queue, loads the app through the factory (so HUP reloads code), builds a
`WSGIServer` on the master's listening sockets and serves. Once a tick it
beats on its scoreboard slot (the watchdog's proof that its loop runs),
publishes its counters, and checks that its master is still its parent.

A worker that cannot load its app writes one line to the master's boot-error
pipe and exits with BOOT_ERROR (3, gunicorn's code), so the master, not N
workers at once, says what went wrong, and nothing respawns in a loop.

Signals in a worker: TERM graceful stop; INT/QUIT quick stop (after the
`worker_int` hook); USR1 reopen log files; ABRT (the watchdog) runs
`worker_abort` and exits at once, from the handler, since the loop that would
dispatch it is the thing that is stuck. HUP, TTIN, TTOU, WINCH and USR2 are the
master's business and ignored here.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
import traceback
from typing import TYPE_CHECKING, Any, Callable, Optional

from ..errors import ConfigError
from ..observe.log import forget_original_output, reopen_log_files
from ..settings import Config
from .scoreboard import BOOTING, READY, RETIRING, STOPPING, Slot
from .signals import SignalQueue, close_pipe, nudge

if TYPE_CHECKING:
    from ..server import WSGIServer

Arbiter = Any  # the master (process/arbiter.py imports this module, not the reverse)

error_log = logging.getLogger("wsgiserver.error")

BOOT_ERROR = 3
ORPHAN_GRACE = 1.0  # seconds an orphaned worker gives its in-flight requests
IGNORED_SIGNALS = ("SIGHUP", "SIGTTIN", "SIGTTOU", "SIGWINCH", "SIGUSR2")
WORKER_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGUSR1)

# factory(sockets, options) -> the WSGIServer this worker runs
ServerFactory = Callable[[list, dict], "WSGIServer"]


class Worker:
    """One worker process, as the master sees it and as it runs after fork."""

    def __init__(self, age: int, cfg: Config, options: dict, factory: ServerFactory,
                 generation: int, slot: Slot) -> None:
        self.age = age
        self.cfg = cfg
        self.options = options
        self.factory = factory
        self.generation = generation
        self.slot = slot
        self.log = error_log
        self.pid = 0
        self.ppid = os.getpid()
        self.started = time.monotonic()
        self.server: Optional[WSGIServer] = None
        # The master's view:
        self.outdated = False  # of an older generation (HUP): replaced once the new are ready
        self.stopping_since: Optional[float] = None
        self.aborted_at: Optional[float] = None
        self.boot_timed_out = False  # aborted by the watchdog before its loop ran
        self.killed = False
        self.seen_ready = False
        self._signals: Optional[SignalQueue] = None
        self.signal_mask: set = set()  # the master's mask before fork, restored in the child
        self._master_wake: Optional[int] = None

    @property
    def state(self) -> int:
        return int(self.slot.get("state"))

    def __repr__(self) -> str:
        return f"<Worker pid={self.pid} age={self.age} generation={self.generation}>"

    # -- in the master --
    def send(self, signum: int) -> None:
        try:
            os.kill(self.pid, signum)
        except ProcessLookupError:
            pass

    # -- in the child --
    def run_in_child(self, arbiter: Arbiter) -> None:
        """The worker process's whole life; never returns."""
        code = 1
        try:
            code = self._live(arbiter)
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        except BaseException:
            error_log.exception("worker %d failed", os.getpid())
        finally:
            arbiter.call_hook("worker_exit", arbiter, self)
            logging.shutdown()
            os._exit(code)

    def _live(self, arbiter: Arbiter) -> int:
        self.pid = os.getpid()
        self.ppid = arbiter.pid
        self._master_wake = arbiter.signals.write_fd
        arbiter.signals.forget_in_child()
        arbiter.forget_in_child()
        forget_original_output()
        self._install_signals(arbiter)
        signal.pthread_sigmask(signal.SIG_SETMASK, self.signal_mask)  # blocked over fork
        arbiter.call_hook("post_fork", arbiter, self)
        try:
            server = self.factory(arbiter.sockets, dict(self.options))
        except Exception as error:  # the app's own bugs, too: one line, the master says it
            arbiter.boot_errors.report(describe_boot_error(error))
            return BOOT_ERROR
        self._prepare(server, arbiter)
        arbiter.call_hook("post_worker_init", self)
        if self.age == 1:
            arbiter.announce()  # here, so the line comes before the first request is served
        server.loop.call_soon_threadsafe(self._ready)
        server.serve_forever()
        return 0

    def _install_signals(self, arbiter: Arbiter) -> None:
        for name in IGNORED_SIGNALS:
            signal.signal(getattr(signal, name), signal.SIG_IGN)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        self._signals = SignalQueue()
        # Until the loop runs, a stop signal simply ends the booting worker.
        for sig in WORKER_SIGNALS:
            signal.signal(sig, self._on_signal_while_booting)
        signal.signal(signal.SIGABRT, lambda signum, frame: self._abort(arbiter, frame))

    def _on_signal_while_booting(self, signum: int, frame: Any) -> None:
        if signum != signal.SIGUSR1:
            raise SystemExit(0)

    def _abort(self, arbiter: Arbiter, frame: Any) -> None:
        # The handler runs on the main thread, where it was stuck: in the loop, or in
        # the app's import while booting. Where exactly is what the operator needs.
        error_log.error("worker %d aborted by the watchdog (--timeout %d); its main "
                        "thread was at:\n%s", self.pid, self.cfg.timeout, innermost_frames(frame))
        arbiter.call_hook("worker_abort", self)
        arbiter.call_hook("worker_exit", arbiter, self)
        logging.shutdown()
        os._exit(1)

    def _prepare(self, server: WSGIServer, arbiter: Arbiter) -> None:
        self.server = server
        server.hook_worker = self  # the `worker` of pre_request/post_request
        server.exclusive_accept = True
        server.runs_hooks = False  # the master ran on_starting/when_ready
        server.handles_signals = False  # the worker's signals are ours, not the server's
        server.under_master = True  # the master serves --metrics-bind, sends gunicorn.workers
        server.on_retire = self.retire  # --max-requests, stuck threads: the server counts
        assert self._signals is not None
        self._signals.install(WORKER_SIGNALS, wake_on_child=False)
        server.loop.register(self._signals.read_fd, 1, _SignalPipe(self, arbiter))
        server.loop.every_tick(self._tick)

    def _ready(self) -> None:
        self.slot.set("state", READY)
        self.slot.beat()
        nudge(self._master_wake)

    def dispatch(self, signum: int, arbiter: Arbiter) -> None:
        server = self.server
        assert server is not None
        if signum == signal.SIGTERM:
            self.slot.set("state", STOPPING)
            graceful_stop(server)
        elif signum in (signal.SIGINT, signal.SIGQUIT):
            arbiter.call_hook("worker_int", self)
            quick_stop(server)
        elif signum == signal.SIGUSR1:
            reopen_log_files()

    def _tick(self, now: float) -> None:
        server = self.server
        assert server is not None
        self.slot.beat(now)
        server.sample_gauges()
        self.slot.publish(server.stats)
        if os.getppid() != self.ppid:
            error_log.warning("worker %d: its master %d is gone; stopping", self.pid, self.ppid)
            self.ppid = os.getppid()
            quick_stop(server, grace=ORPHAN_GRACE)

    def retire(self, reason: str) -> None:
        """Ask the master for a replacement (max requests reached, stuck threads);
        this worker serves on until the replacement is ready and the master stops it."""
        if self.slot.get("state") in (BOOTING, READY):
            error_log.info("worker %d wants replacing: %s", self.pid, reason)
            self.slot.set("state", RETIRING)
            nudge(self._master_wake)


def innermost_frames(frame: Any, count: int = 8) -> str:
    """The last `count` frames of a stack, without the import system's frozen ones."""
    frames = [f for f in traceback.extract_stack(frame) if not f.filename.startswith("<")]
    return "".join(traceback.format_list(frames[-count:])).rstrip() or "(unknown)"


class _SignalPipe:
    """The worker's signal wake-up pipe in its event loop: dispatch on the loop thread."""

    def __init__(self, worker: Worker, arbiter: Arbiter) -> None:
        self.worker = worker
        self.arbiter = arbiter

    def on_events(self, events: int) -> None:
        queue = self.worker._signals
        assert queue is not None
        for signum in queue.wait(0):
            self.worker.dispatch(signum, self.arbiter)


def graceful_stop(server: WSGIServer) -> None:
    server.begin_graceful_stop()


def quick_stop(server: WSGIServer, grace: float = 0.0) -> None:
    """Stop accepting and end the connections (after `grace` seconds, when not 0)."""
    if not grace:
        server.stop_now()
        return
    server.begin_graceful_stop()
    server._deadline = min(server._deadline, time.monotonic() + grace)


def describe_boot_error(error: BaseException) -> str:
    """One line for a worker that could not load its app."""
    if isinstance(error, ConfigError):
        return str(error)
    if isinstance(error, SyntaxError):
        return f"syntax error in {error.filename}, line {error.lineno}: {error.msg}"
    where = traceback.extract_tb(error.__traceback__)
    place = f" (at {where[-1].filename}:{where[-1].lineno})" if where else ""
    return f"the app failed to load: {type(error).__name__}: {error}{place}"


class BootErrors:
    """A pipe from the workers to the master for the one line a failed boot leaves."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._lines: dict[int, str] = {}

    def report(self, line: str) -> None:
        """In a worker: one write below PIPE_BUF, so lines never interleave."""
        data = f"{os.getpid()}\t{' '.join(line.split())[:3000]}\n".encode("utf-8", "replace")
        try:
            os.write(self.write_fd, data)
        except OSError:
            print(f"wsgiserver: error: {line}", file=sys.stderr)

    def line_for(self, pid: int) -> Optional[str]:
        """In the master: what worker `pid` reported, if anything."""
        self._read()
        return self._lines.pop(pid, None)

    def _read(self) -> None:
        chunks = []
        for _ in range(64):
            try:
                data = os.read(self.read_fd, 65536)
            except (BlockingIOError, InterruptedError):
                break
            if not data:
                break
            chunks.append(data)
        for raw in b"".join(chunks).decode("utf-8", "replace").splitlines():
            pid, _, line = raw.partition("\t")
            if pid.isdigit():
                self._lines[int(pid)] = line

    def close(self) -> None:
        close_pipe(self.read_fd, self.write_fd)


def describe_status(status: int) -> str:
    """How a worker ended, from its wait status: 'exit code 3', 'killed by signal 9'."""
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"
