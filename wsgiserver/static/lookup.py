"""Safe URL path → file under the static root.

Paths are checked on the raw request target, segment by segment, so an
encoded slash (`%2F`) can never join two segments and `%2e%2e` is as
unwelcome as `..`. Symlinks are resolved before the containment check, so
a link can never lead out of the root unless `follow_symlinks` is set.
"""

from __future__ import annotations

import os
import stat
from typing import Optional
from urllib.parse import quote, unquote_to_bytes

from ..http.dates import format_http_date
from . import meta

NAME_MAX = 255  # bytes in one file name (Linux)
PATH_MAX = 4096  # bytes in a whole path (Linux)
INDEX = "index.html"
# Characters a path segment may keep in a Location header; all else is %-encoded.
_SEGMENT_SAFE = "!$&'()*+,;=:@~"
# RFC 8615: the one dot-folder sites are expected to publish.
_VISIBLE_DOT_NAMES = frozenset((".well-known",))

APP, MISSING, FILE, REDIRECT, LISTING = "app", "missing", "file", "redirect", "listing"


class StaticFile:
    """One regular file's identity and validators, taken from one stat()."""

    __slots__ = ("path", "size", "mtime", "etag", "last_modified", "identity")

    def __init__(self, path: str, info: os.stat_result) -> None:
        self.path = path
        self.size = info.st_size
        self.mtime = int(info.st_mtime)
        self.etag = meta.etag_for(info)
        self.last_modified = format_http_date(info.st_mtime)
        self.identity = file_identity(info)


# How much older than its file a precompressed sibling may be and still count.
# Build tools write the pair in either order within moments of each other:
# whitenoise's compressor leaves a sibling a few nanoseconds older than the
# file about half the time, and FAT/ZIP times have 2 s steps. nginx's
# gzip_static does not compare at all; a sibling older by more than this
# means the file was edited after it was compressed, which a person does
# seconds or minutes later, not within the same build step.
SIBLING_SLACK_NS = 2 * 10**9


def _stale(sibling: os.stat_result, file: StaticFile) -> bool:
    return sibling.st_mtime_ns < file.identity[3] - SIBLING_SLACK_NS


def file_identity(info: os.stat_result) -> tuple[int, int, int, int]:
    """What must not change between lookup and send: else the file was replaced."""
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns


class Resource:
    """What a URL names: a file, how to describe it, and its precompressed siblings."""

    __slots__ = ("file", "content_type", "cache_control", "variants")

    def __init__(self, file: StaticFile, name: str, max_age: int,
                 variants: tuple[tuple[str, StaticFile], ...] = ()) -> None:
        self.file = file
        self.content_type = meta.content_type_for(name)
        self.cache_control = meta.cache_control(name, max_age)
        self.variants = variants  # ((coding, file), ...) best first

    @property
    def codings(self) -> tuple[str, ...]:
        return tuple(coding for coding, _ in self.variants)

    def variant(self, coding: Optional[str]) -> StaticFile:
        for name, file in self.variants:
            if name == coding:
                return file
        return self.file


class Found:
    """The result of a lookup: what kind of answer, and what it needs."""

    __slots__ = ("kind", "resource", "location", "directory")

    def __init__(self, kind: str, resource: Optional[Resource] = None,
                 location: str = "", directory: str = "") -> None:
        self.kind = kind
        self.resource = resource
        self.location = location  # REDIRECT: the slash form, %-encoded
        self.directory = directory  # LISTING: the real folder


NOT_STATIC = Found(APP)
NOT_FOUND = Found(MISSING)


def safe_segments(raw_path: bytes) -> Optional[list[str]]:
    """Decoded path segments ("" last for a trailing slash), or None if unsafe."""
    if not raw_path.startswith(b"/") or len(raw_path) > PATH_MAX * 3:
        return None  # even all %-encoded, this could not be a path Linux accepts
    segments = []
    for raw in raw_path[1:].split(b"/"):
        segment = _decode_segment(raw)
        if segment is None:
            return None
        segments.append(segment)
    if any(s == "" for s in segments[:-1]):
        return None  # "//" in a path: not a file name
    if sum(len(s.encode()) + 1 for s in segments) > PATH_MAX:
        return None
    return segments


def _decode_segment(raw: bytes) -> Optional[str]:
    try:
        # Strict UTF-8 rejects overlong encodings such as %c0%ae ("." in disguise).
        segment = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return None
    if segment.startswith(".") and segment not in _VISIBLE_DOT_NAMES:
        return None  # "..", "." and dot-files never name a file
    if any(c in segment for c in "/\\\0") or len(segment.encode()) > NAME_MAX:
        return None  # encoded separators, NUL and over-long names: 404, not an OSError
    return segment


def url_path(base: str, segments: list[str]) -> str:
    """`base` + segments, each %-encoded: safe to put in a Location header."""
    return base + "/".join(quote(segment, safe=_SEGMENT_SAFE) for segment in segments)


class Resolver:
    """Looks up decoded segments under one root (no caching: see StaticFiles)."""

    def __init__(self, root: str, *, autoindex: bool = False, follow_symlinks: bool = False,
                 max_age: int = 0) -> None:
        self.root = root
        self.inside = root if root.endswith(os.sep) else root + os.sep
        self.autoindex = autoindex
        self.follow_symlinks = follow_symlinks
        self.max_age = max_age

    def resolve(self, segments: list[str], base: str = "/") -> Found:
        """FILE, REDIRECT (folder without its slash), LISTING or NOT_FOUND."""
        if not segments:
            return Found(REDIRECT, location=base)  # the prefix itself, without its slash
        candidate = os.path.join(self.root, *segments)
        found = self.real_stat(candidate)
        if found is None:
            return NOT_FOUND
        real, info = found
        if segments[-1] == "":
            return self._folder(candidate, real, info)
        if stat.S_ISDIR(info.st_mode):
            return Found(REDIRECT, location=url_path(base, segments) + "/")
        if stat.S_ISREG(info.st_mode):
            return Found(FILE, self.resource(candidate, real, info))
        return NOT_FOUND

    def _folder(self, candidate: str, real: str, info: os.stat_result) -> Found:
        if not stat.S_ISDIR(info.st_mode):
            return NOT_FOUND  # "file.txt/" names no file
        index = self.regular_file(os.path.join(candidate, INDEX))
        if index is not None:
            return Found(FILE, self.resource(os.path.join(candidate, INDEX), *index))
        return Found(LISTING, directory=real) if self.autoindex else NOT_FOUND

    def resource(self, candidate: str, real: str, info: os.stat_result) -> Resource:
        """Type and caching come from the name asked for, not a symlink's target."""
        file = StaticFile(real, info)
        return Resource(file, os.path.basename(candidate), self.max_age,
                        self._variants(candidate, file))

    def _variants(self, candidate: str, file: StaticFile) -> tuple:
        variants = []
        for coding, suffix in meta.CODINGS:
            found = self.regular_file(candidate + suffix)
            if found is not None and not _stale(found[1], file):
                variants.append((coding, StaticFile(*found)))
        return tuple(variants)

    def regular_file(self, candidate: str) -> Optional[tuple[str, os.stat_result]]:
        found = self.real_stat(candidate)
        if found is None or not stat.S_ISREG(found[1].st_mode):
            return None
        return found

    def real_stat(self, candidate: str) -> Optional[tuple[str, os.stat_result]]:
        """(real path, stat) if it exists and may be served; symlinks resolved."""
        try:
            real = os.path.realpath(candidate)
            info = os.stat(real)
        except (OSError, ValueError):
            return None  # missing, ENAMETOOLONG, ELOOP, EACCES: all simply "not here"
        if self.follow_symlinks or real == self.root or real.startswith(self.inside):
            return real, info
        return None
