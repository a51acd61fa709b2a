"""What the parser fuzzers check, shared by the pytest targets and run_long.py.

Why Hypothesis and not Atheris: Hypothesis is pure Python and already a test
dependency, runs inside pytest like any other test, is reproducible (CI runs
it with `derandomize=True`, run_long.py with a seed), and shrinks a failure to
a small input. Atheris needs a clang/libFuzzer build and its coverage guidance
sees little of a parser whose tokenising is C (llhttp): the seed corpus and
HTTP-aware mutations below do that job instead.

An input is a seed from tests/fuzz/corpus/ mutated at the byte level (insert,
delete, replace, duplicate or repeat a slice, splice in or append another
seed, insert a framing header line where a line ends, flip case, insert
CR/LF/SP/NUL/high bytes or HTTP tokens), or fully random bytes.
For each input and parser configuration (`CONFIGS`):

a. `feed()` and `feed_eof()` never raise, and the only events are `Request`s
   and the project's own `wsgiserver.errors.HTTPError` subclasses;
b. fed whole, one byte at a time and in Hypothesis-drawn pieces, the parser
   gives the same events (`normalise`), and every streamed body has ended
   (finished or aborted) after `feed_eof()`, so no app thread waits forever.
"""

from __future__ import annotations

import itertools
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

from hypothesis import strategies as st

from wsgiserver import errors
from wsgiserver.http.parser import Limits, RequestParser
from wsgiserver.http.request import Request
from wsgiserver.wsgi.input import StreamingBody

CORPUS = Path(__file__).resolve().parent / "corpus"


def load_seeds(directory: Path = CORPUS) -> list[bytes]:
    """The seed corpus (written by make_corpus.py), in file-name order."""
    return [path.read_bytes() for path in sorted(directory.glob("*.http"))]


def seed_names(directory: Path = CORPUS) -> list[str]:
    return [path.stem for path in sorted(directory.glob("*.http"))]


# -- parser configurations --------------------------------------------------------

class RecordingBody(StreamingBody):
    """A real `wsgi.input` for 100-continue bodies that also remembers how it ended."""

    def __init__(self) -> None:
        super().__init__()
        self.received = bytearray()
        self.ended: Optional[str] = None

    def write(self, data: bytes) -> None:
        self.received += data
        super().write(data)

    def finish(self) -> None:
        self.ended = self.ended or "complete"
        super().finish()

    def abort(self, error: BaseException) -> None:
        self.ended = self.ended or "aborted"
        super().abort(error)


def _small_limits() -> Limits:
    # Small enough that most seeds cross a limit somewhere: the limits' code runs.
    limits = Limits(request_line=64, fields=6, field_size=80, body=40)
    limits.header_size = 300  # an attribute, so the same code runs on a parser without it
    return limits


@dataclass(frozen=True)
class Config:
    name: str
    make: Callable[[], RequestParser]


CONFIGS = [
    Config("default-limits", lambda: RequestParser(Limits())),
    Config("small-limits", lambda: RequestParser(_small_limits())),
    Config("streamed-bodies", lambda: RequestParser(Limits(), streamed_body=RecordingBody)),
    Config("small-limits-streamed",
           lambda: RequestParser(_small_limits(), streamed_body=RecordingBody)),
]
CONFIG_BY_NAME = {config.name: config for config in CONFIGS}


# -- running one input ----------------------------------------------------------

class ParserFailure(AssertionError):
    """A property does not hold; the message says which and how."""


def normalise(event: object) -> tuple:
    """What must not depend on how the bytes were split."""
    if isinstance(event, errors.HTTPError):
        return ("error", type(event).__name__, int(event.status))
    if not isinstance(event, Request):
        raise ParserFailure(f"event of a foreign type: {event!r}")
    body = event.body
    if isinstance(body, RecordingBody):
        content, ended = bytes(body.received), body.ended
    else:
        content, ended = body.read(), "buffered"
        body.close()
    return ("request", event.method, event.target, event.version, tuple(event.headers),
            event.keep_alive, content, ended, tuple(event.trailers))


def check_event_type(event: object) -> None:
    if isinstance(event, Request):
        return
    if not isinstance(event, errors.HTTPError) or type(event).__module__ != errors.__name__:
        raise ParserFailure(f"foreign event {type(event).__module__}.{type(event).__name__}: "
                            f"{event!r}")


def run(config: Config, pieces: Sequence[bytes]) -> tuple[list[tuple], bool]:
    """Feed `pieces` then EOF; the normalised events and feed_eof's answer.

    Raises ParserFailure if feed() or feed_eof() raised, or an event is foreign."""
    parser = config.make()
    events: list = []
    try:
        for piece in pieces:
            events.extend(parser.feed(piece))
        cut_off = parser.feed_eof()
    except Exception as error:  # noqa: BLE001 (exactly what the property forbids)
        raise ParserFailure(f"{config.name}: parser raised "
                            f"{''.join(traceback.format_exception(error))}") from None
    for event in events:
        check_event_type(event)
    normalised = [normalise(event) for event in events]
    for event in normalised:
        if event[0] == "request" and event[7] is None:
            raise ParserFailure(f"{config.name}: a streamed body never ended: {event[:3]}")
    return normalised, cut_off


def split_at(data: bytes, cuts: Sequence[int]) -> list[bytes]:
    points = [0] + sorted({cut for cut in cuts if 0 < cut < len(data)}) + [len(data)]
    return [data[a:b] for a, b in itertools.pairwise(points)]


def check_input(config: Config, data: bytes, cuts: Sequence[int]) -> list[tuple]:
    """Properties a and b for one input; return the events (fed whole)."""
    whole = run(config, [data])
    ways = {"byte by byte": [data[i:i + 1] for i in range(len(data))],
            f"cut at {sorted(set(cuts))}": split_at(data, cuts)}
    for name, pieces in ways.items():
        other = run(config, pieces)
        if other != whole:
            raise ParserFailure(f"{config.name}: fed {name} gives different events:\n"
                                f"  whole:  {_brief(whole)}\n  pieces: {_brief(other)}")
    return whole[0]


def _brief(result: tuple[list[tuple], bool]) -> str:
    events, cut_off = result
    shown = [event[:3] if event[0] == "error" else event[:4] + event[5:6] for event in events]
    return f"{shown} cut_off={cut_off}"


# -- mutations ------------------------------------------------------------------

# Bytes and tokens that change how HTTP framing reads (RFC 9112 grammar).
TOKENS = [b"\r\n", b"\r", b"\n", b" ", b"\t", b"\x00", b"\x7f", b"\xff", b"\x80", b":", b";",
          b",", b"=", b"*", b"/", b"?", b"%", b'"', b"0", b"\r\n\r\n", b"HTTP/1.1", b"HTTP/1.0",
          b"Transfer-Encoding: chunked\r\n", b"Content-Length: 5\r\n",
          b"Content-Length: 0\r\n", b"Expect: 100-continue\r\n", b"Connection: close\r\n",
          b"Connection: keep-alive\r\n", b"Connection: Upgrade\r\nUpgrade: websocket\r\n",
          b"Host: x\r\n", b"0\r\n\r\n", b"5\r\nhello\r\n", b"ffffffffffffffff",
          b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"CONNECT", b"OPTIONS *", b"PRI * HTTP/2.0"]


# Whole header lines, inserted where a line ends: the fields that change framing.
FIELDS = [b"Connection: Upgrade\r\nUpgrade: websocket\r\n", b"Connection: close\r\n",
          b"Connection: keep-alive\r\n", b"Transfer-Encoding: chunked\r\n",
          b"Transfer-Encoding: gzip, chunked\r\n", b"Content-Length: 3\r\n",
          b"Content-Length: 0\r\n", b"Expect: 100-continue\r\n", b"Host: x\r\n",
          b"Trailer: X-T\r\n", b"X-A: a\r\n b\r\n", b"X-Long: " + b"v" * 300 + b"\r\n",
          b"\r\n"]


def _position(draw, data: bytearray) -> int:
    return draw(st.integers(0, len(data)))


def _slice(draw, data: bytearray) -> tuple[int, int]:
    start = _position(draw, data)
    return start, min(len(data), start + draw(st.integers(0, 32)))


def _insert(draw, data: bytearray, seeds: Sequence[bytes]) -> bytearray:
    at = _position(draw, data)
    piece = draw(st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=8)))
    return data[:at] + piece + data[at:]


def _delete(draw, data: bytearray, seeds: Sequence[bytes]) -> bytearray:
    start, end = _slice(draw, data)
    return data[:start] + data[end:]


def _replace(draw, data: bytearray, seeds: Sequence[bytes]) -> bytearray:
    start, end = _slice(draw, data)
    return data[:start] + draw(st.sampled_from(TOKENS)) + data[end:]


def _duplicate(draw, data: bytearray, seeds: Sequence[bytes]) -> bytearray:
    start, end = _slice(draw, data)
    times = draw(st.sampled_from([1, 2, 3, 50, 500]))
    return data[:end] + data[start:end] * times + data[end:]


def _splice(draw, data: bytearray, seeds: Sequence[bytes]) -> bytearray:
    other = draw(st.sampled_from(seeds))
    return data[:_position(draw, data)] + other[draw(st.integers(0, len(other))):]


def _pipeline(draw, data: bytearray, seeds: Sequence[bytes]) -> bytearray:
    # Another seed after this one: what follows a request is parsed in the same feed.
    return data + draw(st.sampled_from(seeds))


def _insert_field(draw, data: bytearray, seeds: Sequence[bytes]) -> bytearray:
    line_ends = [i + 2 for i in range(len(data) - 1) if data[i:i + 2] == b"\r\n"]
    at = draw(st.sampled_from(line_ends)) if line_ends else _position(draw, data)
    return data[:at] + draw(st.sampled_from(FIELDS)) + data[at:]


def _flip_case(draw, data: bytearray, seeds: Sequence[bytes]) -> bytearray:
    start, end = _slice(draw, data)
    return data[:start] + data[start:end].swapcase() + data[end:]


MUTATIONS = [_insert, _delete, _replace, _duplicate, _splice, _pipeline, _insert_field,
             _insert_field, _flip_case]


@st.composite
def fuzz_inputs(draw, seeds: Sequence[bytes]) -> bytes:
    """A seed mutated 0-4 times, or (one in ten) random bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=600))
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 4))):
        data = draw(st.sampled_from(MUTATIONS))(draw, data, seeds)
    return bytes(data)


def cut_points(data: bytes) -> st.SearchStrategy[list[int]]:
    """Where to cut `data` into pieces (property b)."""
    return st.lists(st.integers(1, max(1, len(data) - 1)), max_size=12)
