"""HUP: what a reload changes before its new workers start, and what it returns to.

A reload reads the settings again, sets logging up again and binds a changed
--bind (process/sockets.py) before any worker changes, so a mistake there (a
port in use, a log file that cannot be opened) fails the reload with nothing
changed. If the new workers then cannot boot, the master returns to the
`Restore` taken at the first of the pending HUPs: settings, sockets, logging,
and the workers of that generation or older; every later one is stopped.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Iterable, Optional

from ..errors import ConfigError
from ..observe.log import reconfigure_logging
from ..settings import Config
from .sockets import MasterSockets
from .worker import Worker


@dataclass
class Restore:
    """What a HUP whose new workers cannot boot returns to."""

    cfg: Config
    options: dict
    num_workers: int
    sockets: list[socket.socket]
    generation: int  # workers of this one or older were serving before the HUPs

    def of_failed_reloads(self, workers: Iterable[Worker]) -> list[Worker]:
        return [worker for worker in workers if worker.generation > self.generation]


def prepare(listeners: MasterSockets, old: Config, new: Config,
            relog: bool) -> Optional[list[socket.socket]]:
    """Logging set up again (`relog`: it was set up from the settings) and a changed
    --bind bound: the new sockets, or None if --bind is the same. On ConfigError
    both are as they were."""
    if relog:
        reconfigure_logging(old, new)
    try:
        if new.bind == old.bind:
            return None
        return listeners.rebind(new.bind, new.backlog, new.reuse_port)
    except ConfigError:
        if relog:
            reconfigure_logging(new, old)
        raise
