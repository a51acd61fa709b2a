"""The error log and the access log, on the standard `logging` module.

`setup_logging(config)` gives our two loggers (`wsgiserver.error`,
`wsgiserver.access`) their handlers from the settings, as gunicorn's
`glogging.Logger.setup` does: a file or a stream each, syslog, then a logging
config (ini, JSON or a dict) on top. The root logger is left to the app.
`reopen_log_files()` is what SIGUSR1 runs after a logrotate.
"""

from __future__ import annotations

import configparser
import json
import logging
import logging.config
import logging.handlers
import os
import sys
import threading
from typing import Any, Optional

from ..errors import ConfigError
from ..settings import Config
from ..settings.logs import SYSLOG_FACILITIES, parse_syslog_address

error_log = logging.getLogger("wsgiserver.error")
access_log = logging.getLogger("wsgiserver.access")

ERROR_FORMAT = "[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S %z"
SYSLOG_FORMAT = "[%(process)d] %(message)s"
OFF = logging.CRITICAL + 1

# What a logging config in dictConfig's schema is laid over (a top-level key of
# the user's replaces ours, as gunicorn's CONFIG_DEFAULTS); the root logger is
# not in it: that one is the application's.
DICT_DEFAULTS: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {
        "wsgiserver.error": {"level": "INFO", "handlers": ["error_console"],
                             "propagate": False},
        "wsgiserver.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "generic",
                    "stream": "ext://sys.stdout"},
        "error_console": {"class": "logging.StreamHandler", "formatter": "generic",
                          "stream": "ext://sys.stderr"},
    },
    "formatters": {"generic": {"format": ERROR_FORMAT, "datefmt": DATE_FORMAT}},
}

_OURS = "_wsgiserver"  # marks the handlers setup_logging made, so a re-run replaces them
_capture = threading.Lock()
_captured: list = []  # [path, file] while --capture-output holds fds 1 and 2
_saved_fds: list[int] = []  # fds 1 and 2 as they were before the first capture


def setup_logging(config: Optional[Config] = None, **options: Any) -> None:
    """Configure our loggers from the settings (a Config, or options to make one).

    Raises ConfigError, one line, for a log file that cannot be opened, an
    unreachable syslog or a logging config that does not load. Handlers others
    put on our loggers (a hook's, the statsd error counter) stay.
    """
    if config is None:
        config = Config.from_options(**options)
    foreign = _foreign_handlers()
    for logger in (error_log, access_log):
        _drop_our_handlers(logger)
        logger.propagate = False
    error_log.setLevel(config.log_level.upper())
    if config.capture_output and config.errorlog != "-":
        capture_output(config.errorlog)
    else:
        release_capture()
    _add_our_handlers(config)
    apply_logconfig(config)
    _keep_foreign(foreign)


def _add_our_handlers(config: Config) -> None:
    _add_handler(error_log, _stream_or_file(config.errorlog, sys.stderr),
                 logging.Formatter(ERROR_FORMAT, DATE_FORMAT))
    if config.access_logfile:
        _add_handler(access_log, _stream_or_file(config.access_logfile, sys.stdout),
                     logging.Formatter("%(message)s"))
    access_to_syslog = config.syslog and not config.disable_redirect_access_to_syslog
    if config.syslog:
        _add_syslog_handler(error_log, config, "error")
        if access_to_syslog:
            _add_syslog_handler(access_log, config, "access")
    has_logconfig = bool(config.logconfig_dict or config.logconfig_json or config.logconfig)
    wanted = config.access_logfile or access_to_syslog or has_logconfig
    access_log.setLevel(logging.INFO if wanted else OFF)


def _foreign_handlers() -> dict[logging.Logger, list[logging.Handler]]:
    return {logger: [h for h in logger.handlers if not getattr(h, _OURS, False)]
            for logger in (error_log, access_log)}


def _keep_foreign(foreign: dict[logging.Logger, list[logging.Handler]]) -> None:
    """A logging config's handlers become ours (a re-run replaces them); the others'
    are put back where the logging config's dictConfig took them off."""
    for logger, theirs in foreign.items():
        for handler in logger.handlers:
            if handler not in theirs:
                setattr(handler, _OURS, True)
        for handler in theirs:
            if handler not in logger.handlers:
                logger.addHandler(handler)


# What setup_logging reads from the settings.
LOGGING_SETTINGS = ("log_level", "errorlog", "access_logfile", "capture_output", "logconfig",
                    "logconfig_json", "logconfig_dict", "syslog", "syslog_addr",
                    "syslog_prefix", "syslog_facility", "disable_redirect_access_to_syslog")


def logging_differs(one: Config, other: Config) -> bool:
    return any(getattr(one, name) != getattr(other, name) for name in LOGGING_SETTINGS)


def reconfigure_logging(old: Config, new: Config) -> None:
    """HUP: set the loggers up again from `new` if a logging setting changed or a
    logging config file is named (it may have been edited; gunicorn builds its logger
    again at every HUP). Otherwise nothing is touched, so a syslog that is down does
    not fail a reload that changes nothing of logging. On ConfigError `old`'s set-up
    is put back as far as it can be, and the error raised."""
    if not logging_differs(old, new) and not (new.logconfig or new.logconfig_json):
        return
    try:
        setup_logging(new)
    except ConfigError:
        try:
            setup_logging(old)
        except ConfigError:  # (its syslog is gone too): the first error is the one to tell
            pass
        raise


def access_enabled() -> bool:
    """Will an access line go anywhere? Looked up once, not per request."""
    return access_log.isEnabledFor(logging.INFO) and access_log.hasHandlers()


def _drop_our_handlers(logger: logging.Logger) -> None:
    for handler in list(logger.handlers):
        if getattr(handler, _OURS, False):
            logger.removeHandler(handler)
            handler.close()


def _add_handler(logger: logging.Logger, handler: logging.Handler,
                 formatter: logging.Formatter) -> None:
    handler.setFormatter(formatter)
    setattr(handler, _OURS, True)
    logger.addHandler(handler)


def _stream_or_file(target: str, stream: Any) -> logging.Handler:
    if target == "-":
        return logging.StreamHandler(stream)
    try:
        return logging.FileHandler(target)
    except OSError as error:
        raise ConfigError(f"cannot open log file {target}: {error.strerror}") from None


def _add_syslog_handler(logger: logging.Logger, config: Config, name: str) -> None:
    socktype, address = parse_syslog_address(config.syslog_addr)
    prefix = f"wsgiserver.{config.syslog_prefix}" if config.syslog_prefix else "wsgiserver"
    try:
        handler = logging.handlers.SysLogHandler(
            address=address, facility=SYSLOG_FACILITIES[config.syslog_facility],
            socktype=socktype)
    except OSError as error:
        raise ConfigError(f"cannot reach syslog at {config.syslog_addr}: "
                          f"{error.strerror or error}") from None
    _add_handler(logger, handler, logging.Formatter(f"{prefix}.{name}: {SYSLOG_FORMAT}"))


# -- logging configs: a dict, a JSON file or an ini file, in that order of precedence --

def apply_logconfig(config: Config) -> None:
    """Apply logconfig_dict, else logconfig_json, else logconfig, as gunicorn does."""
    try:
        if config.logconfig_dict:
            logging.config.dictConfig({**DICT_DEFAULTS, **config.logconfig_dict})
        elif config.logconfig_json:
            with open(config.logconfig_json, encoding="utf-8") as file:
                loaded = json.load(file)
            if not isinstance(loaded, dict):
                raise ValueError("the file does not hold a JSON object")
            logging.config.dictConfig({**DICT_DEFAULTS, **loaded})
        elif config.logconfig:
            path = config.logconfig
            logging.config.fileConfig(
                path, defaults={"__file__": path, "here": os.path.dirname(path)},
                disable_existing_loggers=False)
    except (OSError, ValueError, TypeError, KeyError, AttributeError, ImportError,
            configparser.Error) as error:
        source = ("logconfig_dict" if config.logconfig_dict
                  else config.logconfig_json or config.logconfig)
        raise ConfigError(f"cannot apply the logging config {source}: "
                          f"{_one_line(error)}") from None


def _one_line(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return " ".join(text.split())


# -- capture output and reopening --

def capture_output(path: str) -> None:
    """Point fds 1 and 2 at the error log file, so the app's print() and any C
    library's writes land there (gunicorn's --capture-output)."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    try:
        new = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held until reopened)
    except OSError as error:
        raise ConfigError(f"cannot open log file {path}: {error.strerror}") from None
    with _capture:
        if not _saved_fds:
            _saved_fds[:] = [os.dup(sys.stdout.fileno()), os.dup(sys.stderr.fileno())]
        os.dup2(new.fileno(), sys.stdout.fileno())
        os.dup2(new.fileno(), sys.stderr.fileno())
        old = _captured[1] if _captured else None
        _captured[:] = [path, new]
    if old is not None:
        old.close()
    # A pipe or file makes Python buffer stdout by the block: print() from the
    # app would reach the log only at exit.
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(line_buffering=True)


def rebase_original_output() -> None:
    """fds 1 and 2 as they are now become what a release gives back (a daemon has just
    pointed them away from the terminal): the copies kept of the caller's terminal or
    pipe are closed, so nothing holds them open."""
    forget_original_output()
    with _capture:
        if _captured:
            _saved_fds[:] = [os.dup(sys.stdout.fileno()), os.dup(sys.stderr.fileno())]


def forget_original_output() -> None:
    """In a worker: it never gives fds 1 and 2 back, so it keeps no copies."""
    with _capture:
        for fd in _saved_fds:
            os.close(fd)
        _saved_fds.clear()


def release_capture() -> None:
    """Give fds 1 and 2 back what they were before --capture-output (a HUP turned it
    off, or a reload that turned it on was reverted)."""
    with _capture:
        if not _captured:
            return
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        if _saved_fds:  # (a worker keeps none: its fds 1 and 2 stay on the log file)
            os.dup2(_saved_fds[0], sys.stdout.fileno())
            os.dup2(_saved_fds[1], sys.stderr.fileno())
        old = _captured[1]
        _captured.clear()
    old.close()


def reopen_log_files() -> None:
    """Reopen every file handler of every logger and the captured output, by path:
    after logrotate moved a file away, logging goes on in a new file of that name."""
    for handler in _file_handlers():
        _reopen(handler)
    if _captured:
        capture_output(_captured[0])


def _file_handlers() -> list[logging.FileHandler]:
    loggers = [logging.getLogger(), *(logger for logger in
                                      logging.Logger.manager.loggerDict.values()
                                      if isinstance(logger, logging.Logger))]
    found: dict[int, logging.FileHandler] = {}
    for logger in loggers:
        for handler in logger.handlers:
            if isinstance(handler, logging.FileHandler):
                found[id(handler)] = handler
    return list(found.values())


def _reopen(handler: logging.FileHandler) -> None:
    with handler.lock:  # a thread's emit either goes to the old file or the new one
        if handler.stream is None:  # delay=True and nothing written yet: opens by name
            return
        try:
            new = handler._open()
        except OSError as error:
            error_log.error("cannot reopen log file %s: %s", handler.baseFilename, error)
            return
        old = handler.setStream(new)
    if old is not None:
        old.close()
