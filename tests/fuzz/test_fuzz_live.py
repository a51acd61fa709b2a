"""Live fuzz: mutated requests over real sockets to the real server (issue 12).

`INPUTS` inputs from the parser fuzzer's strategy (tests/fuzz/properties.py),
drawn with a fixed seed, each sent on its own loopback connection, whole, then
the write side shut (one in `SILENT_EVERY`: kept open and silent, so only the
server's deadlines end it); the answer is read until the server closes. Checked:

- every connection ends (EOF) within its deadlines: the head deadline, the
  body's, plus slack (`CONNECTION_DEADLINE`);
- no answer is a 5xx other than 501 and 505 (protocol answers): a problem in
  the bytes the client sent is the client's error, never a 500;
- each saved crash gets an answer (the Upgrade one once got none);
- the server is still up afterwards: a plain GET gets 200.
"""

from __future__ import annotations

import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor

from hypothesis import HealthCheck, Phase, given, settings

from tests.fuzz.properties import fuzz_inputs, load_seeds, seed_names
from wsgiserver.testing import live_server

INPUTS = 250
SILENT_EVERY = 5
HEADER_TIMEOUT, READ_TIMEOUT, KEEPALIVE = 1, 2, 1
CONNECTION_DEADLINE = HEADER_TIMEOUT + READ_TIMEOUT + 3
# Status lines at the start of the stream or after a response (the app's
# body is "ok\n", so nothing else in the stream looks like one).
STATUS_LINE = re.compile(rb"(?:^|\n|ok\n)HTTP/1\.[01] (\d{3}) ")


def app(environ, start_response):
    # Reads the body as apps do, so 100-continue bodies stream through wsgi.input.
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
    return [b"ok\n"]


def draw_inputs(count: int) -> list[bytes]:
    """`count` fuzz inputs, the same on every run (a derandomized Hypothesis run)."""
    seeds, drawn = load_seeds(), []

    @settings(max_examples=count, derandomize=True, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(fuzz_inputs(seeds))
    def collect(request):
        drawn.append(request)

    collect()
    return drawn


def saved_crashes() -> list[bytes]:
    return [data for name, data in zip(seed_names(), load_seeds(), strict=True)
            if name.startswith("crash-")]


def exchange(port: int, data: bytes, silent: bool = False) -> tuple[bytes, float, bool]:
    """Send `data`, shut the write side (unless `silent`), read to EOF:
    (answer, seconds, ended)."""
    started = time.monotonic()
    answer = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=CONNECTION_DEADLINE) as sock:
        try:
            sock.sendall(data)
            if not silent:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may refuse and close before it has read it all
        ended = False
        while time.monotonic() - started < CONNECTION_DEADLINE:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            except OSError:
                ended = True  # reset: ended all the same
                break
            if not chunk:
                ended = True
                break
            answer += chunk
    return bytes(answer), time.monotonic() - started, ended


def test_mutated_requests_over_sockets_never_hang_or_become_5xx():
    crashes, drawn = saved_crashes(), draw_inputs(INPUTS)
    assert crashes and len(drawn) >= INPUTS * 0.9
    inputs = crashes + drawn
    silent = [index % SILENT_EVERY == 1 for index in range(len(inputs))]
    with live_server(app, header_timeout=HEADER_TIMEOUT, read_timeout=READ_TIMEOUT,
                     keepalive=KEEPALIVE, threads=4) as server:
        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(lambda data, quiet: exchange(server.port, data, quiet),
                                    inputs, silent))
        sent = list(zip(inputs, results, strict=True))
        hanging = [data[:80] for data, (_, took, ended) in sent
                   if not ended or took > CONNECTION_DEADLINE]
        assert not hanging, f"{len(hanging)} connections did not end in time: {hanging[:5]}"
        server_errors = [(data[:120], answer[:200]) for data, (answer, _, _) in sent
                         for status in STATUS_LINE.findall(answer)
                         if status.startswith(b"5") and status not in (b"501", b"505")]
        assert not server_errors, f"{len(server_errors)} 5xx answers: {server_errors[:3]}"
        unanswered = [data[:80] for data, (answer, _, _) in sent[:len(crashes)]
                      if not STATUS_LINE.search(answer)]
        assert not unanswered, f"saved crashes without an answer: {unanswered}"
        statuses = [status for answer, _, _ in results for status in STATUS_LINE.findall(answer)]
        assert len(statuses) > INPUTS / 2  # most inputs got an answer at all
        still_up, _, _ = exchange(server.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert still_up.startswith(b"HTTP/1.1 200 ")
