"""Config: the validated value of every setting, built from keyword options."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError
from .base import Setting
from .table import CANONICAL, DEFAULTS, SETTINGS_BY_NAME


def default_port() -> int:
    return parse_port(os.environ.get("PORT") or "8000")  # an empty $PORT is unset


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
        return CANONICAL.get(name, name)  # gunicorn's name of one of ours: accesslog
    warnings.warn(f"the setting {name!r} is now called {new!r}", DeprecationWarning,
                  stacklevel=4)
    return new


def _convert(name: str, raw: Any) -> Any:
    setting = SETTINGS_BY_NAME.get(name)
    if setting is None:
        raise ConfigError(f"unknown option {name!r}")
    try:
        return validate(setting, raw)
    except ConfigError as error:
        raise ConfigError(f"{setting.flags[0] if setting.flags else name}: {error}") from None


def validate(setting: Setting, raw: Any) -> Any:
    """The typed value of `setting` from a raw one (None stays None), or ConfigError."""
    if raw is None:
        return None
    if not setting.repeatable:
        return setting.validator(raw)
    if isinstance(raw, str):
        raw = [raw]
    elif not isinstance(raw, (list, tuple)):
        raise ConfigError(f"expected text or a list of text, got {raw!r}")
    return [setting.validator(item) for item in raw]
