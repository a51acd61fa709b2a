"""Server hooks: callables run at points of the server's life, with gunicorn's names
and arguments. `server` is the master (`wsgiserver.process.arbiter.Arbiter`) and
`worker` a worker process's handle (`wsgiserver.process.worker.Worker`); both have
`.log` (a logger with gunicorn's `info`/`warning`/... methods) and `.cfg` (the
settings). A `WSGIServer` run by itself, without a master, passes itself as
`server` to the hooks it runs. Each may be a callable or 'module:name'."""

from __future__ import annotations

from .base import HOOKS, Setting
from .validators import callable_hook

# (name, arguments, when it runs)
HOOK_TABLE = (
    ("on_starting", "server", "in the master, before the workers are forked"),
    ("on_reload", "server", "in the master, on HUP, before the new workers start"),
    ("when_ready", "server", "once the server listens, before it serves"),
    ("pre_fork", "server, worker", "in the master, just before a worker is forked"),
    ("post_fork", "server, worker", "in the worker, just after it is forked"),
    ("post_worker_init", "worker", "in the worker, after it has loaded the app"),
    ("worker_int", "worker", "in the worker, when it gets INT or QUIT"),
    ("worker_abort", "worker", "in the worker, when the watchdog sends it SIGABRT"),
    ("pre_exec", "server", "in the new master of a USR2 upgrade, before exec"),
    ("pre_request", "worker, req", "before the app is called for a request"),
    ("post_request", "worker, req, environ, resp", "after the app's response is sent"),
    ("child_exit", "server, worker", "in the master, when a worker has exited"),
    ("worker_exit", "server, worker", "in the worker, just before it exits"),
    ("nworkers_changed", "server, new_value, old_value",
     "in the master, when the number of workers is set: at start (old_value None), "
     "on TTIN, TTOU and HUP (back to --workers)"),
    ("on_exit", "server", "in the master, just before it exits"),
)

SETTINGS = tuple(
    Setting(name, HOOKS, (), callable_hook, None,
            f"called as {name}({arguments}) {when} (a callable, or 'module:name'; "
            "from Python or a config file)")
    for name, arguments, when in HOOK_TABLE)
