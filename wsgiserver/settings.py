"""The one table of settings shared by the command line, the Python API and the docs.

Each `Setting` names its section, its command-line flags, the validator that
turns a raw value (text from the command line, anything from Python) into a
typed one, its default and its description. `cli.py` builds argparse from
this table, `Config.from_options` validates keyword arguments from
`WSGIServer(...)` against it, and `python -m wsgiserver.settings` writes
docs/settings.md from it, so none of them can drift apart (gunicorn's
`config.py` is the model).
"""

from __future__ import annotations

import importlib
import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import ConfigError

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def non_negative_int(text: Any) -> int:
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise ConfigError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise ConfigError(f"expected a number >= 0, got {value}")
    return value


def log_level(text: Any) -> str:
    level = str(text).lower()
    if level not in LOG_LEVELS:
        raise ConfigError(f"log level must be one of {', '.join(LOG_LEVELS)}, got {text!r}")
    return level


def text_value(text: Any) -> str:
    return str(text)


def boolean(value: Any) -> bool:
    """True/False from the API, or on/off, yes/no, true/false, 1/0 as text."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"expected yes or no, got {value!r}")


def url_prefix(text: Any) -> str:
    """A static URL prefix such as /static/: always with both slashes."""
    prefix = str(text).strip()
    if not prefix.startswith("/") or any(c in prefix for c in "?#%\\ "):
        raise ConfigError(f"static URL must be a path like /static/, got {text!r}")
    return prefix.rstrip("/") + "/"


def file_suffix(text: Any) -> str:
    suffix = str(text).strip()
    if not suffix or "/" in suffix:
        raise ConfigError(f"dynamic suffix must be like .py or .html, got {text!r}")
    return suffix


def callable_hook(value: Any) -> Callable:
    """A server hook: a callable, or 'module:name' naming one (as gunicorn's hooks)."""
    if callable(value):
        return value
    text = str(value)
    module_name, _, attribute = text.partition(":")
    if not module_name or not attribute:
        raise ConfigError(f"expected a callable or 'module:name', got {value!r}")
    try:
        hook = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise ConfigError(f"cannot load hook {text!r}: {error}") from None
    if not callable(hook):
        raise ConfigError(f"hook {text!r} is not callable")
    return hook


# Sections, in the order --help and docs/settings.md list them (gunicorn's names).
SOCKET, PROCESSES, LIMITS, STATIC, LOGGING, HOOKS = (
    "Server socket", "Worker processes", "Request limits", "Static files", "Logging",
    "Server hooks")
SECTIONS = (SOCKET, PROCESSES, LIMITS, STATIC, LOGGING, HOOKS)


@dataclass(frozen=True)
class Setting:
    """One setting: its name (as in the Python API and a config file), where it is
    listed, its command-line flags (none for hooks), the validator that turns a
    raw value into the typed one, its default and the description shown by
    --help and docs/settings.md."""

    name: str
    section: str
    flags: tuple[str, ...]
    validator: Callable[[Any], Any]
    default: Any
    description: str
    metavar: str = ""
    repeatable: bool = False
    flag: bool = False  # a bare --flag on the command line sets it to True


SETTINGS: tuple[Setting, ...] = (
    Setting("bind", SOCKET, ("-b", "--bind"), text_value, None,
            "address to listen on: HOST:PORT, [IPV6]:PORT or unix:PATH; repeatable "
            "(default 0.0.0.0:PORT, PORT from the argument, $PORT or 8000)",
            "ADDRESS", repeatable=True),
    Setting("backlog", SOCKET, ("--backlog",), non_negative_int, 2048,
            "connections waiting to be accepted (the listen() backlog)", "N"),
    Setting("workers", PROCESSES, ("-w", "--workers"), non_negative_int, 1,
            "worker processes, each with its own event loop and threads "
            "(pre-fork; use about one per CPU core)", "N"),
    Setting("threads", PROCESSES, ("--threads",), non_negative_int, 4,
            "threads that run the WSGI app; 0 runs it on the event-loop thread "
            "(only for apps that never block)", "N"),
    Setting("keepalive", PROCESSES, ("--keep-alive",), non_negative_int, 5,
            "seconds an idle keep-alive connection is kept open, waiting for the first byte "
            "of its next request", "SECONDS"),
    Setting("read_timeout", PROCESSES, ("--read-timeout",), non_negative_int, 60,
            "seconds without progress: a started request that sends no byte at all for this "
            "long gets 408 and close, and a client that reads none of its response for this "
            "long is closed (restarts on every byte; --header-timeout and --min-body-rate "
            "stop clients that dribble)", "SECONDS"),
    Setting("header_timeout", PROCESSES, ("--header-timeout",), non_negative_int, 10,
            "seconds a request head may take from its first byte (blank lines before it "
            "count) to its blank line, however the client dribbles it, before 408 and close; "
            "each request on a kept-alive connection from its own first byte (nginx's "
            "client_header_timeout; 0 = no deadline)", "SECONDS"),
    Setting("min_body_rate", PROCESSES, ("--min-body-rate",), non_negative_int, 240,
            "bytes per second a request body (Content-Length or chunked) must average from "
            "its start, checked once the grace period is over, or 408 and close; a body "
            "streamed to the app (Expect: 100-continue) makes its wsgi.input read raise "
            "instead, and counts from the app's first read; time the server is not "
            "reading does not count (Kestrel's minimum data rate; 0 = no minimum)", "BYTES"),
    Setting("min_body_rate_grace", PROCESSES, ("--min-body-rate-grace",), non_negative_int, 5,
            "seconds from the start of a request body before --min-body-rate is checked "
            "(TCP slow start, a client waiting for 100 Continue)",
            "SECONDS"),
    Setting("graceful_timeout", PROCESSES, ("--graceful-timeout",), non_negative_int, 30,
            "seconds in-flight requests get to finish after SIGTERM or Ctrl-C", "SECONDS"),
    Setting("limit_request_line", LIMITS, ("--limit-request-line",), non_negative_int, 4094,
            "longest request target in bytes (0 = unlimited); longer gives 414", "BYTES"),
    Setting("limit_request_fields", LIMITS, ("--limit-request-fields",), non_negative_int, 100,
            "most header fields in a request; more gives 431", "N"),
    Setting("limit_request_field_size", LIMITS,
            ("--limit-request-field_size", "--limit-request-field-size"),
            non_negative_int, 8190,
            "largest header field (name and value) in bytes (0 = unlimited); larger "
            "gives 431", "BYTES"),
    Setting("limit_request_header_size", LIMITS, ("--limit-request-header-size",),
            non_negative_int, 32 * 1024,
            "largest request head (request line and all header fields) in bytes (0 = only "
            "the per-field limits); larger gives 431 (nginx's large_client_header_buffers)",
            "BYTES"),
    Setting("limit_per_client", LIMITS, ("--limit-per-client",), non_negative_int, 128,
            "open connections one client address may hold, per worker process (0 = no "
            "cap); over it a new connection is closed at once. 128 is some 20 browsers' "
            "worth (about 6 per host each), for an office behind one NAT address, far "
            "below the 3,000 one attacker opened. Addresses in --forwarded-allow-ips "
            "and unix-socket peers are exempt, so a proxy in front is never capped "
            "('*' there turns the cap off)", "N"),
    Setting("limit_request_body", LIMITS, ("--limit-request-body",), non_negative_int,
            100 * 2**20,
            "largest request body in bytes (0 = unlimited); larger gives 413", "BYTES"),
    Setting("forwarded_allow_ips", LIMITS, ("--forwarded-allow-ips",), text_value,
            "127.0.0.1,::1",
            "comma-separated proxy addresses trusted to set the scheme with "
            "X-Forwarded-Proto / X-Forwarded-Protocol / X-Forwarded-SSL ('*' trusts all)",
            "ADDRESSES"),
    Setting("static_root", STATIC, ("--static-root",), text_value, "./html",
            "folder whose files are served as static files", "DIR"),
    Setting("static_url", STATIC, ("--static-url",), url_prefix, None,
            "serve static files only under this URL prefix (e.g. /static/); every "
            "other path goes to the app", "PREFIX"),
    Setting("dynamic_suffix", STATIC, ("--dynamic-suffix",), file_suffix, None,
            "paths ending in SUFFIX (e.g. .py) always go to the app and every other "
            "path is a static file; repeatable", "SUFFIX", repeatable=True),
    Setting("static_max_age", STATIC, ("--static-max-age",), non_negative_int, 0,
            "Cache-Control max-age for static files (0 = no-cache: always revalidate); "
            "names with a content hash (app.3f2a9c1e.css) are cached for a year", "SECONDS"),
    Setting("static_cache_seconds", STATIC, ("--static-cache-seconds",), non_negative_int, 1,
            "seconds static file lookups and metadata are cached (0 = no cache)", "SECONDS"),
    Setting("autoindex", STATIC, ("--autoindex",), boolean, False,
            "list the files of a static folder that has no index.html", flag=True),
    Setting("follow_symlinks", STATIC, ("--follow-symlinks",), boolean, False,
            "serve symlinks that point outside the static root", flag=True),
    Setting("log_level", LOGGING, ("--log-level",), log_level, "info",
            "error log level: " + ", ".join(LOG_LEVELS), "LEVEL"),
    Setting("access_logfile", LOGGING, ("--access-logfile",), text_value, None,
            "write an access log line per request to FILE ('-' is stdout)", "FILE"),
    Setting("when_ready", HOOKS, (), callable_hook, None,
            "called as when_ready(server) once the server listens, before it serves "
            "(a callable, or 'module:name'; Python API only)"),
)

SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}
DEFAULTS = {setting.name: setting.default for setting in SETTINGS}


def default_port() -> int:
    return parse_port(os.environ.get("PORT", "8000"))


def parse_port(text: Any) -> int:
    try:
        port = int(str(text))
    except ValueError:
        raise ConfigError(f"invalid port {text!r}: expected a number from 1 to 65535") from None
    if not 0 <= port <= 65535:
        raise ConfigError(f"invalid port {port}: expected a number from 1 to 65535")
    return port


@dataclass
class Config:
    """Validated settings; every attribute is named in SETTINGS."""

    values: dict[str, Any] = field(default_factory=lambda: dict(DEFAULTS))

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    @classmethod
    def from_options(cls, **options: Any) -> Config:
        values = dict(DEFAULTS)
        for name, raw in options.items():
            name = _current_name(name)
            values[name] = _convert(name, raw)
        return cls(values)


# Old names of settings, still taken from Python with a warning.
RENAMED = {"keep_alive": "keepalive"}  # 0.1: keep_alive was seconds here, a flag elsewhere


def _current_name(name: str) -> str:
    new = RENAMED.get(name)
    if new is None:
        return name
    warnings.warn(f"the setting {name!r} is now called {new!r}", DeprecationWarning,
                  stacklevel=4)
    return new


def _convert(name: str, raw: Any) -> Any:
    setting = SETTINGS_BY_NAME.get(name)
    if setting is None:
        raise ConfigError(f"unknown option {name!r}")
    if raw is None:
        return None
    try:
        if setting.repeatable:
            items = [raw] if isinstance(raw, str) else list(raw)
            return [setting.validator(item) for item in items]
        return setting.validator(raw)
    except ConfigError as error:
        raise ConfigError(f"{setting.flags[0] if setting.flags else name}: {error}") from None
