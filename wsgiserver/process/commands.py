"""What the control socket can be asked (`wsgiserver ctl help` lists it).

`Commands(arbiter).run(words)` answers one command with JSON-ready data, or
raises CommandError with a one-line message for the person who typed it.
It reads the master's state (its workers, the scoreboard the workers write,
its config) and changes it only through the arbiter's thread-safe doors:
queue_signal() and add_workers()/remove_workers(). The answer goes back as
soon as the signal is queued; the master acts on it in its own loop, as it
would on a signal sent with kill.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any, Callable

from .scoreboard import STATE_NAMES

MAX_STEP = 64  # workers added or removed by one command: a typo of 1000 is refused

HELP = {
    "show workers": "each worker: pid, age, state, requests served, seconds since its heartbeat",
    "show stats": "the master and the totals of its workers' counters",
    "show config": "every setting's value in this master",
    "worker add [N]": "start N more workers (default 1)",
    "worker remove [N]": "stop N workers gracefully, the oldest first (default 1)",
    "reload": "re-read the settings, start new workers with freshly imported code, then "
              "stop the old ones (SIGHUP; the count is --workers' again)",
    "reopen": "reopen the log files (SIGUSR1)",
    "shutdown [graceful|quick]": "stop the server: finish requests (SIGTERM) or not (SIGINT)",
    "help": "this list",
}


class CommandError(Exception):
    """A person's mistake: an unknown command or a bad argument."""


class Commands:
    def __init__(self, arbiter: Any) -> None:
        self.arbiter = arbiter
        self.table: dict[tuple[str, ...], Callable[[list[str]], Any]] = {
            ("show", "workers"): self.show_workers, ("show", "stats"): self.show_stats,
            ("show", "config"): self.show_config, ("worker", "add"): self.worker_add,
            ("worker", "remove"): self.worker_remove, ("reload",): self.reload,
            ("reopen",): self.reopen, ("shutdown",): self.shutdown, ("help",): self.help,
        }

    def run(self, words: list[str]) -> Any:
        words = [word.lower() for word in words]
        for size in (2, 1):
            handler = self.table.get(tuple(words[:size]))
            if handler is not None:
                return handler(words[size:])
        raise CommandError(f"unknown command {' '.join(words)!r} (try: help)")

    # -- reading --
    def show_workers(self, args: list[str]) -> dict:
        _no_arguments("show workers", args)
        now = time.monotonic()
        # A copy (one C call under the GIL): the master's loop changes the dict meanwhile.
        workers = dict(self.arbiter.workers)
        rows = [worker_row(pid, worker, now) for pid, worker in workers.items()]
        rows.sort(key=lambda row: row["age"])
        return {"workers": rows, "count": len(rows)}

    def show_stats(self, args: list[str]) -> dict:
        _no_arguments("show stats", args)
        totals = self.arbiter.scoreboard.totals()
        requests = int(totals.get("requests", 0))
        stats = {
            "master_pid": os.getpid(),
            "workers": len(self.arbiter.workers),
            "requests": requests,
            "mean_duration_ms": round(1000 * totals.get("duration_sum", 0) / requests, 3)
            if requests else None,
        }
        stats.update({name: int(value) for name, value in totals.items()
                      if name.startswith("status_") or name in
                      ("open_connections", "busy_threads", "queued")})
        stats.update(_counters(getattr(self.arbiter, "counters", None)))
        return stats

    def show_config(self, args: list[str]) -> dict:
        _no_arguments("show config", args)
        values = self.arbiter.cfg.values
        return {name: json_safe(value) for name, value in sorted(values.items())}

    def help(self, args: list[str]) -> dict:
        return {"commands": HELP}

    # -- acting --
    def worker_add(self, args: list[str]) -> dict:
        count = _count("worker add", args)
        adder = getattr(self.arbiter, "add_workers", None)
        if adder is not None:
            adder(count)
        else:
            self._queue(signal.SIGTTIN, count)
        return {"message": f"adding {count} worker{'s' * (count != 1)}"}

    def worker_remove(self, args: list[str]) -> dict:
        count = _count("worker remove", args)
        # The count asked for, not the processes now alive (some may be stopping).
        wanted = getattr(self.arbiter, "num_workers", len(self.arbiter.workers))
        if count >= wanted:
            raise CommandError(f"cannot remove {count} of {wanted} "
                               "workers: at least one must stay (use shutdown)")
        remover = getattr(self.arbiter, "remove_workers", None)
        if remover is not None:
            remover(count)
        else:
            self._queue(signal.SIGTTOU, count)
        return {"message": f"removing {count} worker{'s' * (count != 1)}"}

    def reload(self, args: list[str]) -> dict:
        _no_arguments("reload", args)
        self._queue(signal.SIGHUP)
        return {"message": "reloading: new workers start, then the old ones stop"}

    def reopen(self, args: list[str]) -> dict:
        _no_arguments("reopen", args)
        self._queue(signal.SIGUSR1)
        return {"message": "reopening the log files"}

    def shutdown(self, args: list[str]) -> dict:
        mode = args[0] if args else "graceful"
        if len(args) > 1 or mode not in ("graceful", "quick"):
            raise CommandError("usage: shutdown [graceful|quick]")
        self._queue(signal.SIGTERM if mode == "graceful" else signal.SIGINT)
        return {"message": f"shutting down ({mode})"}

    def _queue(self, signum: int, times: int = 1) -> None:
        for _ in range(times):
            self.arbiter.queue_signal(signum)


def worker_row(pid: int, worker: Any, now: float) -> dict:
    """One line of `show workers`, from the worker's scoreboard slot."""
    slot = worker.slot
    heartbeat = slot.get("heartbeat")
    started = slot.get("started") or getattr(worker, "started", now)
    return {
        "pid": pid,
        "age": getattr(worker, "age", 0),
        "state": STATE_NAMES.get(int(slot.get("state")), "unknown"),
        "requests": int(slot.get("requests")),
        "uptime": round(now - started, 1),
        "last_heartbeat": round(now - heartbeat, 2) if heartbeat else None,
    }


def json_safe(value: Any) -> Any:
    """A setting's value as JSON: a hook by its dotted name, a tuple as a list."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if callable(value):
        name = getattr(value, "__qualname__", None) or type(value).__name__
        return f"{getattr(value, '__module__', '?')}:{name}"
    return str(value)


def _counters(counters: Any) -> dict:
    """The master's own counters (restarts, reloads...), whatever shape they come in."""
    if counters is None:
        return {}
    if not isinstance(counters, dict):
        counters = getattr(counters, "as_dict", lambda: vars(counters))()
    return {str(name): json_safe(value) for name, value in counters.items()}


def _no_arguments(command: str, args: list[str]) -> None:
    if args:
        raise CommandError(f"{command} takes no arguments, got {' '.join(args)!r}")


def _count(command: str, args: list[str]) -> int:
    if len(args) > 1 or (args and not args[0].isdigit()):
        raise CommandError(f"usage: {command} [N], N a whole number from 1 to {MAX_STEP}")
    count = int(args[0]) if args else 1
    if not 1 <= count <= MAX_STEP:
        raise CommandError(f"usage: {command} [N], N a whole number from 1 to {MAX_STEP}")
    return count
