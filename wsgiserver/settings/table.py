"""The one table: every section's settings, in the order of SECTIONS."""

from __future__ import annotations

from . import (
    configfile,
    control,
    hooks,
    limits,
    logs,
    mechanics,
    metrics,
    processes,
    socket,
    static,
)
from .base import SECTIONS, Setting

SETTINGS: tuple[Setting, ...] = (
    *configfile.SETTINGS,
    *socket.SETTINGS, *processes.SETTINGS, *limits.SETTINGS, *static.SETTINGS,
    *logs.SETTINGS, *metrics.SETTINGS, *mechanics.SETTINGS, *control.SETTINGS,
    *hooks.SETTINGS)

SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}
DEFAULTS = {setting.name: setting.default for setting in SETTINGS}
# Every name a setting is known by (its own and its aliases) -> its name.
CANONICAL = {alias: s.name for s in SETTINGS for alias in s.aliases} | {
    s.name: s.name for s in SETTINGS}
assert len(SETTINGS_BY_NAME) == len(SETTINGS), "a setting is declared twice"
assert len(CANONICAL) == len(SETTINGS) + sum(len(s.aliases) for s in SETTINGS), \
    "an alias is taken twice"
assert all(s.section in SECTIONS for s in SETTINGS), "a setting in no known section"
