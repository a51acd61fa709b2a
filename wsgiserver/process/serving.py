"""Serving until told to stop: always a master (`Arbiter`) and its workers.

Every entry point goes through the same process model, whatever the number
of workers, so every signal means the same from the outside for any N:
`run_from_cli` (the command line), `serve(app, workers=N, ...)` (Python) and
`run(server)` (a `WSGIServer` already built). The seams others fill in:
`bind_listeners` (where the sockets come from: bound here, or inherited by a
USR2 upgrade) and `services_for` (what else runs in the master).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from types import SimpleNamespace
from typing import Any, Callable, Optional

from ..errors import ConfigError
from ..net.listeners import bind_socket, parse_bind, url_for
from ..net.loop import EventLoop
from ..observe.log import logging_differs, setup_logging
from ..observe.prometheus import bind_endpoint
from ..server import WSGIServer, _check_app
from ..settings import Config, default_port
from ..static.dispatch import StaticFiles
from ..version import __version__
from .arbiter import Arbiter
from .metrics import metrics_services
from .reloader import master_services
from .startup import MasterMechanics, prepare
from .upgrade import inherited_sockets
from .worker import describe_boot_error

error_log = logging.getLogger("wsgiserver.error")


def bind_listeners(cfg: Config, host: str, port: int) -> list[socket.socket]:
    """The master's listening sockets: --bind's addresses, else host:port."""
    inherited = inherited_sockets()
    if inherited is not None:  # a USR2 upgrade's new master: its old master's sockets
        return inherited
    binds = cfg.bind or [f"{host}:{port}"]
    sockets: list[socket.socket] = []
    try:
        for bind in binds:
            sockets.append(bind_socket(parse_bind(bind), cfg.backlog, cfg.reuse_port))
    except ConfigError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def services_for(arbiter: Arbiter, app_spec: Optional[str] = None) -> list[Any]:
    """The services the master runs beside its workers (pidfile and USR2, metrics,
    --control-socket, --reload: it watches `app_spec`'s files)."""
    return [MasterMechanics(),  # first: --daemon forks, before any service's thread
            MasterMetrics(), *master_services(arbiter.cfg, app_spec)]


class MasterMetrics:
    """--metrics-bind and --statsd-host in the master: the page is bound once the app's
    sockets are (it must not be one of them), then process/metrics.py's services run."""

    def __init__(self) -> None:
        self.services: list[Any] = []
        self.endpoint: Any = None

    def start(self, arbiter: Arbiter) -> None:
        cfg = arbiter.cfg
        if cfg.metrics_bind is not None:
            self.endpoint = bind_endpoint(cfg.metrics_bind, arbiter.sockets)
        self.services = metrics_services(SimpleNamespace(config=cfg,
                                                         metrics_endpoint=self.endpoint))
        for service in self.services:
            service.start(arbiter)

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()

    def after_fork(self) -> None:
        if self.endpoint is not None:
            self.endpoint.stop()  # a worker closes its copy of the page's socket
        for service in self.services:
            getattr(service, "after_fork", lambda: None)()  # statsd: the master's client


def app_server_factory(load: Callable[[], Optional[Callable]]):
    """factory(sockets, options) for the workers: `load()` gives the app, called in
    the worker after fork (so HUP loads new code) unless the master preloaded it."""
    def make_server(sockets: list[socket.socket], options: dict) -> WSGIServer:
        return WSGIServer(load(), sockets=sockets, **options)
    return make_server


def preloaded(app: Optional[Callable]) -> Callable[[], Optional[Callable]]:
    return lambda: app


def _preload(load: Callable[[], Optional[Callable]]) -> Optional[Callable]:
    """--preload: the app's import in the master fails as a worker's would, in one line."""
    try:
        return load()
    except ConfigError:
        raise
    except Exception as error:  # the app's own bugs too: a line, not a traceback
        raise ConfigError(describe_boot_error(error)) from None


def run_from_cli(app_name: Optional[str], load: Callable[[], Optional[Callable]],
                 options: dict[str, Any], read_options: Callable[[], dict[str, Any]],
                 config_file: Optional[str] = None) -> Arbiter:
    """Build the master for `wsgiserver [MODULE:APP] [PORT] [options]` and run it;
    ConfigError for a person's mistake the master sees itself (a port in use)."""
    cfg = Config.from_options(**options)
    if cfg.preload_app:
        load = preloaded(_preload(load))
    arbiter = Arbiter(app_server_factory(load), options,
                      bind=lambda cfg: bind_listeners(cfg, "0.0.0.0", default_port()),
                      read_options=read_options, cfg=cfg)
    arbiter.announce = lambda: announce(arbiter, app_name, config_file)
    arbiter.services.extend(services_for(arbiter, app_name))
    arbiter.run()
    return arbiter


def announce(arbiter: Arbiter, spec: Optional[str], config_file: Optional[str] = None) -> None:
    """The start-up line, once the first worker serves."""
    cfg = arbiter.cfg
    root = StaticFiles.from_config(cfg, static_only=spec is None).root
    if root is None:
        error_log.warning("static root %s is not a folder: serving no static files",
                          os.path.abspath(cfg.static_root))
    threads = cfg.threads
    error_log.info("wsgiserver %s listening at %s | app: %s | static root: %s | "
                   "workers: %d | threads: %s", __version__,
                   ", ".join(url_for(sock) for sock in arbiter.sockets),
                   spec or "none (static only)", root or "none", arbiter.num_workers,
                   threads if threads else "0 (inline)")
    if config_file:
        error_log.info("config file: %s", config_file)


def run(server: WSGIServer) -> None:
    """Serve a WSGIServer already built, under a master (its settings, its sockets)."""
    def reuse(sockets: list[socket.socket], options: dict) -> WSGIServer:
        server.loop = EventLoop()  # never the master's epoll set
        return server

    set_up(server.config)
    arbiter = Arbiter(reuse, {"workers": server.config.workers}, cfg=server.config,
                      bind=lambda cfg: server.sockets)
    arbiter.services.extend(services_for(arbiter))
    _finish(arbiter.run(), arbiter)


def serve(app: Optional[Callable] = None, **options: Any) -> None:
    """Run `app` until stopped: `serve(app, port=8080, workers=2, threads=8)`."""
    host = options.pop("host", "0.0.0.0")
    port = options.pop("port", 8000)
    _check_app(app)
    cfg = Config.from_options(**options)
    if threading.current_thread() is not threading.main_thread():
        # Signals reach only the main thread: no master here, one server in this one,
        # and the embedding program's logging left as it is unless asked otherwise.
        if logging_differs(cfg, Config.from_options()):
            setup_logging(cfg)
        WSGIServer(app, host=host, port=port, **options).serve_forever()
        return
    set_up(cfg)
    arbiter = Arbiter(app_server_factory(preloaded(app)), options, cfg=cfg,
                      bind=lambda cfg: bind_listeners(cfg, host, port))
    arbiter.announce = lambda: error_log.info(
        "Listening at %s", ", ".join(url_for(sock) for sock in arbiter.sockets))
    arbiter.services.extend(services_for(arbiter))
    _finish(arbiter.run(), arbiter)


def set_up(cfg: Config) -> None:
    """What the command line does before its master starts: the logs, then --chdir,
    --env, --umask and the checks of prepare(), so every keyword of serve() acts."""
    setup_logging(cfg)
    prepare(cfg)


def _finish(code: int, arbiter: Arbiter) -> None:
    if arbiter.failure:
        raise ConfigError(arbiter.failure)
