"""Byte ranges (RFC 9110 §14): parsing `Range`, and `multipart/byteranges` framing.

Ranges are half-open `(start, end)` pairs. Overlapping and adjacent ranges
are merged and their number is capped, so one request can never make the
server send a file many times over (`bytes=0-,0-,0-,...`).
"""

from __future__ import annotations

import secrets
from typing import Optional

MAX_RANGES = 16
_HUGE = 10 ** 30  # stands in for any position too long to be a real offset

Range = tuple[int, int]


def parse_ranges(header: Optional[str], size: int) -> Optional[list[Range]]:
    """The satisfiable ranges of `header` for a file of `size` bytes, merged and sorted.

    None means "ignore the header, send the whole file" (absent, malformed, a
    unit other than bytes, an empty file, or more than MAX_RANGES ranges);
    an empty list means none is satisfiable: 416.
    """
    if not header or size == 0:
        return None  # §14.2: a server MAY ignore Range for an empty representation
    unit, sep, range_set = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    specs = [spec.strip() for spec in range_set.split(",")]
    specs = [spec for spec in specs if spec]  # empty list elements are allowed (§5.6.1)
    parsed = [_parse_spec(spec, size) for spec in specs]
    if not specs or False in parsed:
        return None
    merged = coalesce([found for found in parsed if found is not None])
    return merged if len(merged) <= MAX_RANGES else None


def _parse_spec(spec: str, size: int):
    """(start, end), None if unsatisfiable, or False if malformed."""
    first, dash, last = spec.partition("-")
    first, last = first.strip(), last.strip()
    if not dash or not (first or last):
        return False
    if not first:
        length = _position(last)
        if length is None:
            return False
        return (max(0, size - length), size) if length > 0 else None
    start = _position(first)
    end = _position(last) if last else _HUGE  # "500-": to the end, however long
    if start is None or end is None or end < start:
        return False
    return (start, min(end + 1, size)) if start < size else None


def _position(text: str) -> Optional[int]:
    if not (text.isascii() and text.isdigit()):
        return None
    return int(text) if len(text) <= 30 else _HUGE


def coalesce(ranges: list[Range]) -> list[Range]:
    """Sorted, with overlapping and touching ranges merged into one."""
    merged: list[Range] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def content_range(start: int, end: int, size: int) -> str:
    return f"bytes {start}-{end - 1}/{size}"


class Multipart:
    """The framing of a multipart/byteranges body: a head per part, and a tail."""

    def __init__(self, ranges: list[Range], size: int, content_type: str) -> None:
        self.boundary = secrets.token_hex(12)  # random: cannot occur in the file by design
        self.ranges = ranges
        self.part_heads = [self._part_head(start, end, size, content_type)
                           for start, end in ranges]
        self.tail = f"\r\n--{self.boundary}--\r\n".encode("latin-1")

    def _part_head(self, start: int, end: int, size: int, content_type: str) -> bytes:
        return (f"\r\n--{self.boundary}\r\nContent-Type: {content_type}\r\n"
                f"Content-Range: {content_range(start, end, size)}\r\n\r\n").encode("latin-1")

    @property
    def content_type(self) -> str:
        return f"multipart/byteranges; boundary={self.boundary}"

    @property
    def length(self) -> int:
        """The exact body length, so even multipart responses carry Content-Length."""
        framing = sum(map(len, self.part_heads)) + len(self.tail)
        return framing + sum(end - start for start, end in self.ranges)

    def join(self, content: bytes) -> bytes:
        """The whole body, for a file already in memory."""
        parts = [head + content[start:end]
                 for head, (start, end) in zip(self.part_heads, self.ranges, strict=True)]
        return b"".join(parts) + self.tail
