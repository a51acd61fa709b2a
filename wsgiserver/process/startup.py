"""The server-mechanics settings put to work at the right moments of a master's
life: `prepare` before the app loads (the CLI calls it), and `MasterMechanics`,
a master service (process/arbiter.py's services API): `start` once the sockets
are bound (daemon, pidfile, title, the USR2 handler), `tick` at each of the
master's wake-ups (promotion after an upgrade), `after_fork` in each worker
(user, group, title), `child_exited` for the upgrade's new master, `stop`.

The pidfile across an upgrade, as a runbook expects it: FILE names the old
master until it exits; the new master writes FILE.2. When the old master exits
while its new master lives, it moves FILE.2 onto FILE (one rename, so FILE
never goes missing) and the new master, seeing itself promoted, owns FILE. If
the new master dies instead, the old one removes FILE.2 and keeps FILE.
"""

from __future__ import annotations

import logging
import os
import signal
from typing import Any, Optional

from .daemon import daemonize
from .identity import (
    apply_env,
    apply_umask,
    change_directory,
    check_can_switch,
    drop_privileges,
    prepend_pythonpath,
)
from .pidfile import Pidfile
from .title import announce_titles, set_title
from .upgrade import forget_old_master, old_master, promoted, remember_start, start_new_master

error_log = logging.getLogger("wsgiserver.error")

UPGRADE_SUFFIX = ".2"


def prepare(config: Any) -> None:
    """Before the app loads: the umask, --env, --chdir, --pythonpath; and the
    mistakes better caught on the terminal (a held pidfile, -u without root)."""
    remember_start()
    apply_umask(config.umask)
    apply_env(config.raw_env)
    change_directory(config.chdir)
    prepend_pythonpath(config.pythonpath)
    check_can_switch(config.user, config.group)
    if config.pidfile:
        Pidfile(pidfile_path(config.pidfile)).check()
    announce_titles(config.proc_name)


def pidfile_path(pidfile: str) -> str:
    return pidfile + UPGRADE_SUFFIX if old_master() else pidfile


class MasterMechanics:
    """The master's pidfile, title, daemon mode and USR2; the workers' identity.
    It must be the first service: --daemon forks, and a thread another service
    started before would not survive that."""

    def __init__(self) -> None:
        self.arbiter: Any = None
        self.pidfile: Optional[Pidfile] = None
        self.old_master = old_master()  # set while this master is an upgrade's new one
        self.new_master = 0  # the pid of the new master a USR2 started

    def start(self, arbiter: Any) -> None:
        """Once bound: detach (--daemon), write the pidfile, retitle, take USR2."""
        self.arbiter = arbiter
        cfg = arbiter.cfg
        if cfg.daemon:
            daemonize(_log_file(cfg))
            arbiter.pid = os.getpid()  # the workers' parent is the daemon
        if cfg.pidfile:
            self.pidfile = Pidfile(pidfile_path(cfg.pidfile))
            self.pidfile.create()
        self._retitle()
        # Unpromoted, the unix socket files are still the old master's too (a rollback
        # stops this master while the old one serves on).
        arbiter.unlink_sockets = not self.old_master
        arbiter.handlers[signal.SIGUSR2] = self.upgrade
        arbiter.on_other_child = self.child_exited

    def _retitle(self) -> None:
        name = self.arbiter.cfg.proc_name
        if name and self.old_master:
            name += UPGRADE_SUFFIX
        set_title("master", name)

    def after_fork(self) -> None:
        """In a new worker, before it loads the app: give up root, retitle."""
        cfg = self.arbiter.cfg  # the current settings: HUP may have changed them
        drop_privileges(cfg.user, cfg.group)
        set_title("worker", cfg.proc_name)

    def tick(self, now: float) -> None:
        """Promotion: the old master is gone (this one was reparented), so this one
        is the master now. Checked at the master's wake-ups, at least once a second."""
        if not promoted(self.old_master):
            return
        error_log.info("the old master %d has exited: this is the master now",
                       self.old_master)
        self.old_master = 0
        self.arbiter.unlink_sockets = not self.new_master
        forget_old_master()
        if self.pidfile is not None:
            self.pidfile.move_to(self.arbiter.cfg.pidfile)
        self._retitle()

    def upgrade(self) -> None:
        """USR2: start a new master on the same sockets, unless one is running or
        this master is itself an upgrade not yet promoted."""
        if self.new_master:
            error_log.warning("USR2 ignored: new master %d is still running", self.new_master)
            return
        if self.old_master:
            error_log.warning("USR2 ignored: the old master %d is still running",
                              self.old_master)
            return
        arbiter = self.arbiter
        self.new_master = start_new_master(arbiter.sockets,
                                           lambda: arbiter.call_hook("pre_exec", arbiter))
        arbiter.unlink_sockets = False  # the socket files are the new master's too now
        error_log.info("USR2: started new master %d on the same sockets", self.new_master)

    def child_exited(self, pid: int, status: int) -> None:
        """The new master died: this one serves on, FILE.2 goes."""
        if pid != self.new_master:
            return
        error_log.error("new master %d exited (%s); still serving here", pid,
                        _describe(status))
        pidfile = self.arbiter.cfg.pidfile
        if pidfile:
            stale = Pidfile(pidfile + UPGRADE_SUFFIX)
            stale.pid = pid
            stale.unlink()
        self.new_master = 0
        self.arbiter.unlink_sockets = True

    def stop(self) -> None:
        """At the master's exit: hand FILE over to a living new master, or remove it."""
        if self.pidfile is None:
            return
        pidfile = self.arbiter.cfg.pidfile
        if self.new_master and _alive(self.new_master) and \
                self.pidfile.path == os.path.abspath(pidfile):
            handover = Pidfile(pidfile + UPGRADE_SUFFIX)
            handover.pid = self.new_master
            handover.move_to(pidfile)
            return
        self.pidfile.unlink()


def _log_file(config: Any) -> Optional[str]:
    """Where a daemon's stdout and stderr go: the error log file, if one is set."""
    path = config.values.get("errorlog")
    return path if path and path != "-" else None


def _alive(pid: int) -> bool:
    """Our child `pid` has not exited (reaping it if it has)."""
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return finished == 0


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"
