"""`--reload`: restart the workers gracefully when the app's code changes.

A service of the master (start(arbiter), stop()): a daemon thread waits on a
watcher (process/watch.py) and, when a watched file changes, queues SIGHUP,
the same graceful reload `kill -HUP` asks for: the master boots new workers
that import the code afresh and stops the old ones only once the new ones
are up, so if the new code fails to import the old workers keep serving.

The master never imports the app (its workers do, after the fork), so the
files to watch are found without importing anything: the app's top-level
package (every .py under its folder), or for a lone module the .py files
beside it, plus --reload-extra-file entries.

A changed .py file is compiled first (compile(), which runs nothing): a
syntax error is logged once, traceback and all, and no reload is asked
for; the old workers keep serving until the next save fixes it. Errors
that only importing shows (a NameError at module level, a missing import)
are the master's to survive: its new workers fail to boot and the old
ones stay.
"""

from __future__ import annotations

import glob
import importlib.machinery
import logging
import os
import signal
import sys
import threading
import traceback
from typing import Any, Iterable, Optional

from .control import ControlServer
from .watch import Watched, make_watcher

error_log = logging.getLogger("wsgiserver.error")

SETTLE = 0.1  # seconds to gather a burst of writes (an editor's save) into one reload
MAX_SETTLE = 10  # SETTLE periods at most: a file rewritten without pause still reloads
WAIT = 0.5  # the thread looks at its stop flag at least this often


def app_sources(spec: Optional[str], extra_files: Iterable[str] = ()) -> Watched:
    """What to watch for the app named MODULE[:NAME], found without importing it."""
    watched = Watched(extras=[os.path.abspath(e) for e in extra_files])
    if not spec:
        return watched
    top = spec.partition(":")[0].split(".")[0].strip()
    found = importlib.machinery.PathFinder.find_spec(top, [os.getcwd(), *sys.path])
    if found is None:
        error_log.warning("--reload: cannot find module %r; watching only the extra files", top)
    elif found.submodule_search_locations:
        watched.code_dirs = [os.path.abspath(p) for p in found.submodule_search_locations]
    elif found.origin and found.origin.endswith(".py"):
        folder = os.path.dirname(os.path.abspath(found.origin))
        watched.code_files = sorted(glob.glob(os.path.join(glob.escape(folder), "*.py")))
    return watched


def syntax_error(path: str) -> Optional[str]:
    """The traceback text of a .py file that does not compile, or None."""
    if not path.endswith(".py"):
        return None
    try:
        with open(path, "rb") as source:
            compile(source.read(), path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        return "".join(traceback.format_exception_only(type(error), error)).rstrip()
    except OSError:
        return None  # deleted: importing will say what is missing
    return None


class Reloader:
    def __init__(self, spec: Optional[str], extra_files: Iterable[str] = (),
                 engine: str = "auto") -> None:
        self.spec = spec
        self.extra_files = list(extra_files)
        self.engine = engine
        self.reloads = 0
        self.broken: dict[str, str] = {}  # path -> the syntax error last logged for it
        self._arbiter: Any = None
        self._stopping = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._watcher: Any = None

    def start(self, arbiter: Any) -> None:
        self._arbiter = arbiter
        watched = app_sources(self.spec, self.extra_files)
        self._watcher = make_watcher(self.engine, watched)
        self._thread = threading.Thread(target=self._run, name="wsgiserver-reloader",
                                        daemon=True)
        self._thread.start()
        error_log.info("--reload: watching %s (%s)", _describe(watched),
                       type(self._watcher).__name__.removesuffix("Watcher").lower())

    def after_fork(self) -> None:
        """In a new worker: close its copy of the watcher (an inotify fd); the thread
        that reads it is the master's and does not exist here."""
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.close()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(WAIT + SETTLE + 1)
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            changed = self._watcher.wait(WAIT)
            if changed and not self._stopping.is_set():
                self.on_change(changed | self._settle())

    def _settle(self) -> set[str]:
        """What else changes until SETTLE passes quietly: a save is truncate, write,
        close, and a writer paused between them must not give two reloads."""
        more: set[str] = set()
        for _ in range(MAX_SETTLE):
            got = self._watcher.wait(SETTLE)
            if not got:
                break
            more |= got
        return more

    def on_change(self, changed: set[str]) -> bool:
        """Queue a graceful reload unless a changed file does not compile; whether it did."""
        errors = {path: text for path in sorted(changed)
                  if (text := syntax_error(path)) is not None}
        for path in changed - errors.keys():
            self.broken.pop(path, None)
        for path, text in errors.items():
            if self.broken.get(path) != text:  # once per error, not once per save
                error_log.error("--reload: %s does not compile; still serving the last "
                                "good code until it is fixed:\n%s", path, text)
            self.broken[path] = text
        if errors or self.broken:
            return False
        error_log.info("--reload: %s changed; reloading the workers",
                       ", ".join(os.path.relpath(p) for p in sorted(changed)))
        self.reloads += 1
        self._arbiter.queue_signal(signal.SIGHUP)
        return True


def _describe(watched: Watched) -> str:
    parts = [f"{d}/**.py" for d in watched.code_dirs] + watched.code_files + watched.extras
    return ", ".join(parts) if parts else "nothing"


def master_services(config: Any, app_spec: Optional[str]) -> list:
    """The services --control-socket and --reload add to a master (none by default)."""
    services: list = []
    if config.control_socket:
        services.append(ControlServer(config.control_socket, config.control_socket_mode))
    if config.reload:
        if config.preload_app:
            error_log.warning("--reload with --preload: the workers are forked from the "
                              "app the master imported, so a reload restarts them on the "
                              "old code")
        services.append(Reloader(app_spec, config.reload_extra_files or (),
                                 config.reload_engine))
    return services
