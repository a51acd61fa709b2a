"""The master process (gunicorn's arbiter): binds the sockets, then only supervises.

Signal handlers only queue (`signals.SignalQueue`); one loop takes the queue,
dispatches each signal through `handlers` (a dict {SIGHUP: handle_hup, ...}
others may add to), reaps exited workers, runs the watchdog and keeps the
number of workers right. The server of one process knows nothing of this.

Signals: TERM graceful stop (the master closes its listening sockets at once,
so new connections are refused, not accepted and reset); INT, QUIT quick stop
(also escalates a graceful one); HUP reload (re-read the options, start new
workers, stop the old ones once every new one is ready; if a new one cannot
boot the old ones keep serving; a changed --bind is bound first, as
process/sockets.py says); TTIN/TTOU one worker more/fewer (never below
1); USR1 reopen log files here and in the workers; WINCH stop every worker but
keep the master (ignored while the master is in the foreground of a terminal,
where resizing the window sends it); USR2, the binary upgrade, is
process/startup.py's MasterMechanics, a service that adds itself to `handlers`.

Workers: one that dies is replaced; one that wants replacing (RETIRING on the
scoreboard: --max-requests, stuck threads) gets its replacement first and is
stopped once the replacement is ready; one whose loop stops beating for
--timeout seconds gets SIGABRT (its `worker_abort` hook runs) and, if still
there a little later, SIGKILL (process/heartbeat.py). A worker that fails to load
its app at first boot (or has not loaded it after --timeout) stops the master with
exit status 2 (`failure` holds its line).

The API for services running in the master (metrics, control socket) and for
hooks: `services` (objects with start(arbiter) and stop(), started once the
sockets are bound, stopped at exit; an optional after_fork() runs in each new
worker, to close what the worker must not hold; an optional tick(now) runs at
each of the master's wake-ups, at least once every LOOP_WAIT), `queue_signal(signum)`
(thread-safe), `add_workers(n)` / `remove_workers(n)` (thread-safe),
`workers` (pid → Worker: .pid, .slot, .age, .started, .generation),
`num_workers`, `counters` (worker_restarts, watchdog_kills, boot_failures,
reloads), `cfg`, `options`, `log`, `pid`, `scoreboard`, `sockets`,
`call_hook(name, *args)`, `handlers`, `on_other_child(pid, status)` for a
child that is not a worker (a USR2 upgrade's new master), and `unlink_sockets`
(False while another master serves on the same unix socket files).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from typing import Any, Callable, Optional

from ..errors import ConfigError
from ..net.listeners import url_for
from ..observe.log import reconfigure_logging, reopen_log_files
from ..settings import Config
from . import hup
from .heartbeat import abort_silent, kill, kill_overdue
from .scoreboard import BOOTING, READY, RETIRING, STOPPING, Scoreboard
from .signals import MASTER_SIGNALS, SIGNAL_NAMES, SignalQueue, in_terminal_foreground
from .sockets import MasterSockets
from .worker import BOOT_ERROR, BootErrors, ServerFactory, Worker, describe_status

error_log = logging.getLogger("wsgiserver.error")

LOOP_WAIT = 1.0  # the longest the master sleeps between looks at its workers
QUICK_STOP_GRACE = 2.0  # seconds a quick stop waits before SIGKILL
STOP_MARGIN = 2.0  # beyond --graceful-timeout before a stopping worker gets SIGKILL
RESPAWN_PAUSE = 1.0  # a worker that dies this young is replaced only after this long
MAX_RESPAWN_PAUSE = 30.0


# What would start workers or sockets again after the listeners closed (gunicorn's
# master, busy in its stop, does not look at signals then either).
NOT_WHILE_STOPPING = {signal.SIGHUP, signal.SIGTTIN, signal.SIGTTOU, signal.SIGWINCH,
                      signal.SIGUSR2}

# What the master blocks across fork (its own signals, and SIGCHLD, which it also handles).
FORK_BLOCKED = {*MASTER_SIGNALS, signal.SIGCHLD}

class Arbiter:
    """The master: see the module docstring for its signals and its API."""

    def __init__(self, factory: ServerFactory, options: dict[str, Any],
                 bind: Callable[[Config], list[socket.socket]],
                 read_options: Optional[Callable[[], dict[str, Any]]] = None,
                 cfg: Optional[Config] = None) -> None:
        self.factory = factory
        self.options = dict(options)
        self.cfg = cfg or Config.from_options(**self.options)
        self.bind = bind
        self.read_options = read_options  # None: HUP restarts the workers, same settings
        self.log = error_log
        self.pid = os.getpid()
        self.listeners = MasterSockets()
        self.scoreboard = Scoreboard()
        self.signals = SignalQueue()
        self.boot_errors = BootErrors()
        self.workers: dict[int, Worker] = {}
        self.num_workers = workers_wanted(self.cfg, self.options)
        self.services: list[Any] = []
        self.unlink_sockets = True
        self.counters = {"worker_restarts": 0, "watchdog_kills": 0, "boot_failures": 0,
                         "reloads": 0}
        self.handlers: dict[int, Callable[[], None]] = {
            signal.SIGTERM: self.handle_term, signal.SIGINT: self.handle_int,
            signal.SIGQUIT: self.handle_quit, signal.SIGHUP: self.handle_hup,
            signal.SIGTTIN: self.handle_ttin, signal.SIGTTOU: self.handle_ttou,
            signal.SIGUSR1: self.handle_usr1, signal.SIGWINCH: self.handle_winch}
        self.announce: Callable[[], None] = lambda: None  # by worker 1, app loaded
        self.stopping: Optional[str] = None  # None, "graceful" or "quick"
        self.exit_code = 0
        self.failure: Optional[str] = None  # the boot error that stopped the master
        self.generation = 0
        self.ever_ready = False
        self._reload_from: Optional[hup.Restore] = None
        self._stop_deadline = 0.0
        self._next_age = 0
        self._respawn_at = 0.0
        self._respawn_pause = RESPAWN_PAUSE
        self._in_child = False
        self._last_boot_error: Optional[str] = None

    # -- the API for services and hooks --
    @property
    def sockets(self) -> list[socket.socket]:
        """The listening sockets the workers serve."""
        return self.listeners.current

    def queue_signal(self, signum: int) -> None:
        """Act as if the master got `signum` (thread-safe)."""
        self.signals.put(signum)

    def add_workers(self, count: int = 1) -> None:
        for _ in range(count):
            self.queue_signal(signal.SIGTTIN)

    def remove_workers(self, count: int = 1) -> None:
        for _ in range(count):
            self.queue_signal(signal.SIGTTOU)

    def call_hook(self, name: str, *args: Any) -> None:
        """Run a hook from the settings; an Exception is logged, not fatal (SystemExit
        is how on_starting, when_ready, post_fork and post_worker_init stop start-up)."""
        hook = getattr(self.cfg, name)
        if hook is None:
            return
        try:
            hook(*args)
        except Exception:
            error_log.exception("error in the %s hook", name)

    def on_other_child(self, pid: int, status: int) -> None:
        """A child that is not a worker has exited (replaced by the upgrade's code)."""

    # -- running --
    def run(self) -> int:
        """Bind, start the workers, supervise until stopped; the exit status."""
        self.signals.install()
        try:
            self.call_hook("nworkers_changed", self, self.num_workers, None)  # as gunicorn's
            self.call_hook("on_starting", self)
            self.listeners.adopt(self.bind(self.cfg))
            for service in self.services:
                service.start(self)
            # After the services, as gunicorn's after its pidfile: the pidfile exists, and
            # under --daemon this is the detached master (a thread started here lives on).
            self.call_hook("when_ready", self)
            self._supervise()
        finally:
            self._finish()
        return self.exit_code

    def _supervise(self) -> None:
        self._manage_workers(time.monotonic())  # the first workers now, not after a wait
        while True:
            for signum in self.signals.wait(LOOP_WAIT):
                self._dispatch(signum)
            self._reap()
            now = time.monotonic()
            self._tick_services(now)
            if self.stopping:
                if not self.workers:
                    return
                self._enforce_stop(now)
                continue
            self._watchdog(now)
            self._manage_workers(now)

    def _tick_services(self, now: float) -> None:
        for service in self.services:
            tick = getattr(service, "tick", None)
            if tick is not None:
                try:
                    tick(now)
                except Exception:
                    error_log.exception("error in %r's tick", service)

    def _dispatch(self, signum: int) -> None:
        handler = self.handlers.get(signum)
        if handler is None:
            return
        name = SIGNAL_NAMES.get(signum, signum)
        if self.stopping and signum in NOT_WHILE_STOPPING:
            error_log.info("master got %s while stopping: ignored", name)
            return
        error_log.info("master got %s", name)
        try:
            handler()
        except Exception:
            error_log.exception("error handling %s", SIGNAL_NAMES.get(signum, signum))

    def _finish(self) -> None:
        if self._in_child:
            return
        for worker in list(self.workers.values()):
            worker.send(signal.SIGKILL)
        self._reap(block=True)
        for service in reversed(self.services):
            try:
                service.stop()
            except Exception:
                error_log.exception("error stopping %r", service)
        self.call_hook("on_exit", self)
        self._close_listeners()
        self.signals.restore()
        self.signals.close()
        self.boot_errors.close()

    def forget_in_child(self) -> None:
        """In a new worker: nothing of the master's runs there."""
        self._in_child = True
        os.close(self.boot_errors.read_fd)
        self.listeners.forget_unused()
        for service in self.services:
            after_fork = getattr(service, "after_fork", None)
            if after_fork is not None:
                after_fork()

    # -- signals --
    def handle_term(self) -> None:
        self.begin_stop(graceful=True)

    def handle_int(self) -> None:
        self.begin_stop(graceful=False)

    handle_quit = handle_int

    def handle_hup(self) -> None:
        self.reload()

    def handle_ttin(self) -> None:
        self._set_num_workers(self.num_workers + 1)

    def handle_ttou(self) -> None:
        if self.num_workers <= 1:
            error_log.info("TTOU: keeping the last worker")
            return
        self._set_num_workers(self.num_workers - 1)

    def handle_usr1(self) -> None:
        reopen_log_files()
        for worker in self.workers.values():
            worker.send(signal.SIGUSR1)

    def handle_winch(self) -> None:
        if in_terminal_foreground():
            error_log.info("WINCH ignored: the master runs in a terminal (a window resize)")
            return
        error_log.info("WINCH: stopping every worker; HUP or TTIN starts them again")
        self._set_num_workers(0)

    def _set_num_workers(self, count: int) -> None:
        old, self.num_workers = self.num_workers, count
        self.call_hook("nworkers_changed", self, count, old)

    def begin_stop(self, graceful: bool) -> None:
        """Stop the workers (TERM, or QUIT for a quick stop) and then the master."""
        if graceful and self.stopping:
            return
        first = self.stopping is None
        self.stopping = "graceful" if graceful else "quick"
        if first:
            self._close_listeners()  # refused from now on, never accepted and reset
        now = time.monotonic()
        grace = self.cfg.graceful_timeout + STOP_MARGIN if graceful else QUICK_STOP_GRACE
        self._stop_deadline = now + grace if first else min(self._stop_deadline, now + grace)
        for worker in self.workers.values():
            self._stop_worker(worker, signal.SIGTERM if graceful else signal.SIGQUIT, now)

    def _close_listeners(self) -> None:
        self.listeners.close_all(self.unlink_sockets)

    def _enforce_stop(self, now: float) -> None:
        if now < self._stop_deadline:
            return
        for worker in self.workers.values():
            if not worker.killed:
                error_log.warning("worker %d still running after the stop deadline: "
                                  "killing it", worker.pid)
                kill(worker)

    # -- reload --
    def reload(self) -> None:
        """HUP: new settings and new workers; the old stop once the new are all ready."""
        try:
            options = self.read_options() if self.read_options else self.options
            cfg = Config.from_options(**options) if self.read_options else self.cfg
            sockets = hup.prepare(self.listeners, self.cfg, cfg, self.read_options is not None)
        except (ConfigError, SystemExit) as error:
            error_log.error("reload failed, keeping the current settings: %s", error)
            return
        if self._reload_from is None:
            self._reload_from = hup.Restore(self.cfg, self.options, self.num_workers,
                                            self.sockets, self.generation)
        if sockets is not None:
            self.listeners.adopt(sockets)
            error_log.info("listening at %s from now on", ", ".join(map(url_for, sockets)))
        self.cfg, self.options = cfg, dict(options)
        self._set_num_workers(workers_wanted(cfg, self.options))
        self.generation += 1
        self.counters["reloads"] += 1
        for worker in self.workers.values():
            worker.outdated = True
        self.call_hook("on_reload", self)
        self._respawn_at = 0.0

    def _revert_reload(self, line: str) -> None:
        assert self._reload_from is not None
        error_log.error("reload failed: a new worker could not boot (%s); "
                        "the old workers keep serving", line)
        failed, restore = self.cfg, self._reload_from
        self._reload_from = None
        self.cfg, self.options = restore.cfg, restore.options
        self._set_num_workers(restore.num_workers)  # nworkers_changed says so too
        try:
            if self.read_options is not None:  # logging was set up from the settings
                reconfigure_logging(failed, self.cfg)
        except ConfigError as error:  # the old log file cannot be reopened: keep the new
            error_log.error("keeping the new logging settings: %s", error)
        self.listeners.adopt(restore.sockets)
        self.listeners.drop_unused(self.unlink_sockets)
        now = time.monotonic()
        failed_workers = restore.of_failed_reloads(self.workers.values())
        for worker in self.workers.values():
            if worker in failed_workers:
                self._stop_worker(worker, signal.SIGQUIT, now)
            else:
                worker.outdated = False
        self.generation += 1  # a later respawn is of the restored settings

    # -- workers --
    def spawn(self) -> Worker:
        """Fork one worker of the current generation."""
        self._next_age += 1
        worker = Worker(self._next_age, self.cfg, self.options, self.factory,
                        self.generation, self.scoreboard.claim())
        self.call_hook("pre_fork", self, worker)
        # Held back across fork: until the child has its own handlers, a signal must not
        # run the master's (queueing into the master's pipe, or raising in the middle
        # of logging's at-fork lock handling); the child unblocks once it has them.
        worker.signal_mask = signal.pthread_sigmask(signal.SIG_BLOCK, FORK_BLOCKED)
        pid = os.fork()
        if pid == 0:
            worker.run_in_child(self)  # never returns
        signal.pthread_sigmask(signal.SIG_SETMASK, worker.signal_mask)
        worker.pid = pid
        worker.slot.set("pid", pid)
        self.workers[pid] = worker
        return worker

    def _stop_worker(self, worker: Worker, signum: int, now: float) -> None:
        if worker.stopping_since is None or signum != signal.SIGTERM:
            worker.stopping_since = worker.stopping_since or now
            worker.send(signum)

    def _manage_workers(self, now: float) -> None:
        self._note_ready()
        live = [w for w in self.workers.values() if w.stopping_since is None]
        counted = [w for w in live if not w.outdated and w.state not in (RETIRING, STOPPING)]
        missing = self.num_workers - len(counted)
        if missing > 0 and now >= self._respawn_at:
            for _ in range(missing):
                self.spawn()
        elif missing < 0:
            for worker in sorted(counted, key=lambda w: w.age)[:-missing]:
                self._stop_worker(worker, signal.SIGTERM, now)
        ready = [w for w in counted if w.state == READY]
        if len(ready) >= self.num_workers:  # the full set is serving: retire the rest
            if self._reload_from is not None:
                self._reload_from = None
                self.listeners.drop_unused(self.unlink_sockets)
            for worker in live:
                if worker.outdated or worker.state == RETIRING:
                    self._stop_worker(worker, signal.SIGTERM, now)
        kill_overdue(self.workers.values(), self.cfg.graceful_timeout + STOP_MARGIN, now)

    def _note_ready(self) -> None:
        for worker in self.workers.values():
            if not worker.seen_ready and worker.state not in (BOOTING,):
                worker.seen_ready = True
                self._respawn_pause = RESPAWN_PAUSE
                self._last_boot_error = None
                self.ever_ready = True

    def _watchdog(self, now: float) -> None:
        if self.cfg.timeout:
            self.counters["watchdog_kills"] += abort_silent(self.workers.values(),
                                                            self.cfg.timeout, now)

    # -- exits --
    def _reap(self, block: bool = False) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, 0 if block and self.workers else os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            worker = self.workers.pop(pid, None)
            if worker is None:
                self.on_other_child(pid, status)
            else:
                self._worker_exited(worker, status)

    def _worker_exited(self, worker: Worker, status: int) -> None:
        state = worker.state
        self.scoreboard.release(worker.slot)
        self.call_hook("child_exit", self, worker)
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == BOOT_ERROR and state == BOOTING:
            self._boot_failed(worker, self.boot_errors.line_for(worker.pid))
        elif worker.boot_timed_out:
            self._boot_failed(worker, f"worker {worker.pid} had not loaded the app after "
                                      f"--timeout {self.cfg.timeout} s")
        elif worker.stopping_since is None and not self.stopping:
            error_log.error("worker %d exited (%s); starting a new one", worker.pid,
                            describe_status(status))
            self.counters["worker_restarts"] += 1
            if time.monotonic() - worker.started < RESPAWN_PAUSE:
                self._respawn_at = time.monotonic() + RESPAWN_PAUSE  # no spinning
        else:
            error_log.debug("worker %d exited (%s)", worker.pid, describe_status(status))

    def _boot_failed(self, worker: Worker, line: Optional[str]) -> None:
        line = line or f"worker {worker.pid} failed to boot"
        self.counters["boot_failures"] += 1
        if self.stopping or worker.stopping_since is not None:
            return
        self._note_ready()
        line = self._first_time(line)
        if self._reload_from is not None and worker.generation == self.generation:
            self._revert_reload(line)
        elif not self.ever_ready:
            self.failure = line
            self.exit_code = 2
            self.begin_stop(graceful=False)
        else:
            error_log.error("a new worker could not boot (%s); trying again in %.0f s",
                            line, self._respawn_pause)
            self._respawn_at = time.monotonic() + self._respawn_pause
            self._respawn_pause = min(self._respawn_pause * 2, MAX_RESPAWN_PAUSE)

    def _first_time(self, line: str) -> str:
        """A boot error in full once, until a worker boots: a retry or a reload that
        fails the same way says so in a few words (broken code on disk under --reload
        would otherwise log its error at every back-off)."""
        if line == self._last_boot_error:
            return "the same error as before"
        self._last_boot_error = line
        return line


def workers_wanted(cfg: Config, options: dict) -> int:
    """--workers, else $WEB_CONCURRENCY (as gunicorn), at least 1."""
    if "workers" not in options and os.environ.get("WEB_CONCURRENCY", "").isdigit():
        return max(1, int(os.environ["WEB_CONCURRENCY"]))
    return max(1, cfg.workers)
