"""The error log and the access log."""

from __future__ import annotations

from .base import LOGGING, Setting
from .validators import LOG_LEVELS, log_level, text_value

SETTINGS = (
    Setting("log_level", LOGGING, ("--log-level",), log_level, "info",
            "error log level: " + ", ".join(LOG_LEVELS), "LEVEL", aliases=("loglevel",)),
    Setting("access_logfile", LOGGING, ("--access-logfile",), text_value, None,
            "write an access log line per request to FILE ('-' is stdout)", "FILE",
            aliases=("accesslog",)),
)
