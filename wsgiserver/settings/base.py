"""What a setting is, and the sections --help and docs/settings.md group them in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

# Sections, in the order --help and docs/settings.md list them (gunicorn's names
# where gunicorn has the section).
CONFIG = "Config file"
SOCKET = "Server socket"
PROCESSES = "Worker processes"
LIMITS = "Request limits"
STATIC = "Static files"
LOGGING = "Logging"
METRICS = "Metrics"
MECHANICS = "Server mechanics"
CONTROL = "Control and reload"
HOOKS = "Server hooks"
SECTIONS = (CONFIG, SOCKET, PROCESSES, LIMITS, STATIC, LOGGING, METRICS, MECHANICS,
            CONTROL, HOOKS)


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
    flag: bool = False  # a bare --flag sets it to the opposite of its default
    # Other names a config file or WSGIServer(...) may use: gunicorn's, where ours differ.
    aliases: tuple[str, ...] = ()
