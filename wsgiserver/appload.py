"""Finding the WSGI app named on the command line: MODULE[:NAME] or MODULE:factory()."""

from __future__ import annotations

import importlib
import os
import re
import sys
from typing import Callable

from .errors import ConfigError

_FACTORY_CALL = re.compile(r"^([A-Za-z_][\w.]*)\(\)$")


def load_app(spec: str) -> Callable:
    """Import and return the app; every failure is a ConfigError with one clear line."""
    module_name, _, attribute = spec.partition(":")
    if not module_name:
        raise ConfigError(f"invalid app {spec!r}: expected MODULE or MODULE:NAME")
    module = _import(module_name)
    name, is_factory = _parse_attribute(attribute or "application", spec)
    app = _resolve(module, name, spec)
    if is_factory:
        app = app()
    if not callable(app):
        raise ConfigError(f"{spec!r} is not callable (it is a {type(app).__name__})")
    return app


def _import(module_name: str):
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # as gunicorn does: apps next to you import
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            raise ConfigError(f"no module named {module_name!r} "
                              f"(looked in {os.getcwd()} and sys.path)") from None
        raise


def _parse_attribute(attribute: str, spec: str) -> tuple[str, bool]:
    match = _FACTORY_CALL.match(attribute)
    if match:
        return match.group(1), True
    if not re.match(r"^[A-Za-z_][\w.]*$", attribute):
        raise ConfigError(f"invalid app {spec!r}: {attribute!r} is not a name or name()")
    return attribute, False


def _resolve(module, dotted: str, spec: str):
    obj = module
    for part in dotted.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigError(f"module {module.__name__!r} has no attribute "
                              f"{dotted!r} (from {spec!r})") from None
    return obj
