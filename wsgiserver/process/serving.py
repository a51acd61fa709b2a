"""Serving until told to stop: in this process, or as the master of `--workers` processes."""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from ..server import WSGIServer
from .arbiter import Arbiter

error_log = logging.getLogger("wsgiserver.error")


def run(server: WSGIServer) -> None:
    """Serve until SIGINT/SIGTERM, in this process or in `--workers` processes."""
    if server.config.workers > 1:
        Arbiter(server, server.config.workers).run()
    else:
        server.serve_forever()


def serve(app: Optional[Callable] = None, **options: Any) -> None:
    """Run `app` until SIGINT/SIGTERM: `serve(app, port=8080, threads=8)`."""
    host = options.pop("host", "0.0.0.0")
    port = options.pop("port", 8000)
    server = WSGIServer(app, host=host, port=port, **options)
    error_log.info("Listening at %s", ", ".join(server.urls))
    run(server)
