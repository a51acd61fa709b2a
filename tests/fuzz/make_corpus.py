"""Write the fuzzers' seed corpus, tests/fuzz/corpus/, one raw input per file.

    python3 tests/fuzz/make_corpus.py

Re-runnable: it rewrites every `*.http` file from three sources, so edit the
sources, not the files:

- `parity-<id>.http`: the request bytes of every case in tests/parity/cases/*.toml
  (read by tests/parity/parity_harness.py's own loader, so `{{"x"*N}}` and `{{len}}`
  expand exactly as the parity suite sends them);
- `refused-<name>.http`: every case of tests/http/corpus.py (requests refused with
  a status);
- `crash-<name>.http`: inputs that once broke the parser, kept here (CRASHES below)
  so every fuzz run replays them.

gunicorn's own fixtures (tests/requests/valid, invalid in its repository) are not
installed with the package, so they are not a source. Identical inputs are written
once (the first name wins).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CORPUS = HERE / "corpus"

# Inputs that once broke the parser (issue 12), with what went wrong.
CRASHES = {
    # RequestParser.feed raised HttpParserCallbackError: the re-feed after an
    # upgrade ran inside the `except HttpParserUpgrade` block.
    "upgrade-then-close": b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                          b"Upgrade: websocket\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n"
                          b"Connection: close\r\n\r\n",
    # 414 fed in pieces, 400 fed whole: the target limit fired where a feed ended.
    "long-asterisk-target-bad-byte": b"OPTIONS " + b"*" * 70000
                                     + b"\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
    # The same split dependence on a request-target that is not '*'.
    "long-target-bad-byte": b"GET /" + b"a" * 9000 + b"\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
    # Found by run_long.py: after a trailer section the scanner ran 2 bytes
    # ahead, so the next request line lost its start ('get' became 'et': 400
    # fed whole, 501 in pieces).
    "chunked-then-unknown-method": b"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
                                   b"\r\n\r\n0\r\n\r\nget /B HTTP/1.1\r\nHost: x\r\n\r\n",
    # Found by run_long.py: a streamed (100-continue) body over the body limit
    # (small limits: 40 bytes) gave the app as many bytes as the last feed held.
    "streamed-chunked-over-body-limit": b"POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue"
                                        b"\r\nTransfer-Encoding: chunked\r\n\r\n30\r\n"
                                        + b"a" * 48 + b"\r\n0\r\n\r\n",
    # Found by run_long.py: served as HTTP/1.0 in pieces (the RTSP check looked
    # back 512 bytes only), 400 whole.
    "rtsp-line-then-long-field": b"GET / RTSP/1.0\r\nX-A: " + b"v" * 1000
                                 + b"\r\nHost: x\r\n\r\n",
    # Found by run_long.py: 431 in pieces, 400 whole (a field over a limit is
    # reported when the next one starts; the bad byte after it won fed whole).
    "field-size-then-bad-token": b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"h" * 9000
                                 + b"\r\ne/b\r\n\r\n",
    "field-count-then-bad-token": b"GET / HTTP/1.1\r\n"
                                  + b"".join(b"X-%d: v\r\n" % i for i in range(7))
                                  + b"e/b\r\n\r\n",
}


def _sources() -> list[tuple[str, bytes]]:
    sys.path[:0] = [str(REPO), str(REPO / "tests" / "parity")]
    import parity_harness  # noqa: PLC0415 (needs the path above)

    from tests.http.corpus import CASES  # noqa: PLC0415

    found = [(f"crash-{name}", data) for name, data in CRASHES.items()]
    found += [(f"parity-{case.id}", case.request) for case in parity_harness.load_cases()]
    found += [(f"refused-{case.name}", case.data) for case in CASES]
    return found


def _file_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) + ".http"


def write_corpus(directory: Path = CORPUS) -> int:
    """Rewrite `directory`'s *.http files from the sources; return how many there are."""
    directory.mkdir(exist_ok=True)
    for old in directory.glob("*.http"):
        old.unlink()
    seen: set[bytes] = set()
    for name, data in _sources():
        if data in seen:
            continue
        seen.add(data)
        (directory / _file_name(name)).write_bytes(data)
    return len(seen)


if __name__ == "__main__":
    count = write_corpus()
    print(f"{count} inputs in {CORPUS.relative_to(REPO)}")
