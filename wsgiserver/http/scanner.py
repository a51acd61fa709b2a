"""Where llhttp is in the raw byte stream, so that limits fire at exact byte positions.

llhttp reports no positions, and it hands over a target or a header value in
pieces that end wherever a feed ends. A limit checked only in its callbacks
therefore fires at a point that depends on how the bytes were split: a 70 KB
target followed by a bad byte was 414 in pieces (the pieces crossed the
limit) and 400 whole (llhttp met the bad byte before it reported the target).

`Scanner` follows the same framing over the raw bytes (request head up to its
empty line, Content-Length body, chunk-size line, chunk data, trailer section)
and tells the parser where to cut each feed: at the end of a head or a chunk
line, or at the byte that crosses a limit. Fed up to that byte, llhttp has
either failed before it (its error wins, as it would byte by byte) or accepted
everything, and then the limit's error is raised. Either way the outcome is
the one a byte-by-byte feed gives, for any split.
"""

from __future__ import annotations

import re
from typing import Callable, Optional

from .. import errors

# AWAIT: a head has ended and llhttp has not yet said what follows (begin_body).
HEAD, AWAIT, _BODY, _CHUNK_LINE, _CHUNK_DATA, _TRAILERS, _BLIND = range(7)
_HEX = frozenset(b"0123456789abcdefABCDEF")
_SIZE_BYTES = 20  # llhttp refuses a chunk size of more than 16 hex digits
_LINE_KEPT = 8192  # of a request line, the bytes kept for the checks that need them
# A request line take_whole may skip the checks for: three parts of visible
# ASCII, one SP between them, HTTP/1.0 or 1.1 (what clients send).
_PLAIN_LINE = re.compile(rb"[!-~]+ [!-~]+ HTTP/1\.[01]\r\n")

Cut = tuple[int, Optional[errors.HTTPError]]


class Scanner:
    """Follows one connection's requests over its raw bytes (see the module docstring)."""

    def __init__(self, head_limit: int, target_limit: int, extension_limit: int,
                 fields: int = 0, field_size: int = 0) -> None:
        self.head_limit = head_limit  # request line + header fields; also each trailer section
        self.target_limit = target_limit  # 0: none
        self.extension_limit = extension_limit
        self.fields = fields  # 0: none (as field_size); enforced by the parser's on_header
        self.field_size = field_size
        # A whole head is one cut only if no field limit can fire in it: no
        # line longer than field_size, no more lines than fields + 1 (see
        # _cut_whole_head; the last field is reported at the head's end anyway).
        self._whole_window = min(head_limit, field_size + 4) if field_size else head_limit
        self._whole_lines = fields + 1 if fields else head_limit
        # A line takes at least 4 bytes ("a:" CRLF): a head shorter than this
        # cannot have too many, and is not counted (the fast path stays cheap).
        self._few_lines_bytes = 4 * fields if fields else head_limit
        # The longest request line a whole head may have: a longer one may
        # cross the target limit, found byte by byte on the slow path.
        self._whole_line = min(target_limit or _LINE_KEPT, _LINE_KEPT)
        self.line = bytearray()  # the start of the current request line
        self.taken = b""  # a head take_whole took, until begin_body
        # Field lines of this request's head and trailers, as _field_cut counts
        # them; set where a head's request line starts (not in begin_head, which
        # runs for every request, even one that takes _cut_whole_head).
        self.fields_seen = self.field_bytes = 0
        self.suspect = False
        self.begin_head()

    def begin_head(self) -> None:
        """A new request may start here (after a request, or a parser restart)."""
        # _reset(HEAD), inlined: this runs for every request.
        self.mode, self.count, self.tail, self.remaining, self.size = HEAD, 0, b"", 0, b""
        self.line.clear()
        self.line_done = False
        self.target_start = -1  # head offset of the target's first byte, once known
        self.taken = b""

    def begin_body(self, chunked: bool, length: Optional[int]) -> None:
        """The head just ended (llhttp called on_headers_complete): what follows it."""
        if chunked:
            self._reset(_CHUNK_LINE)
        elif length:
            self._reset(_BODY)
            self.remaining = length
        elif self.taken:  # take_whole changed only these: begin_head, in short
            self.mode, self.taken = HEAD, b""
        else:
            self.begin_head()

    def give_up(self) -> None:
        """llhttp and the scanner disagree: stop cutting (limits fall back to callbacks)."""
        self._reset(_BLIND)

    def _reset(self, mode: int) -> None:
        self.mode = mode
        self.count = 0  # bytes of the current head, chunk line or trailer section
        self.tail = b"\r\n" if mode == _TRAILERS else b""
        self.remaining = 0
        self.size = b""  # the chunk-size digits seen so far
        self.taken = b""
        self.field_bytes, self.suspect = 0, False  # a trailer section starts a line

    def cut(self, data: bytes, start: int) -> Cut:
        """How far from `start` llhttp may be fed; the error to raise once it accepted that."""
        mode = self.mode
        if mode == _BODY or mode == _CHUNK_DATA:
            end = min(len(data), start + self.remaining)
            self.remaining -= end - start
            if not self.remaining:
                self._reset(_CHUNK_LINE) if mode == _CHUNK_DATA else self.begin_head()
            return end, None
        if mode == HEAD:
            if self.count == 0:  # the usual case first: a whole head in one cut
                whole = self._cut_whole_head(data, start)
                if whole is not None:
                    return whole
            return self._cut_head(data, start)
        if mode == _CHUNK_LINE:
            return self._cut_chunk_line(data, start)
        if mode == _TRAILERS:
            return self._cut_section(data, start, self.begin_head)
        return len(data), None

    def take_whole(self, data: bytes) -> bool:
        """The usual feed, taken without cutting: True if `data` is exactly one
        whole head at a request's start, under every limit, with a plain
        request line, and nothing after it. llhttp may then be fed all of it at
        once; the scanner awaits begin_body, as after cut() returned len(data).

        Only heads _cut_whole_head also takes whole (so the events are the same
        as cut() gives), tested with fewer calls: one regex match checks the
        request line as _check_request_line does, and more (HTTP/1.0 or 1.1
        only, so no RTSP/ICE line either way). Anything else is left to cut().
        """
        size = len(data)
        if self.mode != HEAD or self.count or size > self._whole_window:
            return False
        end = size - 4
        if data.find(b"\r\n\r\n") != end:
            return False
        plain = _PLAIN_LINE.match(data)
        # The line's LF must come before the empty line's CRLF (as _cut_whole_head finds it).
        if plain is None or plain.end() > min(end, self._whole_line):
            return False
        lines = self._whole_lines
        if end > self._few_lines_bytes:
            lines = data.count(b"\n", 0, end)  # as in _cut_whole_head
            if lines > self._whole_lines:
                return False
        # Nothing else changes: count, tail and line stay as begin_head left them.
        self.taken = data  # its first line is the request line (request_line)
        self.fields_seen = lines
        self.mode = AWAIT
        return True

    def request_line(self) -> bytes:
        """The current request's line so far (at most _LINE_KEPT bytes of it)."""
        if self.taken:
            return self.taken[:self.taken.find(b"\n") + 1]
        return bytes(self.line)

    # -- a request head --
    def _cut_head(self, data: bytes, start: int) -> Cut:
        if self.count == 0:
            # llhttp skips empty lines before a request (RFC 9112 §2.2).
            skip = start
            while skip < len(data) and data[skip] in b"\r\n":
                skip += 1
            if skip > start:
                return skip, None
        if not self.line_done:
            return self._cut_request_line(data, start)
        return self._cut_section(data, start, self._await_body)

    def _cut_whole_head(self, data: bytes, start: int) -> Optional[Cut]:
        """The usual case in one cut: a whole head, under every limit, in this feed.

        Same outcome as cutting after the request line and again after the
        section (the slow path below), for one llhttp feed instead of two. Only
        taken where no limit can be crossed and the request line is well formed,
        so every error still comes from the slow path, at the same byte.
        """
        end = data.find(b"\r\n\r\n", start, start + self._whole_window)
        line_end = data.find(b"\n", start, end) + 1
        if end < 0 or line_end <= start or data[start] in b"\r\n":
            return None
        # Trailer fields are counted after the head's: at most this many (a
        # count too high only adds cuts, and every split gives the same events).
        lines = self._whole_lines
        if end - start > self._few_lines_bytes:
            lines = data.count(b"\n", start, end)  # the request line, all fields but the last
            if lines > self._whole_lines:
                return None
        if line_end - start > self._whole_line:
            return None  # the target may cross its limit: found byte by byte below
        line = data[start:line_end]
        if _check_request_line(line) is not None:
            return None  # refused where the line ends, by the slow path
        self.line[:] = line
        self.line_done = True
        self.fields_seen = lines  # so that trailer fields are counted after these
        self.mode = AWAIT
        return end + 4, None

    def _await_body(self) -> None:
        self.mode = AWAIT

    def _cut_request_line(self, data: bytes, start: int) -> Cut:
        if not self.count:  # the request line's first byte
            self.fields_seen = self.field_bytes = 0
            self.suspect = False
        allowed = self.head_limit - self.count
        stop = min(len(data), start + allowed)
        newline = data.find(b"\n", start, stop)
        end = stop if newline < 0 else newline + 1
        crossing = self._target_crossing(data[start:end])
        over = newline < 0 and crossing is None and len(data) > stop
        if crossing is not None:
            end = start + crossing  # llhttp reports the target so far here: 414 if too long
        kept = _LINE_KEPT - len(self.line)
        if kept > 0:
            self.line += data[start:min(end, start + kept)]
        self.count += end - start
        self.tail = (self.tail + data[start:end])[-3:]
        if over:
            return end, errors.HeaderFieldsTooLarge(f"request head over {self.head_limit} bytes")
        if end == newline + 1:
            self.line_done = True
            return end, _check_request_line(bytes(self.line))
        return end, None

    def _target_crossing(self, piece: bytes) -> Optional[int]:
        # The length of cut that ends just past the byte making the target one too long.
        if not self.target_limit:
            return None
        if self.target_start < 0:
            if self.count > len(self.line):
                return None  # over _LINE_KEPT bytes and no target yet: llhttp refuses it
            seen = bytes(self.line) + piece[:_LINE_KEPT]
            first = seen.find(b" ") + 1
            if not first:
                return None
            while first < len(seen) and seen[first] == 0x20:
                first += 1  # llhttp takes any run of spaces before the target
            if first >= len(seen):
                return None  # the target has not started yet
            self.target_start = first
        offset = self.target_start + self.target_limit + 1 - self.count
        return offset if 0 < offset < len(piece) else None

    # -- a section that ends with an empty line: the header fields, a trailer section --
    def _cut_section(self, data: bytes, start: int, ended: Callable[[], None]) -> Cut:
        allowed = self.head_limit - self.count
        stop = min(len(data), start + allowed)
        seen = self.tail + data[start:stop]
        found = seen.find(b"\r\n\r\n")
        end = start + found + 4 - len(self.tail) if found >= 0 else stop
        if self.fields or self.field_size:
            cut = self._field_cut(data, start, end)
            if cut < end:
                self.count += cut - start
                self.tail = (self.tail + data[start:cut])[-3:]
                return cut, None  # the parser's on_header refuses the field, if llhttp agrees
        if found >= 0:
            ended()  # begin_head (after a trailer section) resets self.tail
            return end, None
        self.count += stop - start
        self.tail = seen[-3:]
        if len(data) > stop:
            # data[stop] makes the section one byte too long: llhttp never sees
            # it, so it cannot end the head either.
            return stop, errors.HeaderFieldsTooLarge(
                f"header section over {self.head_limit} bytes")
        return stop, None

    def _field_cut(self, data: bytes, start: int, end: int) -> int:
        """Where to end this cut so that a field over a limit is refused at the byte
        it would be byte by byte (`end` if not in this cut).

        httptools hands a field to on_header (which checks the limits) only
        when the next field's first byte arrives, or the head ends: fed more
        after that byte, llhttp may fail on a later bad byte first. So a cut
        ends just after the first byte of the line that follows a field that
        may be over a limit. "May be" is measured on the raw line (name, colon,
        both OWS, CRLF), more than on_header measures: a needless cut is only
        one more split, and every split gives the same events.
        """
        pos = start
        while pos < end:
            if not self.field_bytes:  # the first byte of a line
                if self.suspect and data[pos] != 0x0D:  # CR: the head ends, on_header fires
                    end = pos + 1
                self.fields_seen += 1
                self.suspect = 0 < self.fields < self.fields_seen
            newline = data.find(b"\n", pos, end)
            line_end = end if newline < 0 else newline + 1
            self.field_bytes += line_end - pos
            if 0 < self.field_size < self.field_bytes:
                self.suspect = True
            if newline >= 0:
                self.field_bytes = 0
            pos = line_end
        return end

    # -- a chunk-size line: size, extensions, CRLF --
    def _cut_chunk_line(self, data: bytes, start: int) -> Cut:
        newline = data.find(b"\n", start)
        end = len(data) if newline < 0 else newline + 1
        if len(self.size) < _SIZE_BYTES:
            self.size += data[start:min(end, start + _SIZE_BYTES - len(self.size))]
        digits = _hex_digits(self.size)
        if digits < len(self.size):  # the size has ended: the rest is extensions
            # Cut before the first extension byte over the limit, if it is here.
            # A CR at the end may be the line's end: not counted until known.
            crossing = max(0, digits + self.extension_limit - self.count)
            extension_end = newline - 1 if newline >= 0 else len(data) - (data[-1:] == b"\r")
            if crossing < extension_end - start:
                self.count += crossing
                return start + crossing, errors.BadRequest(
                    f"chunk extensions over {self.extension_limit} bytes")
        self.count += end - start
        if newline < 0:
            return end, None
        size = int(bytes(self.size[:digits]) or b"0", 16)
        if size:
            self._reset(_CHUNK_DATA)
            self.remaining = size + 2  # the data and its CRLF
        else:
            self._reset(_TRAILERS)
        return end, None


def _hex_digits(line: bytes) -> int:
    count = 0
    for byte in line:
        if byte not in _HEX:
            break
        count += 1
    return count


def _check_request_line(line: bytes) -> Optional[errors.HTTPError]:
    # RFC 9112 §3: method SP request-target SP HTTP-version, one SP each; llhttp
    # takes any run of spaces. A target has no spaces, so the line has two.
    if line.count(b" ") != 2 and len(line) < _LINE_KEPT:
        return errors.BadRequest("request line parts must be separated by one space")
    # llhttp also takes "RTSP/1.0" and "ICE/1.0" for "HTTP/" (RFC 9112 §2.3): refused
    # here, where the line ends, whatever follows it (the parser's own check
    # looks back only so far).
    if line[line.rfind(b" ") + 1:].startswith((b"RTSP/", b"ICE/")):
        return errors.BadRequest("not an HTTP request line")
    return None
