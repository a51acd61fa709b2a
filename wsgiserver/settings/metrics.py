"""Metrics: statsd (gunicorn's settings and metric names) and a Prometheus endpoint."""

from __future__ import annotations

import re
from typing import Any, Union

from ..errors import ConfigError
from .base import METRICS, Setting

STATSD_PORT = 8125  # statsd's own default, as gunicorn assumes when no port is given
_TAG = re.compile(r"[^\s|#,]+")  # a dogstatsd tag: no blank, and none of the line's separators


def _host_port(text: str, default_port: Union[int, None], what: str) -> tuple[str, int]:
    """(host, port) from HOST:PORT or [V6]:PORT; HOST alone takes default_port."""
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        port = rest[1:] if sep and rest.startswith(":") else ("" if sep and not rest else "?")
    else:
        host, _, port = text.rpartition(":") if ":" in text else (text, "", "")
    if not port and default_port is not None:
        port = str(default_port)
    if not host or not port.isdigit() or not 0 < int(port) <= 65535:
        raise ConfigError(f"expected {what}, got {text!r}")
    return host, int(port)


def _as_text(value: Any) -> str:
    """A (host, port) pair from Python, as gunicorn's parsed value is, becomes HOST:PORT."""
    if isinstance(value, tuple) and len(value) == 2:
        host, port = value
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(value).strip()


def statsd_address(value: Any) -> Union[tuple[str, int], str]:
    """HOST:PORT (port 8125 if left out) or unix:PATH / unix://PATH (a datagram socket)."""
    text = _as_text(value)
    if text.startswith("unix:"):
        path = text[len("unix://"):] if text.startswith("unix://") else text[len("unix:"):]
        if not path:
            raise ConfigError(f"expected unix:PATH, got {value!r}")
        return path
    return _host_port(text, STATSD_PORT, "HOST:PORT or unix:PATH")


def metrics_address(value: Any) -> tuple[str, int]:
    """HOST:PORT, both given: the endpoint should never land on 0.0.0.0 by accident."""
    return _host_port(_as_text(value), None, "HOST:PORT such as 127.0.0.1:9100")


def statsd_prefix(value: Any) -> str:
    """The prefix, ending in one dot when there is one. gunicorn's regex leaves a one-
    character prefix without its dot ('a' gives 'agunicorn.requests'); here it gets one."""
    prefix = str(value).strip().rstrip(".")
    return prefix + "." if prefix else ""


def dogstatsd_tags(value: Any) -> str:
    """'a:b,c' as gunicorn takes it; a tag with a blank, '|' or '#' would break the line."""
    tags = [tag.strip() for tag in str(value).split(",") if tag.strip()]
    for tag in tags:
        if not _TAG.fullmatch(tag):
            raise ConfigError(f"a dogstatsd tag may not hold blanks, '|' or '#', got {tag!r}")
    return ",".join(tags)


SETTINGS = (
    Setting("statsd_host", METRICS, ("--statsd-host",), statsd_address, None,
            "send statsd metrics over UDP to HOST:PORT (or unix:PATH): gunicorn's names "
            "(gunicorn.requests, gunicorn.request.duration, gunicorn.request.status.CODE, "
            "gunicorn.workers, gunicorn.log.LEVEL); a datagram that cannot be sent at once "
            "is dropped, so a slow collector never slows a request", "HOST:PORT"),
    Setting("statsd_prefix", METRICS, ("--statsd-prefix",), statsd_prefix, None,
            "prefix of every statsd metric name (a dot is added if missing)", "PREFIX"),
    Setting("dogstatsd_tags", METRICS, ("--dogstatsd-tags",), dogstatsd_tags, None,
            "comma-separated dogstatsd tags added to every statsd metric, "
            "e.g. 'env:prod,web'", "TAGS"),
    Setting("metrics_bind", METRICS, ("--metrics-bind",), metrics_address, None,
            "serve Prometheus metrics at http://HOST:PORT/metrics, from the master and "
            "summed over its workers (requests by status class, a request duration "
            "histogram, open connections, busy threads, queued requests, worker restarts "
            "and watchdog kills); a bind of its own, never the app's", "HOST:PORT"),
)
