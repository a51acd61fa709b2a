"""Per-client connection caps: at most N open connections per client address.

The tutorial's advice (seed 000, section 3) is to cap the long connections of
each client machine, so that one client cannot take every slot: without a cap
one address opened 3,000 connections and all were accepted.

Counted on the accept path, so it is O(1) and cheap: one dict look-up and one
store per accepted connection, one more when it is forgotten. The count is per
worker process (each `--workers` process has its own), so with N workers one
address may hold up to N times the cap.

Not counted, so never capped:
- the addresses in `--forwarded-allow-ips`: a proxy in front speaks for many
  clients, and capping it would cap all of them. Its '*' ("every peer is a
  proxy", as when the server is only reachable through a load balancer whose
  address is not known) therefore turns the cap off;
- unix-socket peers: a local process, in practice a proxy on the same host.

Refusals are logged once per burst: one warning when an address first goes
over the cap and, LOG_WINDOW seconds later, one line counting the further
refusals of that burst (if any); never a line per connection, or a flood of
connections would flood the log too.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Iterable

error_log = logging.getLogger("wsgiserver.error")

LOG_WINDOW = 10.0  # seconds a burst of refusals from one address is summed up for
MAPPED_V4 = "::ffff:"  # an IPv4 client of a dual-stack [::] socket: ::ffff:192.0.2.1


class ClientCaps:
    """Open connections per client address, and the refusals over the cap."""

    def __init__(self, limit: int, exempt: Iterable[str] = ()) -> None:
        exempt = frozenset(exempt)
        self.limit = limit
        self.enabled = limit > 0 and "*" not in exempt
        # A trusted IPv4 proxy is the same proxy when it reaches a [::] socket.
        self.exempt = exempt | {MAPPED_V4 + address for address in exempt if "." in address}
        self.open: dict[str, int] = {}  # address -> connections it holds now
        self.refused: dict[str, list] = {}  # address -> [burst start, refusals not logged]

    def acquire(self, addr: Any) -> bool:
        """Count a new connection from `addr` (a socket address); False if it is over
        the cap, and so must be refused."""
        if not self.enabled or type(addr) is not tuple:
            return True  # no cap, or a unix-socket peer
        host = addr[0]
        if host in self.exempt:
            return True
        count = self.open.get(host, 0)
        if count >= self.limit:
            self._note_refusal(host)
            return False
        self.open[host] = count + 1
        return True

    def release(self, addr: Any) -> None:
        """A connection counted by `acquire` has closed."""
        if not self.enabled or type(addr) is not tuple:
            return
        host = addr[0]
        count = self.open.get(host)
        if count is None:
            return  # exempt: never counted
        if count > 1:
            self.open[host] = count - 1
        else:
            del self.open[host]  # so the table only holds addresses with connections

    def holding(self, host: str) -> int:
        """How many counted connections `host` holds now."""
        return self.open.get(host, 0)

    def _note_refusal(self, host: str) -> None:
        burst = self.refused.get(host)
        if burst is not None:
            burst[1] += 1
            return
        self.refused[host] = [time.monotonic(), 0]
        error_log.warning("client %s holds %d connections, the --limit-per-client cap: "
                          "refusing its new connections (closed at once)", host, self.limit)

    def report(self, now: float) -> None:
        """Once a tick: log how many more were refused in each burst that has run
        LOG_WINDOW seconds, and end it (a later refusal starts a new burst)."""
        if not self.refused:
            return
        for host, (start, more) in list(self.refused.items()):
            if now - start < LOG_WINDOW:
                continue
            del self.refused[host]
            if more:
                error_log.warning("refused %d more connections from %s in %.0f s "
                                  "(--limit-per-client %d)", more, host, now - start,
                                  self.limit)
