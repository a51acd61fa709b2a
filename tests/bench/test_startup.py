"""bench/startup.py's helpers: no server started by the script, no timing asserted."""

from __future__ import annotations

import time

from bench import startup
from wsgiserver.testing import live_server


def hello(environ, start_response):
    start_response("200 OK", [("Content-Length", "2")])
    return [b"hi"]


def test_first_answer_is_the_time_since_the_start_until_a_200():
    with live_server(hello) as server:
        started = time.monotonic()
        seconds = startup.first_answer(server.port, started)
    assert seconds is not None and seconds >= 0


def test_summary_gives_the_median_the_range_and_what_never_answered():
    assert startup.summary([0.3, 0.1, 0.2]) == "median 0.200 s (min 0.100, max 0.300)"
    assert startup.summary([0.1, None]) == "median 0.100 s (min 0.100, max 0.100), " \
                                          "1 never answered"
    assert startup.summary([None]) == "never answered"
