"""Static files from the static root, sent with os.sendfile.

`StaticFiles.lookup` maps a request target to a regular file strictly inside
the root, or None (the request then goes to the app). It works on the raw
target, segment by segment, so an encoded slash (`%2F`) can never join two
segments, and it resolves symlinks before checking containment.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import stat
import time
from email.utils import formatdate
from typing import Optional
from urllib.parse import unquote_to_bytes

from . import response
from .environ import split_target
from .files import FileSegment
from .request import Request

log = logging.getLogger("wsgiserver.error")

STATIC_METHODS = ("GET", "HEAD")
_TEXT_TYPES = ("application/javascript", "application/json", "image/svg+xml",
               "application/xml")


class StaticFile:
    __slots__ = ("path", "size", "mtime", "content_type")

    def __init__(self, path: str, info: os.stat_result) -> None:
        self.path = path
        self.size = info.st_size
        self.mtime = info.st_mtime
        self.content_type = content_type_for(path)


def content_type_for(path: str) -> str:
    guessed, encoding = mimetypes.guess_type(path)
    if guessed is None or encoding is not None:
        return "application/octet-stream"
    if guessed.startswith("text/") or guessed in _TEXT_TYPES:
        return guessed + "; charset=utf-8"
    return guessed


class StaticFiles:
    """The files under one root folder.

    Lookups are cached for `cache_seconds`, hits and misses alike, like
    nginx's open_file_cache: resolving a path costs a stat() per segment,
    which would otherwise dominate a small dynamic request.
    """

    def __init__(self, root: Optional[str], cache_seconds: float = 1.0,
                 cache_size: int = 4096) -> None:
        self.root = os.path.realpath(root) if root and os.path.isdir(root) else None
        self.cache_seconds = cache_seconds
        self.cache_size = cache_size
        self._cache: dict[bytes, tuple[float, Optional[StaticFile]]] = {}

    def lookup(self, target: bytes) -> Optional[StaticFile]:
        if self.root is None:
            return None
        now = time.monotonic()
        cached = self._cache.get(target)
        if cached is not None and cached[0] > now:
            return cached[1]
        found = self._lookup(target)
        if len(self._cache) >= self.cache_size:
            self._cache.clear()
        self._cache[target] = (now + self.cache_seconds, found)
        return found

    def _lookup(self, target: bytes) -> Optional[StaticFile]:
        segments = _safe_segments(split_target(target)[0])
        if segments is None:
            return None
        if not segments or segments[-1] == "":
            segments = [*segments[:-1], "index.html"] if segments else ["index.html"]
        return self._regular_file(os.path.join(self.root, *segments))

    def _regular_file(self, candidate: str) -> Optional[StaticFile]:
        real = os.path.realpath(candidate)
        if not real.startswith(self.root + os.sep):
            return None
        try:
            info = os.stat(real)
        except (OSError, ValueError):
            return None
        return StaticFile(real, info) if stat.S_ISREG(info.st_mode) else None


def _safe_segments(raw_path: bytes) -> Optional[list[str]]:
    """Decoded path segments, or None if any could escape or hide: then it's the app's."""
    if not raw_path.startswith(b"/"):
        return None
    segments = []
    for raw in raw_path[1:].split(b"/"):
        segment = _decode_segment(raw)
        if segment is None:
            return None
        segments.append(segment)
    if any(s == "" for s in segments[:-1]):
        return None  # "//" in a path: not a file name
    return segments


def _decode_segment(raw: bytes) -> Optional[str]:
    try:
        # Strict UTF-8 rejects overlong encodings such as %c0%ae ("." in disguise).
        segment = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return None
    if segment.startswith(".") or any(c in segment for c in "/\\\0"):
        return None  # "..", dot-files, encoded separators and NUL never name a file
    if len(segment.encode()) > 255:
        return None
    return segment


class StaticTask:
    """Answers a request with a static file; same interface as `task.Task`."""

    def __init__(self, sink, request: Request, found: StaticFile) -> None:
        self.sink = sink
        self.request = request
        self.found = found
        self.keep_alive = request.keep_alive
        self.status_code = 0
        self.body_sent = 0

    def run(self) -> bool:
        try:
            fd = os.open(self.found.path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as error:
            log.warning("static file %s vanished: %s", self.found.path, error)
            self._send_not_found()
            return True
        head = self._head()
        count = 0 if self.request.method == "HEAD" else self.found.size
        self.body_sent = count
        self.sink.send_file(head, FileSegment(fd, 0, count, on_done=lambda: os.close(fd)))
        return True

    def _head(self) -> bytes:
        headers = [
            ("Content-Type", self.found.content_type),
            ("Last-Modified", formatdate(self.found.mtime, usegmt=True)),
        ]
        head = response.build_head("200 OK", headers, method=self.request.method,
                                   version=self.request.version, keep_alive=self.keep_alive,
                                   length_hint=self.found.size)
        self.status_code = 200
        self.keep_alive = head.keep_alive
        return head.data

    def _send_not_found(self) -> None:
        self.status_code = 404
        self.sink.send(response.error_response(404, "Not Found", close=not self.keep_alive,
                                               method=self.request.method))

    def close(self) -> None:
        pass
