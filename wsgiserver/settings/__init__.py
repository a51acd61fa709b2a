"""The one table of settings shared by the command line, the config file, the
Python API and the docs.

Each `Setting` names its section, its command-line flags, the validator that
turns a raw value (text from the command line, anything from Python) into a
typed one, its default and its description. Each section's settings live in a
module of their own here (socket.py, processes.py, ...) and `table.py` joins
them into SETTINGS. `cli.py` builds argparse from the table,
`Config.from_options` validates keyword arguments from `WSGIServer(...)`
against it, and `scripts/settings_reference.py` writes docs/settings.md from
it, so none of them can drift apart (gunicorn's `config.py` is the model).
"""

from .base import SECTIONS, Setting
from .config import RENAMED, Config, default_port, parse_port
from .table import DEFAULTS, SETTINGS, SETTINGS_BY_NAME
from .validators import (
                         LOG_LEVELS,
                         boolean,
                         callable_hook,
                         file_suffix,
                         log_level,
                         non_negative_int,
                         text_value,
                         url_prefix,
)

__all__ = ["DEFAULTS", "LOG_LEVELS", "RENAMED", "SECTIONS", "SETTINGS", "SETTINGS_BY_NAME",
           "Config", "Setting", "boolean", "callable_hook", "default_port", "file_suffix",
           "log_level", "non_negative_int", "parse_port", "text_value", "url_prefix"]
