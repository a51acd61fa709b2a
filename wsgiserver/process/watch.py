"""File watchers for --reload: what changed under a set of watched places.

A `Watched` is what to watch: folders whose .py files count (the app's
package, found without importing it) and extra entries (a file, a folder
whose every file counts, or a glob pattern, expanded again on every look so
a file created later is seen). Two engines answer `wait(timeout)` with the
paths that changed since the last call (empty when none did):

- `PollWatcher` stats every file (mtime and size) each interval: works
  everywhere, costs a stat per file per interval.
- `InotifyWatcher` asks the kernel (inotify, through the `inotify_simple`
  package: the `reload` extra): no work until something changes, and an
  editor's save is seen at once.

`make_watcher(engine, watched)` picks one: "auto" is inotify where the
package is installed, polling otherwise.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import time
from dataclasses import dataclass, field
from typing import Iterator, Protocol

from ..errors import ConfigError

POLL_INTERVAL = 0.5  # seconds between two polls: an edit is seen within this


@dataclass
class Watched:
    code_dirs: list[str] = field(default_factory=list)  # every .py under these, recursively
    code_files: list[str] = field(default_factory=list)  # single modules
    extras: list[str] = field(default_factory=list)  # files, folders or glob patterns

    def files(self) -> Iterator[str]:
        """Every file watched now (patterns and folders are expanded again each time)."""
        for root in self.code_dirs:
            yield from (path for path in _walk(root) if path.endswith(".py"))
        yield from self.code_files
        for entry in self.extras:
            if glob.has_magic(entry):
                yield from glob.glob(entry, recursive=True)
            elif os.path.isdir(entry):
                yield from _walk(entry)
            else:
                yield entry

    def dirs(self) -> set[str]:
        """The folders to watch for a file of ours appearing or changing in them."""
        found = {d for root in self.code_dirs for d in _walk_dirs(root)}
        for entry in [*self.code_files, *self.extras]:
            if glob.has_magic(entry):
                found.update(_walk_dirs(_static_prefix(entry)))
            elif os.path.isdir(entry):
                found.update(_walk_dirs(entry))
            else:
                found.add(os.path.dirname(os.path.abspath(entry)))
        return {d for d in found if os.path.isdir(d)}

    def concerns(self, path: str) -> bool:
        """Whether a change to path (seen in a watched folder) is one of ours."""
        path = os.path.abspath(path)
        if path.endswith(".py") and any(_under(path, root) for root in self.code_dirs):
            return True
        for entry in [*self.code_files, *self.extras]:
            entry = os.path.abspath(entry)
            if path == entry or _under(path, entry) or (
                    glob.has_magic(entry) and fnmatch.fnmatch(path, entry)):
                return True
        return False


class Watcher(Protocol):
    def wait(self, timeout: float) -> set[str]: ...

    def close(self) -> None: ...


class PollWatcher:
    def __init__(self, watched: Watched, interval: float = POLL_INTERVAL) -> None:
        self.watched = watched
        self.interval = interval
        self._seen = self._snapshot()

    def _snapshot(self) -> dict[str, tuple[int, int]]:
        seen = {}
        for path in self.watched.files():
            try:
                info = os.stat(path)
            except OSError:
                continue  # gone, or not there yet
            seen[os.path.abspath(path)] = (info.st_mtime_ns, info.st_size)
        return seen

    def wait(self, timeout: float) -> set[str]:
        deadline = time.monotonic() + timeout
        while True:
            time.sleep(max(0.0, min(self.interval, deadline - time.monotonic())))
            now = self._snapshot()
            changed = {p for p in now.keys() | self._seen.keys()
                       if now.get(p) != self._seen.get(p)}
            self._seen = now
            if changed or time.monotonic() >= deadline:
                return changed

    def close(self) -> None:
        pass


class InotifyWatcher:
    def __init__(self, watched: Watched) -> None:
        import inotify_simple  # the `reload` extra; make_watcher checks it is there

        self.watched = watched
        self._flags = inotify_simple.flags
        self._mask = (self._flags.MODIFY | self._flags.CLOSE_WRITE | self._flags.CREATE
                      | self._flags.DELETE | self._flags.MOVED_TO | self._flags.MOVED_FROM
                      | self._flags.ATTRIB)
        self._inotify = inotify_simple.INotify()
        self._dirs: dict[int, str] = {}
        self._refresh()

    def _refresh(self) -> None:
        """Watch folders that appeared since (a new subpackage, a new extra's folder)."""
        known = set(self._dirs.values())
        for folder in self.watched.dirs() - known:
            try:
                self._dirs[self._inotify.add_watch(folder, self._mask)] = folder
            except OSError:
                continue  # gone already; the next refresh tries again

    def wait(self, timeout: float) -> set[str]:
        changed = set()
        for event in self._inotify.read(timeout=int(timeout * 1000)):
            folder = self._dirs.get(event.wd)
            if folder is None or not event.name:
                continue
            path = os.path.join(folder, event.name)
            if event.mask & self._flags.ISDIR:
                self._refresh()
            elif self.watched.concerns(path):
                changed.add(path)
        return changed

    def close(self) -> None:
        self._inotify.close()


def inotify_available() -> bool:
    try:
        import inotify_simple  # noqa: F401
    except ImportError:
        return False
    return True


def make_watcher(engine: str, watched: Watched) -> Watcher:
    if engine == "inotify" or (engine == "auto" and inotify_available()):
        if not inotify_available():
            raise ConfigError("--reload-engine inotify needs inotify_simple: "
                              "pip install 'wsgiserver[reload]'")
        return InotifyWatcher(watched)
    return PollWatcher(watched)


def _walk(root: str) -> Iterator[str]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
        yield from (os.path.join(folder, name) for name in files)


def _walk_dirs(root: str) -> Iterator[str]:
    for folder, dirs, _ in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
        yield os.path.abspath(folder)


def _static_prefix(pattern: str) -> str:
    """The folder part of a glob pattern before its first wildcard."""
    parts = []
    for part in pattern.split(os.sep):
        if glob.has_magic(part):
            break
        parts.append(part)
    return os.sep.join(parts) or "."


def _under(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip(os.sep) + os.sep)
