"""The master's loop without forking: what it does in which order."""

from __future__ import annotations

import pytest

from wsgiserver.process.arbiter import Arbiter


class Stop(Exception):
    """Ends the master's loop from the test."""


def test_the_first_workers_are_forked_before_the_master_first_waits():
    arbiter = Arbiter(lambda sockets, options: None, {"workers": 2}, bind=lambda cfg: [])
    forked: list[int] = []
    seen_at_first_wait: list[int] = []
    arbiter.spawn = lambda: forked.append(1)  # what would fork

    def wait(timeout: float) -> list[int]:
        seen_at_first_wait.append(len(forked))
        raise Stop

    arbiter.signals.wait = wait
    try:
        with pytest.raises(Stop):
            arbiter._supervise()
    finally:
        arbiter.signals.close()
        arbiter.boot_errors.close()
    assert seen_at_first_wait == [2]  # not a whole LOOP_WAIT (1 s) after start
