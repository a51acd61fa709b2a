"""Server mechanics: the master's pidfile, its directory, environment and
identity, process titles and daemon mode (gunicorn's names and flags)."""

from __future__ import annotations

import grp
import os
import pwd
import re
from typing import Any

from ..errors import ConfigError
from .base import MECHANICS, Setting
from .validators import boolean, text_value


def user_id(value: Any) -> int:
    """A user name or number -> its uid (a number need not be in /etc/passwd)."""
    return _id_of(value, pwd.getpwnam, "pw_uid", "user")


def group_id(value: Any) -> int:
    """A group name or number -> its gid."""
    return _id_of(value, grp.getgrnam, "gr_gid", "group")


def _id_of(value: Any, lookup, field: str, kind: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = str(value).strip()
        if not text.isdigit():
            try:
                return getattr(lookup(text), field)
            except KeyError:
                raise ConfigError(f"no such {kind}: {text!r}") from None
        number = int(text)
    if number < 0:
        raise ConfigError(f"expected a {kind} name or a number >= 0, got {value!r}")
    return number


def umask_value(value: Any) -> int:
    """0o22, 022 (a leading 0 means octal, as umask(1) reads it), 0x12 or decimal 18."""
    if isinstance(value, int) and not isinstance(value, bool):
        mask = value
    else:
        text = str(value).strip().lower()
        try:
            if re.fullmatch(r"0[0-7]+", text):
                mask = int(text, 8)
            else:
                mask = int(text, 0)
        except ValueError:
            raise ConfigError(f"expected a umask like 0o22, 022 or 18, got {value!r}") from None
    if not 0 <= mask <= 0o777:
        raise ConfigError(f"a umask is from 0 to 0o777, got {value!r}")
    return mask


def existing_directory(value: Any) -> str:
    """A folder that exists, made absolute (relative to where the server starts)."""
    path = os.path.abspath(os.path.expanduser(str(value)))
    if not os.path.isdir(path):
        raise ConfigError(f"can't chdir to {str(value)!r}: not a folder")
    return path


def env_entry(value: Any) -> str:
    text = str(value)
    name, equals, _ = text.partition("=")
    if not equals or not name or "\0" in text:
        raise ConfigError(f"expected KEY=VALUE, got {text!r}")
    return text


SETTINGS = (
    Setting("pidfile", MECHANICS, ("-p", "--pid"), text_value, None,
            "write the master's pid to FILE once the sockets are bound, remove it at exit; "
            "refused (exit 2) while a live process holds it. During a USR2 upgrade the new "
            "master writes FILE.2, and FILE names it once the old master has exited", "FILE"),
    Setting("chdir", MECHANICS, ("--chdir",), existing_directory, None,
            "change to DIR before loading the app (and put DIR first on sys.path)", "DIR"),
    Setting("pythonpath", MECHANICS, ("--pythonpath",), text_value, None,
            "comma-separated folders put first on sys.path before the app loads", "DIRS"),
    Setting("raw_env", MECHANICS, ("-e", "--env"), env_entry, None,
            "set an environment variable for the app (repeatable)", "KEY=VALUE",
            repeatable=True),
    Setting("user", MECHANICS, ("-u", "--user"), user_id, None,
            "run the workers as this user (name or uid), switched to after the sockets "
            "are bound; the master keeps its own identity, as gunicorn's does", "USER"),
    Setting("group", MECHANICS, ("-g", "--group"), group_id, None,
            "run the workers as this group (name or gid), with no supplementary groups "
            "but it", "GROUP"),
    Setting("umask", MECHANICS, ("-m", "--umask"), umask_value, None,
            "the umask of the server and its workers: the mode of files they create, unix "
            "sockets too (0o22, 022 or 18; unset: inherited)", "MASK"),
    Setting("proc_name", MECHANICS, ("-n", "--name"), text_value, None,
            "process titles 'wsgiserver: master [NAME]' and 'wsgiserver: worker [NAME]' "
            "in ps and top (needs setproctitle: pip install 'wsgiserver[proctitle]')",
            "NAME"),
    Setting("daemon", MECHANICS, ("-D", "--daemon"), boolean, False,
            "detach from the terminal once the sockets are bound (double fork, new "
            "session, stdin/stdout/stderr to /dev/null or the error log file)", flag=True),
)
