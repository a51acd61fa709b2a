"""The one table: every section's settings, in the order of SECTIONS."""

from __future__ import annotations

from . import hooks, limits, logs, processes, socket, static
from .base import SECTIONS, Setting

SETTINGS: tuple[Setting, ...] = (
    *socket.SETTINGS, *processes.SETTINGS, *limits.SETTINGS, *static.SETTINGS,
    *logs.SETTINGS, *hooks.SETTINGS)

SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}
DEFAULTS = {setting.name: setting.default for setting in SETTINGS}
assert len(SETTINGS_BY_NAME) == len(SETTINGS), "a setting is declared twice"
assert all(s.section in SECTIONS for s in SETTINGS), "a setting in no known section"
