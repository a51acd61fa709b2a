"""Validators: each turns a raw value (text from the command line or a config
file, anything from Python) into the typed value of a setting, or raises
ConfigError saying what was expected."""

from __future__ import annotations

import importlib
from typing import Any, Callable, Iterable

from ..errors import ConfigError

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def non_negative_int(text: Any) -> int:
    if isinstance(text, (bool, float)):  # int() would take True and 2.5 as 1 and 2
        raise ConfigError(f"expected a whole number, got {text!r}")
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise ConfigError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise ConfigError(f"expected a number >= 0, got {value}")
    return value


def one_of(what: str, choices: Iterable[str], strip: bool = True) -> Callable[[Any], str]:
    """A validator for a name from `choices`, in any case (and with blanks around it,
    unless `strip` is False); `what` names it in the error."""
    allowed = tuple(choices)

    def validate(value: Any) -> str:
        text = str(value).lower()
        name = text.strip() if strip else text
        if name not in allowed:
            raise ConfigError(f"{what} must be one of {', '.join(allowed)}, got {value!r}")
        return name
    return validate


log_level = one_of("log level", LOG_LEVELS, strip=False)


def text_value(text: Any) -> str:
    return str(text)


def address_list(value: Any) -> str:
    """Comma-separated addresses, from text or (in a config file, as gunicorn) a list."""
    if isinstance(value, (list, tuple)):
        return ",".join(str(item).strip() for item in value)
    return str(value)


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
