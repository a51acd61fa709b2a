"""The error log and the access log, with gunicorn's names for what gunicorn has."""

from __future__ import annotations

import os
import socket
from typing import Any, Optional, Union

from ..errors import ConfigError
from .base import LOGGING, Setting
from .validators import LOG_LEVELS, boolean, log_level, one_of, text_value

DEFAULT_ACCESS_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'

# syslog facility codes (RFC 5424 §6.2.1), by the names syslog.conf uses.
SYSLOG_FACILITIES = {
    "kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "security": 4, "syslog": 5,
    "lpr": 6, "news": 7, "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11,
    **{f"local{n}": 16 + n for n in range(8)},
}


class _AnyAtom(dict):
    """Every key is there: a format is checked for its syntax, not for its atoms."""

    def __missing__(self, key: str) -> str:
        return "-"


def access_format(value: Any) -> str:
    """A printf-style format over atoms, as gunicorn's `%(h)s %(r)s ...`."""
    text = str(value)
    try:
        text % _AnyAtom()
    except (ValueError, TypeError, KeyError) as error:
        raise ConfigError(f"bad access log format {text!r}: {error}") from None
    return text


def syslog_address(value: Any) -> str:
    """udp://HOST:PORT, tcp://HOST:PORT or unix://PATH[#dgram|#stream], as gunicorn."""
    text = str(value).strip()
    parse_syslog_address(text)
    return text


def parse_syslog_address(text: str) -> tuple[Optional[int], Union[str, tuple[str, int]]]:
    """(socket type, address) for logging.handlers.SysLogHandler; a unix socket's type
    is None (the handler tries datagram, then stream) unless #dgram or #stream says."""
    scheme, sep, rest = text.partition("://")
    if not sep or scheme not in ("udp", "tcp", "unix"):
        raise ConfigError(f"expected udp://HOST:PORT, tcp://HOST:PORT or unix://PATH, "
                          f"got {text!r}")
    if scheme == "unix":
        path, _, kind = rest.partition("#")
        if not path or kind not in ("", "dgram", "stream"):
            raise ConfigError(f"expected unix://PATH, PATH#dgram or PATH#stream, got {text!r}")
        return {"dgram": socket.SOCK_DGRAM, "stream": socket.SOCK_STREAM}.get(kind), path
    host, port_text = _host_and_port(rest)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"{port_text!r} is not a valid port number in {text!r}")
    kind = socket.SOCK_DGRAM if scheme == "udp" else socket.SOCK_STREAM
    return kind, (host or "localhost", int(port_text))


def _host_and_port(rest: str) -> tuple[str, str]:
    if rest.startswith("["):  # [::1]:514
        host, _, after = rest[1:].partition("]")
        return host.lower(), after[1:] if after.startswith(":") else "514"
    host, sep, port = rest.partition(":")
    return host.lower(), port if sep else "514"


syslog_facility = one_of("syslog facility", SYSLOG_FACILITIES)


def existing_file(value: Any) -> str:
    path = str(value)
    if not os.path.isfile(path):
        raise ConfigError(f"no such file: {path}")
    return path


def mapping(value: Any) -> dict:
    if not isinstance(value, dict):
        raise ConfigError(f"expected a dict (logging.config.dictConfig's schema), "
                          f"got {type(value).__name__}")
    return value


SETTINGS = (
    Setting("log_level", LOGGING, ("--log-level",), log_level, "info",
            "error log level: " + ", ".join(LOG_LEVELS), "LEVEL", aliases=("loglevel",)),
    Setting("errorlog", LOGGING, ("--error-logfile", "--log-file"), text_value, "-",
            "write the error log to FILE ('-' is stderr)", "FILE"),
    Setting("access_logfile", LOGGING, ("--access-logfile",), text_value, None,
            "write an access log line per request to FILE ('-' is stdout)", "FILE",
            aliases=("accesslog",)),
    Setting("access_log_format", LOGGING, ("--access-logformat",), access_format,
            DEFAULT_ACCESS_FORMAT,
            "the access log line, in gunicorn's atoms (docs/logging.md lists them)",
            "STRING"),
    Setting("capture_output", LOGGING, ("--capture-output",), boolean, False,
            "send the app's stdout and stderr to the error log file", flag=True),
    Setting("logconfig", LOGGING, ("--log-config",), existing_file, None,
            "configure logging from FILE, in logging.config.fileConfig's ini format",
            "FILE"),
    Setting("logconfig_json", LOGGING, ("--log-config-json",), existing_file, None,
            "configure logging from the JSON FILE, in logging.config.dictConfig's schema",
            "FILE"),
    Setting("logconfig_dict", LOGGING, (), mapping, {},
            "configure logging from this dict, in logging.config.dictConfig's schema; "
            "wins over logconfig and logconfig_json"),
    Setting("syslog", LOGGING, ("--log-syslog",), boolean, False,
            "send the error log (and the access log) to syslog too", flag=True),
    Setting("syslog_addr", LOGGING, ("--log-syslog-to",), syslog_address,
            "udp://localhost:514",
            "the syslog address: udp://HOST:PORT, tcp://HOST:PORT or unix://PATH",
            "SYSLOG_ADDR"),
    Setting("syslog_prefix", LOGGING, ("--log-syslog-prefix",), text_value, None,
            "the program name in syslog lines: wsgiserver.PREFIX.error, "
            "wsgiserver.PREFIX.access", "SYSLOG_PREFIX"),
    Setting("syslog_facility", LOGGING, ("--log-syslog-facility",), syslog_facility,
            "user", "the syslog facility name", "SYSLOG_FACILITY"),
    Setting("disable_redirect_access_to_syslog", LOGGING,
            ("--disable-redirect-access-to-syslog",), boolean, False,
            "with --log-syslog, keep the access log out of syslog", flag=True),
)
