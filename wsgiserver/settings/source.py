"""Where settings come from: a config file (or `python:module`), read into validated
values with their origin, and the layers merged in gunicorn's order of precedence:

    defaults < config file < $WSGISERVER_CMD_ARGS < command line

A config file is a Python file of `name = value` lines with gunicorn's setting
names (ours, or the aliases in the table). As gunicorn does, names starting with
`_` and imported modules are not settings. Unlike gunicorn, which ignores every
name it does not know, a gunicorn setting we lack is one warning line, and a
name that looks like a setting but is none (a misspelling) is an error with a
"did you mean"; other functions and classes are helpers and are left alone.
"""

from __future__ import annotations

import difflib
import importlib
import os
import sys
import traceback
import types
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from ..errors import ConfigError
from .config import validate
from .gunicorn import GUNICORN_BY_NAME, why_not
from .table import CANONICAL, SETTINGS, SETTINGS_BY_NAME

ENV_ARGS = "WSGISERVER_CMD_ARGS"
# Read when no -c is given, the first that exists: ours, then gunicorn's, so a
# project moving from gunicorn runs with its file as gunicorn would.
DEFAULT_FILES = ("wsgiserver.conf.py", "gunicorn.conf.py")
# Values a helper variable holds; a name bound to one must be a setting.
_PLAIN = (bool, int, float, str, bytes, list, tuple, dict, set, type(None))


@dataclass
class Loaded:
    """What one source gave: validated values by setting name, and its problems."""

    where: str
    options: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def raise_errors(self) -> None:
        if self.errors:
            raise ConfigError("\n".join(self.errors))


def default_location(folder: str = ".") -> Optional[str]:
    """The config file read without -c: ./wsgiserver.conf.py, else ./gunicorn.conf.py."""
    for name in DEFAULT_FILES:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    return None


def load_location(location: str) -> Loaded:
    """A config file, `file:PATH` or `python:MODULE`, as gunicorn's -c takes them."""
    if location.startswith("python:"):
        namespace = _module_names(location[len("python:"):])
    else:
        namespace = read_file(location.removeprefix("file:"))
    return from_names(namespace, location)


def read_file(path: str) -> dict[str, Any]:
    """Run a config file in a fresh namespace; any failure is one ConfigError line."""
    try:
        with open(path, "rb") as file:
            source = file.read()
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror}") from None
    namespace: dict[str, Any] = {"__file__": os.path.abspath(path), "__name__": "__config__"}
    try:
        exec(compile(source, path, "exec"), namespace)  # noqa: S102 - it is the user's file
    except SyntaxError as error:
        raise ConfigError(f"{path} line {error.lineno}: syntax error: {error.msg}") from None
    except Exception as error:  # the file's own bug, reported in one line
        raise ConfigError(f"{path}{_line_of(error, path)}: "
                          f"{type(error).__name__}: {error}") from None
    return namespace


def _line_of(error: BaseException, path: str) -> str:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == path]
    return f" line {frames[-1].lineno}" if frames else ""


def _module_names(name: str) -> dict[str, Any]:
    try:
        return vars(importlib.import_module(name))
    except ImportError as error:
        raise ConfigError(f"cannot import config module {name!r}: {error}") from None


def from_names(namespace: dict[str, Any], where: str) -> Loaded:
    """The settings among a config file's names, validated, with one line per problem."""
    loaded = Loaded(where)
    for name, value in namespace.items():
        if name.startswith("_") or isinstance(value, types.ModuleType):
            continue
        problem = _take(loaded, name, value)
        if problem:
            loaded.errors.append(f"{where}: {problem}")
    return loaded


def _take(loaded: Loaded, name: str, value: Any) -> str:
    """Store one name's value in `loaded`; the problem with it, or ""."""
    canonical = CANONICAL.get(name)
    if canonical is not None:
        try:
            loaded.options[canonical] = validate(SETTINGS_BY_NAME[canonical], value)
        except ConfigError as error:
            return f"{name}: {error}"
        return ""
    if name in GUNICORN_BY_NAME:
        loaded.warnings.append(f"{loaded.where}: gunicorn's setting {name!r} is not "
                               f"supported, ignored: {why_not(name)}")
        return ""
    close = suggest(name)
    if close:
        return f"unknown setting {name!r} (did you mean {close!r}?)"
    if isinstance(value, _PLAIN):
        return (f"unknown setting {name!r}: no such setting in wsgiserver or gunicorn "
                "(name a helper variable _like_this)")
    return ""  # a helper function, class or imported object


def suggest(name: str) -> str:
    """The setting name (ours, an alias or gunicorn's) closest to a misspelt one."""
    matches = difflib.get_close_matches(name.lower(), [*CANONICAL, *GUNICORN_BY_NAME],
                                        n=1, cutoff=0.75)
    return matches[0] if matches else ""


def merge(layers: Iterable[tuple[str, dict[str, Any]]]) -> tuple[dict, dict]:
    """(options, origin of each) from (origin, options) layers, lowest first; a later
    layer's value replaces an earlier one's (a list too, as gunicorn's --bind)."""
    options: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for origin, values in layers:
        for name, value in values.items():
            name = CANONICAL.get(name, name)
            options[name] = value
            origins[name] = origin
    return options, origins


def environment_defaults(environ: Optional[dict] = None) -> Loaded:
    """The defaults gunicorn takes from the environment: $WEB_CONCURRENCY workers."""
    environ = os.environ if environ is None else environ
    loaded = Loaded("$WEB_CONCURRENCY")
    if environ.get("WEB_CONCURRENCY"):
        try:
            loaded.options["workers"] = validate(SETTINGS_BY_NAME["workers"],
                                                 environ["WEB_CONCURRENCY"])
        except ConfigError as error:
            loaded.errors.append(f"$WEB_CONCURRENCY: {error}")
    return loaded


def printable(value: Any) -> str:
    """A value as --print-config shows it: Python a config file could hold."""
    if callable(value) and hasattr(value, "__qualname__"):
        return repr(f"{getattr(value, '__module__', '?')}:{value.__qualname__}")
    return repr(value)


def print_lines(options: dict[str, Any], origins: dict[str, str]) -> list[str]:
    """`name = value  # origin` for every setting, in the table's order."""
    return [f"{s.name} = {printable(options.get(s.name, s.default))}  "
            f"# {origins.get(s.name, 'default')}" for s in SETTINGS]


def warn(lines: Iterable[str]) -> None:
    for line in lines:
        print(f"wsgiserver: warning: {line}", file=sys.stderr)
