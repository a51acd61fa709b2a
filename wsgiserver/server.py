"""WSGIServer: binds the sockets, owns the loop, the pool and the connections."""

from __future__ import annotations

import logging
import random
import signal
import socket
import threading
import time
from time import perf_counter
from typing import Any, Callable, Optional, Union

from . import errors
from .http.exchange import ErrorTask, Task
from .http.request import Request
from .http.response import error_response
from .net import drain
from .net.caps import ClientCaps
from .net.connection import Connection
from .net.listeners import Listener, bind_socket, parse_bind, url_for
from .net.loop import EventLoop
from .observe.access import AccessFormat, Entry
from .observe.log import access_enabled, access_log, reopen_log_files
from .observe.prometheus import MetricsEndpoint, bind_endpoint, render
from .observe.stats import ServerStats
from .observe.statsd import StatsdClient, count_log_records
from .settings import Config
from .static.dispatch import StaticFiles
from .wsgi.environ import base_environ, connection_environ, request_environ, trusted_proxies
from .wsgi.hooks import HookResponse, app_after_pre_request
from .wsgi.input import StreamingBody
from .wsgi.task import AppTask
from .wsgi.threadpool import ThreadPool
from .wsgi.watchdog import DISCARD, StuckCall, Watchdog, thread_stack

error_log = logging.getLogger("wsgiserver.error")


def not_found_app(environ: dict, start_response: Callable) -> list[bytes]:
    """The app when only static files are served: 404 for everything else."""
    body = b"404 Not Found\n"
    start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8"),
                                     ("Content-Length", str(len(body)))])
    return [body]


def _check_app(app: Any) -> None:
    """Refuse what cannot be called, as the CLI does (appload.load_app), instead of a 500
    for every request; a name given as a string gets a hint where names belong."""
    if app is None or callable(app):
        return
    hint = "; pass the callable itself (MODULE:NAME strings are for the command line)" \
        if isinstance(app, str) else ""
    raise errors.ConfigError(f"the app {app!r} is not callable "
                             f"(it is a {type(app).__name__}){hint}")


class WSGIServer:
    """An epoll WSGI server. `serve_forever()` runs it; `shutdown()` stops it.

    Stopping: `begin_graceful_stop()` (SIGTERM, `shutdown()`) closes the listeners at
    once and loses no request (net/drain.py); `stop_now()` (SIGQUIT, a second SIGINT)
    closes everything at once.

    The seam to a master process (process/): `on_retire`, when set, is called as
    on_retire(reason) once, from the loop thread, when this server wants to be
    replaced ("max requests", "stuck app threads"); the server keeps serving and
    the master is expected to start a replacement, then send SIGTERM. Without a
    master (None) nothing is called and the server simply goes on. `hook_worker`
    is what the per-request hooks get as their `worker` (the process layer sets
    its worker handle; by default the server itself).
    """

    log = error_log  # what hooks get as server.log / worker.log, as gunicorn's
    cfg = property(lambda self: self.config)  # server.cfg, as gunicorn's

    def __init__(self, app: Optional[Callable] = None, host: str = "0.0.0.0",
                 port: int = 8000, sockets: Optional[list[socket.socket]] = None,
                 **options: Any) -> None:
        """Bind `host:port` (or the `bind` setting's addresses), or serve on `sockets`
        already bound and listening (a worker given its master's sockets)."""
        _check_app(app)  # before any socket is bound: a mistake leaves nothing listening
        self.config = Config.from_options(**options)
        self.app = app or not_found_app
        # With no app, every request is the static files' to answer (404.html, 405).
        self.static = StaticFiles.from_config(self.config, static_only=app is None)
        self.loop = EventLoop()
        self.pool: Optional[ThreadPool] = None
        self.connections: set[Connection] = set()
        # How a connection holds an Expect: 100-continue body: streamed to an app
        # thread that reads it as it arrives, or (inline) buffered first.
        self.streamed_body = StreamingBody if self.config.threads > 0 else None
        self.stopping = False
        self.exclusive_accept = False
        self.runs_hooks = True  # a forked worker does not: its master ran them
        self.handles_signals = True  # a worker does not: its process handles them
        self.stats = ServerStats()
        # Called as observer(connection, task) for each finished request, after
        # `stats.requests` is counted: the access log, metrics, hooks.
        self.observers: list[Callable[[Connection, Task], None]] = []
        self.statsd: Optional[StatsdClient] = None
        self._log_counter: Optional[logging.Handler] = None
        self.access_format = AccessFormat(self.config.access_log_format)
        self._stopped = threading.Event()
        self.listeners: list[Listener] = []
        self.on_retire: Optional[Callable[[str], None]] = None
        self.retiring: Optional[str] = None  # the reason on_retire was called with
        self.hook_worker: Any = self
        # --worker-connections: at this many open connections the listeners pause.
        self.connection_cap = self.config.worker_connections or float("inf")
        self.accept_paused = False
        self.accept_held = False  # retiring for stuck threads: no resuming
        self.watchdog: Optional[Watchdog] = None
        self.request_limit = float("inf")
        if self.config.max_requests > 0:
            # Chosen once, so the workers of one master do not all retire together.
            self.request_limit = self.config.max_requests + random.randint(
                0, self.config.max_requests_jitter)
            self.observers.append(self._count_toward_limit)
        self._install_request_hooks()
        # Sockets handed in (a worker's) belong to whoever bound them: closing ours
        # never unlinks.
        self.owns_sockets = sockets is None
        self.sockets = self._bind(host, port) if sockets is None else sockets
        # A worker's master serves --metrics-bind and sends gunicorn.workers
        # (process/metrics.py); a server run with no master does both itself.
        self.under_master = False
        self.metrics_endpoint: Optional[MetricsEndpoint] = None
        name, port_text = self._server_name()
        self.base_environ = base_environ(name, port_text, multithread=self.config.threads > 0,
                                         multiprocess=self.config.workers > 1)
        self.proxies = trusted_proxies(self.config.forwarded_allow_ips or "")
        self.caps = ClientCaps(self.config.limit_per_client, self.proxies)
        self.no_keep_alive = self.config.keepalive == 0  # read per request: keep it cheap

    def _bind(self, host: str, port: int) -> list[socket.socket]:
        binds = self.config.bind or [f"{host}:{port}"]
        return [bind_socket(parse_bind(b), self.config.backlog, self.config.reuse_port)
                for b in binds]

    def _server_name(self) -> tuple[str, str]:
        address = self.sockets[0].getsockname()
        if isinstance(address, tuple):
            return str(address[0]), str(address[1])
        return "localhost", "0"

    @property
    def urls(self) -> list[str]:
        return [url_for(sock) for sock in self.sockets]

    @property
    def port(self) -> int:
        return self.sockets[0].getsockname()[1]

    # -- tasks --
    def make_task(self, connection: Connection, item: Union[Request, errors.HTTPError]) -> Task:
        task = connection.task = self._task_for(connection, item)
        task.started = perf_counter()
        return task

    def _task_for(self, connection: Connection, item: Union[Request, errors.HTTPError]) -> Task:
        if isinstance(item, errors.HTTPError):
            return ErrorTask(connection, item)
        if self.no_keep_alive:
            item.keep_alive = False
        static_task = self.static.task_for(connection, item)
        if static_task is not None:
            return static_task
        base = connection.environ_base
        if base is None:
            base = connection.environ_base = connection_environ(
                self.base_environ, connection.addr, self.proxies)
        environ = request_environ(base[0], item, base[1], unix_peer=connection.unix_peer)
        return AppTask(connection, item, environ, self.app, inline=self.pool is None)

    # -- pre_request / post_request: installed only when set --
    def _install_request_hooks(self) -> None:
        if self.config.pre_request is not None:
            self._task_for = self._task_for_with_pre_request  # type: ignore[method-assign]
        if self.config.post_request is not None:
            self.observers.append(self._run_post_request)

    def _task_for_with_pre_request(self, connection: Connection,
                                   item: Union[Request, errors.HTTPError]) -> Task:
        task = WSGIServer._task_for(self, connection, item)
        if isinstance(task, AppTask):
            task.app = app_after_pre_request(task.app, self.call_hook, self.hook_worker,
                                             task.request)
        return task

    def _run_post_request(self, connection: Connection, task: Task) -> None:
        if isinstance(task, AppTask):  # static files and refused requests call no app
            self.call_hook("post_request", self.hook_worker, task.request, task.environ,
                           HookResponse(task))

    def request_finished(self, connection: Connection, task: Task) -> None:
        self.stats.requests += 1
        for observe in self.observers:
            observe(connection, task)

    def sample_gauges(self) -> None:
        """Fill the stats' gauges from what the server holds now (before they are published)."""
        stats, pool = self.stats, self.pool
        stats.open_connections = len(self.connections)
        stats.busy_threads = pool.busy if pool is not None else 0
        stats.queued = pool.queued if pool is not None else 0

    def _start_metrics(self) -> None:
        """Observers only when metrics are on, so a request costs nothing otherwise."""
        config = self.config
        if config.statsd_host is not None and self.statsd is None:
            try:
                self.statsd = StatsdClient(config.statsd_host, config.statsd_prefix,
                                           config.dogstatsd_tags)
            except OSError as error:
                error_log.warning("statsd: cannot reach %s (%s); sending no metrics",
                                  config.statsd_host, error)
            else:
                self.observers.append(self.statsd.observe)
                self._log_counter = count_log_records(error_log, self.statsd)
                if not self.under_master:
                    self.statsd.gauge("gunicorn.workers", 1)
        if config.metrics_bind is None:
            return
        if self.stats.observe not in self.observers:
            self.observers.append(self.stats.observe)
        if not self.under_master and self.metrics_endpoint is None:
            self.metrics_endpoint = bind_endpoint(config.metrics_bind, self.sockets)
            self.metrics_endpoint.start(self.metrics_page)

    def metrics_page(self) -> bytes:
        """The Prometheus page of this one process (a master renders its workers' sum)."""
        self.sample_gauges()
        return render(self.stats.totals())

    def _stop_metrics(self) -> None:
        if self.metrics_endpoint is not None:
            self.metrics_endpoint.stop()
            self.metrics_endpoint = None
        if self.statsd is not None:
            error_log.removeHandler(self._log_counter)
            self.observers.remove(self.statsd.observe)
            self.statsd.close()
            self.statsd = None

    def log_access(self, connection: Connection, task: Task) -> None:
        remote = connection.addr[0] if isinstance(connection.addr, tuple) else "-"
        entry = Entry(remote, task.request, task.status_code, task.body_sent,
                      task.response_headers, perf_counter() - task.started,
                      lambda: self._environ_of(connection, task))
        access_log.info(self.access_format.line(entry))

    def _environ_of(self, connection: Connection, task: Task) -> Optional[dict]:
        """The app's environ; for a static file or a refused request, the one an app
        would have had (the access log's {variable}e atoms)."""
        environ = getattr(task, "environ", None)
        if environ is None and task.request is not None:
            base = connection.environ_base or connection_environ(
                self.base_environ, connection.addr, self.proxies)
            environ = request_environ(base[0], task.request, base[1],
                                      unix_peer=connection.unix_peer)
        return environ

    # -- connections --
    def _accept(self, sock, addr) -> None:
        if self.stopping:
            sock.close()
            return
        if not self.caps.acquire(addr):
            # Over --limit-per-client: closed at once, before reading. Answering
            # 503 would mean reading a request first, holding the very slot (fd,
            # buffers, a header deadline) the cap is there to protect, for a
            # client that already holds its share; the client sees its connection
            # end at once (EOF, or a reset if it had already sent bytes).
            sock.close()
            return
        connection = Connection(self, sock, addr)
        self.connections.add(connection)
        self.loop.register(connection.fd, connection.mask, connection)
        if len(self.connections) >= self.connection_cap:
            self.pause_accepting()

    def forget(self, connection: Connection) -> None:
        self.connections.discard(connection)
        self.caps.release(connection.addr)
        if self.stopping and not self.connections:
            self.loop.stop()
        elif self.accept_paused and len(self.connections) < self.connection_cap:
            self._resume_accepting()

    def pause_accepting(self, hold: bool = False) -> None:
        """New clients wait in the kernel's backlog (served when accepting resumes, or
        by another worker on the same sockets); `hold`: for good (retiring)."""
        self.accept_held = self.accept_held or hold
        if not self.accept_paused:
            self.accept_paused = True
            for listener in self.listeners:
                listener.pause()

    def _resume_accepting(self) -> None:
        if self.accept_held:
            return
        self.accept_paused = False
        for listener in self.listeners:
            listener.resume()

    # -- app calls that never end (--timeout) --
    def _check_stuck_calls(self, now: float) -> None:
        for call in self.watchdog.check(now):
            task = call.job_args[0]
            connection = getattr(task, "sink", None)
            if not isinstance(connection, Connection) or drain.waits_for_client(connection):
                continue  # blocked on a slow client, which its own deadlines handle
            self._give_up(call, task, connection)
        if self.watchdog.given_up_count and self.on_retire is not None:
            self.pause_accepting(hold=True)  # the master starts a replacement, then TERMs
            self.retire("stuck app threads")

    def _give_up(self, call: StuckCall, task: Any, connection: Connection) -> None:
        """Log the stuck call's stack, answer 504 (or close), discard what it produces
        later, and give its pool slot a new thread."""
        request = task.request
        error_log.error("app call running for %.0f s (over --timeout %d): %s %s; "
                        "stack of its thread %s:\n%s", call.seconds, self.config.timeout,
                        request.method, request.target.decode("latin-1"), call.thread.name,
                        thread_stack(call.thread))
        begun = task.head is not None
        task.sink = DISCARD  # whatever the thread sends from now on goes nowhere
        answer = None if begun else error_response(504, "Gateway Timeout",
                                                   method=request.method)
        drain.abandon(connection, answer)
        self.watchdog.given_up(call)

    def _count_toward_limit(self, connection: Connection, task: Task) -> None:
        # An observer only when --max-requests is set; may run on an app thread.
        if self.stats.requests >= self.request_limit:
            self.request_limit = float("inf")  # once
            self.loop.call_soon_threadsafe(self.retire, "max requests")

    def _tick(self, now: float) -> None:
        for connection in list(self.connections):
            connection.check_timeout(now)
        self.caps.report(now)
        if self.stopping:
            self._continue_shutdown(now)

    # -- running --
    def serve_forever(self) -> None:
        # Looked up once: logging's level check is too slow to repeat per request.
        if access_enabled() and self.log_access not in self.observers:
            self.observers.append(self.log_access)
        self._start_metrics()
        self.loop.thread_id = threading.get_ident()
        if self.config.threads > 0:
            self.pool = ThreadPool(self.config.threads)
            self.loop.poll_hooks.append(self.pool.poke)
            if self.config.timeout > 0:
                self.watchdog = Watchdog(self.pool, self.config.timeout)
                self.loop.every_tick(self._check_stuck_calls)
        self.listeners = [Listener(sock, self._accept) for sock in self.sockets]
        for listener in self.listeners:
            listener.start(self.loop, exclusive=self.exclusive_accept)
        self.loop.every_tick(self._tick)
        if self.runs_hooks:
            self.call_hook("when_ready")
        restore = self._install_signal_handlers()
        try:
            self.loop.run()
        finally:
            restore()
            self._cleanup()

    def call_hook(self, name: str, *args: Any) -> None:
        """Run a server hook from the settings, if set, as hook(*args) (default: this
        server); its errors are logged, not fatal."""
        hook = getattr(self.config, name)
        if hook is None:
            return
        try:
            hook(*(args or (self,)))
        except Exception:
            error_log.exception("error in the %s hook", name)

    def shutdown(self, wait: bool = True) -> None:
        """Stop gracefully (`begin_graceful_stop`), then return from serve_forever."""
        self.begin_graceful_stop()
        if wait and not self.loop.in_loop_thread():
            self._stopped.wait(self.config.graceful_timeout + 5)

    def begin_graceful_stop(self) -> None:
        """Stop accepting now and finish what was asked, losing no request: the
        backlog is accepted, then the listeners close; responses not begun say
        `Connection: close`; a connection kept alive is answered once more, or closed
        when idle; everything is closed after --graceful-timeout. Any thread."""
        if not self._on_running_loop():
            self.loop.call_soon_threadsafe(self.begin_graceful_stop)
            return
        if self.stopping:
            return
        drain.accept_backlog(self.listeners)  # before `stopping`: these are served
        self.stopping = True
        self.no_keep_alive = True  # every task made from now on answers with close
        self._deadline = time.monotonic() + self.config.graceful_timeout
        self._close_listeners()
        for connection in self.connections:
            drain.refuse_keep_alive(connection)
        self._continue_shutdown(time.monotonic())

    def stop_now(self) -> None:
        """Quick stop: close the listeners and every connection at once. Any thread."""
        if not self._on_running_loop():
            self.loop.call_soon_threadsafe(self.stop_now)
            return
        self.stopping = True
        self._deadline = time.monotonic()
        self._close_listeners()
        for connection in list(self.connections):
            connection.close()
        self.loop.stop()

    def _on_running_loop(self) -> bool:
        # Before serve_forever runs the loop (the port already takes connections),
        # a stop waits in the loop's queue: the listeners do not exist yet.
        return self.loop.running and self.loop.in_loop_thread()

    def retire(self, reason: str) -> None:
        """Ask the master for a replacement (once): see `on_retire`."""
        if self.retiring is not None or self.on_retire is None:
            return
        self.retiring = reason
        error_log.info("worker retiring: %s", reason)
        try:
            self.on_retire(reason)
        except Exception:
            error_log.exception("error in on_retire(%r)", reason)

    def _close_listeners(self) -> None:
        listeners, self.listeners = self.listeners, []
        for listener in listeners:
            listener.close(self.loop, unlink=self.owns_sockets)

    def _continue_shutdown(self, now: float) -> None:
        if now >= self._deadline:
            for connection in list(self.connections):
                connection.close()
        else:
            drain.close_idle(self.connections, now)
        if not self.connections:
            self.loop.stop()

    def _install_signal_handlers(self) -> Callable[[], None]:
        if not self.handles_signals or threading.current_thread() is not threading.main_thread():
            return lambda: None
        def handler(signum, frame):
            # A second Ctrl-C means "now"; QUIT always does (gunicorn's quick stop).
            quick = signum == signal.SIGQUIT or (signum == signal.SIGINT and self.stopping)
            self.loop.call_soon_threadsafe(self.stop_now if quick else self.begin_graceful_stop)

        signals = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)
        previous = {sig: signal.signal(sig, handler) for sig in signals}
        previous[signal.SIGUSR1] = signal.signal(signal.SIGUSR1, self._on_usr1)
        return lambda: [signal.signal(sig, old) for sig, old in previous.items()]

    def _on_usr1(self, signum, frame) -> None:
        # Reopening takes the handlers' locks: do it on the loop, not in the handler.
        self.loop.call_soon_threadsafe(reopen_log_files)

    def _cleanup(self) -> None:
        for connection in list(self.connections):
            connection.close()
        self._close_listeners()
        if self.pool is not None:
            self.pool.shutdown(timeout=1.0)
        self._stop_metrics()
        self.loop.close()
        self._stopped.set()
