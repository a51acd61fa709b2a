"""Body writers: one per framing a response can have (RFC 9112 §6), as h11's `_writers.py`.

`response.build_head` chooses the framing; the writer made for it turns each
piece of body the app produces into the bytes that go on the wire, and says
what must follow the last piece. `sent` counts body bytes, not framing, for
the access log.
"""

from __future__ import annotations

from typing import Optional

from .response import CHUNKED, CLOSE, LENGTH, NO_BODY

LAST_CHUNK = b"0\r\n\r\n"


class BodyWriter:
    """Close-delimited (HTTP/1.0 without a length): the bytes as they are."""

    __slots__ = ("sent", "truncated", "short")

    def __init__(self, length: Optional[int] = None) -> None:
        self.sent = 0
        self.truncated = False  # the last frame() dropped bytes past Content-Length
        self.short = False  # fewer bytes than promised so far: the client waits for more

    def frame(self, data: bytes) -> bytes:
        self.sent += len(data)
        return data

    def sent_around(self, count: int) -> None:
        """`count` body bytes went out without frame() (a file, with os.sendfile)."""
        self.sent += count

    def finish(self) -> bytes:
        """What follows the last piece of body."""
        return b""


class LengthWriter(BodyWriter):
    """Content-Length: exactly that many bytes, whatever the app yields."""

    __slots__ = ("length",)

    def __init__(self, length: Optional[int] = None) -> None:
        # Not super().__init__(): this runs for most responses, and the call costs.
        self.sent = 0
        self.truncated = False
        self.length = length or 0
        self.short = self.length > 0

    def frame(self, data: bytes) -> bytes:
        room = self.length - self.sent
        # Exactly Content-Length bytes go out, so the framing stays intact and
        # the connection can carry on.
        self.truncated = len(data) > room
        if self.truncated:
            data = data[:room]
        self.sent += len(data)
        self.short = self.sent < self.length
        return data

    def sent_around(self, count: int) -> None:
        self.sent += count
        self.short = self.sent < self.length


class ChunkedWriter(BodyWriter):
    """Transfer-Encoding: chunked, for HTTP/1.1 bodies of unknown length."""

    __slots__ = ()

    def frame(self, data: bytes) -> bytes:
        if not data:
            return b""  # an empty chunk would end the body
        self.sent += len(data)
        return b"%x\r\n%s\r\n" % (len(data), data)

    def finish(self) -> bytes:
        return LAST_CHUNK


class NoBodyWriter(BodyWriter):
    """HEAD, 204, 304: whatever the app yields, nothing goes out."""

    __slots__ = ()

    def frame(self, data: bytes) -> bytes:
        return b""


# The writer for a head: WRITERS[head.framing](head.content_length).
WRITERS: dict[str, type[BodyWriter]] = {
    LENGTH: LengthWriter, CHUNKED: ChunkedWriter, CLOSE: BodyWriter, NO_BODY: NoBodyWriter,
}
