"""Process titles (`--name`): 'wsgiserver: master [NAME]' and 'wsgiserver: worker
[NAME]' in ps and top. They need setproctitle (the `proctitle` extra); without
it the server says once how to get them and runs as it is."""

from __future__ import annotations

import logging
from typing import Optional

error_log = logging.getLogger("wsgiserver.error")

MISSING = ("process titles (--name) need setproctitle: "
           "pip install 'wsgiserver[proctitle]'")


def title_for(role: str, name: str) -> str:
    return f"wsgiserver: {role} [{name}]"


def set_title(role: str, name: Optional[str]) -> bool:
    """Retitle this process as `role` ('master', 'worker'); False when it cannot."""
    if not name:
        return False
    try:
        from setproctitle import setproctitle
    except ImportError:
        return False
    setproctitle(title_for(role, name))
    return True


def announce_titles(name: Optional[str]) -> None:
    """One info line, at start-up, when titles were asked for but cannot be set."""
    if not name:
        return
    try:
        import setproctitle  # noqa: F401
    except ImportError:
        error_log.info(MISSING)
