"""The control socket (`wsgiserver ctl`) and development reload (gunicorn's names)."""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from .base import CONTROL, Setting
from .validators import boolean, one_of, text_value

RELOAD_ENGINES = ("auto", "poll", "inotify")
reload_engine = one_of("reload engine", RELOAD_ENGINES)


class FileMode(int):
    """An int that prints as chmod writes it (0600, not 384) in --help and the docs."""

    def __str__(self) -> str:
        return f"{int(self):04o}"

    __repr__ = __str__


def socket_mode(value: Any) -> int:
    """A file mode such as 0600 or 600 (always octal, as chmod reads it)."""
    if isinstance(value, int) and not isinstance(value, bool):
        mode = value
    else:
        try:
            mode = int(str(value).strip().removeprefix("0o"), 8)
        except ValueError:
            raise ConfigError(f"expected an octal mode like 0600, got {value!r}") from None
    if not 0 <= mode <= 0o777:
        raise ConfigError(f"expected an octal mode like 0600, got {value!r}")
    if not mode & 0o600 == 0o600:
        raise ConfigError(f"the owner needs read and write (0600 at least), got {mode:04o}")
    return FileMode(mode)


SETTINGS = (
    Setting("reload", CONTROL, ("--reload",), boolean, False,
            "development: watch the app's source files (and --reload-extra-file) and "
            "restart the workers gracefully when one changes (SIGHUP); code that does not "
            "compile or import has its error, and where, logged once and the old "
            "workers keep serving", flag=True),
    Setting("reload_engine", CONTROL, ("--reload-engine",), reload_engine, "auto",
            "how --reload watches: inotify (the 'reload' extra, inotify_simple), poll "
            "(stat every file twice a second) or auto (inotify where installed)", "ENGINE"),
    Setting("reload_extra_files", CONTROL, ("--reload-extra-file",), text_value, None,
            "one more file (or folder, or glob pattern) --reload watches, such as a "
            "template or a config file; repeatable", "FILE", repeatable=True),
    Setting("control_socket", CONTROL, ("--control-socket",), text_value, None,
            "listen for `wsgiserver ctl` on this unix socket in the master (off unless set; "
            "created with --control-socket-mode, and only its owner's uid and root are "
            "answered)", "PATH"),
    Setting("control_socket_mode", CONTROL, ("--control-socket-mode",), socket_mode,
            FileMode(0o600),
            "file mode of --control-socket (octal; 0660 lets the owner's group in too)",
            "MODE"),
)
