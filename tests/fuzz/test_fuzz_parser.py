"""Fuzz targets for the sans-IO RequestParser (issue 12), bounded for CI.

The properties and the mutations are in tests/fuzz/properties.py (which also
says why Hypothesis, not Atheris); the seeds in tests/fuzz/corpus/ (see
make_corpus.py). Here:

- every seed, unmutated, under every parser configuration (the saved crashes
  are replayed on every run, whatever Hypothesis draws);
- Hypothesis-mutated seeds and random bytes, `EXAMPLES` inputs, each under
  every configuration, derandomized so CI runs the same cases every time;
  run_long.py runs the same properties for as long as you like;
- no input shape takes more than linear work (`test_work_is_linear`).

On the parser before commit 1e3a32b both parser targets fail: the seed replay on
crash-upgrade-then-close (HttpParserCallbackError) and the 70 KB '*' target; the
mutated run within its first ~430 inputs, reporting both as distinct failures.
Without the crash seeds the mutations alone hit the Upgrade crash after ~3,700
inputs (more than CI runs: that is what the saved crashes are for).

The work property counts Python function calls (`sys.setprofile`: calls into
Python code and into builtins), a deterministic proxy for time that no machine
load can flake. It does not see work inside C: llhttp is linear, but httptools
accumulates a header value fed in pieces with `bytes +=`, so feeding one long
value a byte at a time copies O(n^2) bytes while making O(n) calls. The
limits bound it: a field is at most 8190 bytes (--limit-request-field-size) and a
head 32 KiB (--limit-request-header-size), so 1-byte packets cost at most about
4 x 8190^2 / 2 = 134 MB of memcpy per head, far less than the packets' own cost
in the kernel; with the limits set to 0 it is unbounded, as 0 means.
"""

from __future__ import annotations

import sys
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.properties import (
    CONFIGS,
    check_input,
    cut_points,
    fuzz_inputs,
    load_seeds,
    seed_names,
)
from wsgiserver.http.parser import Limits, RequestParser

SEEDS = load_seeds()
EXAMPLES = 1000  # inputs, each checked under the 4 configurations

CI_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                       suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
                       print_blob=True)


def test_the_seed_corpus_is_there():
    # make_corpus.py writes it; at least the parity cases, the refused corpus, the crashes.
    names = seed_names()
    assert len(SEEDS) > 300
    assert "crash-upgrade-then-close" in names


@pytest.mark.parametrize("config", CONFIGS, ids=lambda config: config.name)
def test_every_seed_gives_the_same_events_for_every_split(config):
    for name, data in zip(seed_names(), SEEDS, strict=True):
        cuts = list(range(7, len(data), 7))  # and whole and byte by byte, in check_input
        try:
            check_input(config, data, cuts)
        except AssertionError as failure:
            raise AssertionError(f"seed {name}: {failure}") from None


@CI_SETTINGS
@given(data=st.data())
def test_mutated_inputs_give_the_same_events_for_every_split(data):
    # Every configuration judges each input (parametrizing would draw the same
    # inputs once per configuration: derandomize seeds by the test's name).
    request = data.draw(fuzz_inputs(SEEDS), label="input")
    cuts = data.draw(cut_points(request), label="cuts")
    for config in CONFIGS:
        check_input(config, request, cuts)


# -- linear work --------------------------------------------------------------

_POST = b"POST / HTTP/1.1\r\nHost: x\r\n"

# Pathological shapes of about n bytes.
SHAPES: dict[str, Callable[[int], bytes]] = {
    "header-continuations": lambda n: b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n"
                                      + b" b\r\n" * (n // 4),
    "one-header-value": lambda n: b"GET / HTTP/1.1\r\nHost: x\r\nX-A: " + b"v" * n,
    "many-header-fields": lambda n: b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X: a\r\n" * (n // 6),
    "tiny-chunks": lambda n: _POST + b"Transfer-Encoding: chunked\r\n\r\n"
                             + b"1\r\na\r\n" * (n // 6),
    "chunk-extension": lambda n: _POST + b"Transfer-Encoding: chunked\r\n\r\n1;" + b"a" * n,
    "target": lambda n: b"GET /" + b"a" * n,
    "pipelined-gets": lambda n: b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * (n // 27),
    "empty-lines": lambda n: b"\r\n" * (n // 2),
    "body": lambda n: _POST + b"Content-Length: %d\r\n\r\n" % n + b"x" * n,
    "method-token": lambda n: b"A" * n,
}
# (piece size, the two input sizes compared, most calls per input byte)
FEEDS = [(65536, (2**16, 2**20), 8), (1, (2**13, 2**15), 32)]


def _unlimited() -> Limits:
    limits = Limits(request_line=0, fields=0, field_size=0, body=0)
    limits.header_size = 0  # an attribute, as in properties._small_limits
    return limits


UNLIMITED = _unlimited()


def count_calls(limits: Limits, data: bytes, piece: int) -> int:
    """Python function calls (Python code and builtins) made to parse `data` in pieces."""
    parser = RequestParser(limits)
    calls = 0

    def profile(frame, event, arg):
        nonlocal calls
        if event == "call" or event == "c_call":
            calls += 1

    sys.setprofile(profile)
    try:
        for start in range(0, len(data), piece):
            parser.feed(data[start:start + piece])
        parser.feed_eof()
    finally:
        sys.setprofile(None)
    return calls


@pytest.mark.parametrize("limits", [Limits(), UNLIMITED], ids=["default-limits", "no-limits"])
@pytest.mark.parametrize("piece, sizes, per_byte", FEEDS, ids=["64KiB-pieces", "1-byte-pieces"])
@pytest.mark.parametrize("shape", SHAPES)
def test_work_is_linear(shape, piece, sizes, per_byte, limits):
    small, large = sizes
    small_work = count_calls(limits, SHAPES[shape](small), piece)
    large_work = count_calls(limits, SHAPES[shape](large), piece)
    assert large_work <= per_byte * large + 2000
    # Superlinear growth shows as a ratio above the sizes' (a quarter of slack).
    assert large_work <= 1.25 * (large / small) * small_work + 2000
