"""Error log and access log, on the standard `logging` module."""

from __future__ import annotations

import logging
import sys
import time
from typing import Optional

from ..http.request import Request

error_log = logging.getLogger("wsgiserver.error")
access_log = logging.getLogger("wsgiserver.access")

_ERROR_FORMAT = "[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s"


def setup_logging(level: str = "info", access_logfile: Optional[str] = None) -> None:
    """Configure our two loggers, leaving the root logger to the application."""
    _replace_handler(error_log, logging.StreamHandler(sys.stderr), _ERROR_FORMAT)
    error_log.setLevel(level.upper())
    if access_logfile:
        handler = (logging.StreamHandler(sys.stdout) if access_logfile == "-"
                   else logging.FileHandler(access_logfile))
        _replace_handler(access_log, handler, "%(message)s")
        access_log.setLevel(logging.INFO)
    else:
        access_log.setLevel(logging.CRITICAL + 1)


def _replace_handler(logger: logging.Logger, handler: logging.Handler, fmt: str) -> None:
    for old in list(logger.handlers):
        logger.removeHandler(old)
        old.close()
    handler.setFormatter(logging.Formatter(fmt, "%Y-%m-%d %H:%M:%S %z"))
    logger.addHandler(handler)
    logger.propagate = False


def access_enabled() -> bool:
    return access_log.isEnabledFor(logging.INFO)


def access_line(remote: str, request: Optional[Request], status: int, sent: int) -> str:
    """Combined Log Format, as gunicorn and nginx write it.

    `request` is None for bytes the parser refused before a request line began.
    """
    when = time.strftime("%d/%b/%Y:%H:%M:%S %z")
    if request is None:
        return f'{remote} - - [{when}] "-" {status} {sent or "-"} "-" "-"'
    line = f"{request.method} {request.target.decode('latin-1')} {request.version}"
    referer = request.header("Referer") or "-"
    agent = request.header("User-Agent") or "-"
    return f'{remote} - - [{when}] "{line}" {status} {sent or "-"} "{referer}" "{agent}"'
