"""The scoreboard: slots a forked worker writes and its master reads."""

from __future__ import annotations

import os

from wsgiserver.observe.stats import ServerStats
from wsgiserver.process.scoreboard import BOOTING, FREE, READY, Scoreboard


def test_a_forked_child_writes_what_the_parent_reads():
    board = Scoreboard(slots=4)
    slot = board.claim()
    pid = os.fork()
    if pid == 0:
        try:
            stats = ServerStats()
            stats.requests = 7
            stats.record(404, 0.02)
            slot.publish(stats)
            slot.set("state", READY)
            slot.beat(123.5)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    row = slot.as_dict()
    assert (row["requests"], row["status_4xx"], row["state"], row["heartbeat"]) == \
        (7, 1, READY, 123.5)
    assert row["bucket_2"] == 1  # 0.02 s is in the 0.025 s bucket


def test_claim_takes_free_slots_and_release_frees_them():
    board = Scoreboard(slots=2)
    first = board.claim(pid=10)
    board.claim(pid=11)
    assert first.get("state") == BOOTING and [s.get("pid") for s in board.in_use()] == [10, 11]
    board.release(first)
    assert first.get("state") == FREE and board.claim(pid=12) is first


def test_totals_sum_the_live_workers():
    board = Scoreboard(slots=3)
    for requests in (3, 4):
        stats = ServerStats()
        stats.requests = requests
        board.claim().publish(stats)
    assert board.totals()["requests"] == 7
