"""Which requests the static files answer (dispatch), and the lookup cache behind it.

Dispatch, in order of precedence:

1. a path ending in a `dynamic_suffix` (e.g. `.py`) always goes to the app;
2. with `static_url` (e.g. `/static/`), paths under it are static files
   (relative to the root) and every other path goes to the app;
3. with `dynamic_suffix` alone, every other path is a static file;
4. otherwise ("files first"), a GET, HEAD or OPTIONS of a path naming a file
   or a folder with an index under the root is static, and everything else
   goes to the app; with no app at all, every request is answered here.

Where a path is the static files' own (cases 2 and 3, and no app) a miss is
a 404 (with `404.html` when the root has one), and methods other than GET,
HEAD and OPTIONS get 405.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable, Optional, Union
from urllib.parse import unquote_to_bytes

from ..http.exchange import Sink, Task
from ..http.request import Request
from ..http.targets import split_target
from .cache import ContentCache, OpenFile, ResponseCache
from .conditional import request_fields
from .lookup import (
    APP,
    FILE,
    MISSING,
    NOT_FOUND,
    NOT_STATIC,
    REDIRECT,
    Found,
    Resolver,
    Resource,
    StaticFile,
    file_identity,
    safe_segments,
)
from .task import CachedTask, StaticTask

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
NOT_FOUND_PAGE = "404.html"
_OPEN_FLAGS = os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW  # the real path has no links left

class StaticFiles:
    """The static root, its dispatch rules and its lookup cache.

    Lookups are cached for `cache_seconds`, hits and misses alike, like nginx's
    open_file_cache: resolving a path costs a stat() per segment, which would
    otherwise dominate a small dynamic request.
    """

    def __init__(self, root: Optional[str], *, static_url: Optional[str] = None,
                 dynamic_suffix: Optional[list[str]] = None, static_only: bool = False,
                 autoindex: bool = False, follow_symlinks: bool = False, max_age: int = 0,
                 cache_seconds: float = 1.0, cache_size: int = 4096) -> None:
        self.root = os.path.realpath(root) if root and os.path.isdir(root) else None
        self.resolver = None if self.root is None else Resolver(
            self.root, autoindex=autoindex, follow_symlinks=follow_symlinks, max_age=max_age)
        self.prefix = static_url.encode("utf-8") if static_url else None
        self.base = static_url or "/"
        self.prefix_depth = len([s for s in self.base.split("/") if s])
        self.suffixes = tuple(s.encode("utf-8") for s in dynamic_suffix or ())
        self.static_only = static_only
        # Whether a miss is ours (404) or the app's: only "files first" with an app passes.
        self.owns_misses = bool(static_only or self.prefix or self.suffixes)
        self.cache_seconds = cache_seconds
        self.cache_size = cache_size
        self._cache: dict[bytes, tuple[float, Found]] = {}
        self.contents = ContentCache() if cache_seconds > 0 else None
        self.responses = ResponseCache()

    @classmethod
    def from_config(cls, config: Any, static_only: bool) -> StaticFiles:
        return cls(config.static_root, static_url=config.static_url,
                   dynamic_suffix=config.dynamic_suffix, static_only=static_only,
                   autoindex=config.autoindex, follow_symlinks=config.follow_symlinks,
                   max_age=config.static_max_age, cache_seconds=config.static_cache_seconds)

    # -- dispatch --
    def task_for(self, sink: Sink, request: Request) -> Optional[Task]:
        """The task answering `request` from the static root, or None: it's the app's."""
        found = self._cached(_raw_path(request.target), self._route)  # lookup, inlined
        if found.kind == APP:
            if not self.static_only:
                return None
            found = NOT_FOUND
        elif not self.owns_misses and request.method not in SAFE_METHODS:
            return None  # files first, with an app: the app may take a POST at a file's URL
        fields = request_fields(request.headers)
        key = self._response_key(request, found, fields)
        cached = self.responses.get(key) if key is not None else None
        if cached is not None:
            return CachedTask(sink, request, *cached)
        return StaticTask(sink, request, found, self, fields, cache_key=key)

    def _response_key(self, request: Request, found: Found, fields: dict) -> Optional[tuple]:
        """A key for the whole-response cache, for plain GET/HEAD of a file only."""
        if found.kind != FILE or request.method not in ("GET", "HEAD") or self.cache_seconds <= 0:
            return None
        if request.expect_continue:
            return None  # may close the connection: not the same answer as usual
        if fields and fields.keys() != {"accept-encoding"}:
            return None  # conditional or range requests are answered in full each time
        return (request.target, request.method, request.version, request.keep_alive)

    def lookup(self, target: bytes) -> Found:
        return self._cached(_raw_path(target), self._route)

    def forget(self, target: bytes) -> None:
        """Drop a lookup found stale (the file changed under it)."""
        self._cache.pop(_raw_path(target), None)

    def _cached(self, key: bytes, compute: Callable[[bytes], Found]) -> Found:
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        found = compute(key)
        if self.cache_seconds > 0:
            if len(self._cache) >= self.cache_size:
                self._cache.clear()  # cheap, and bounded: a flood of new paths can't grow it
            self._cache[key] = (now + self.cache_seconds, found)
        return found

    def _route(self, raw_path: bytes) -> Found:
        if self.resolver is None:
            return NOT_STATIC
        if (self.suffixes or self.prefix) and not self._in_scope(unquote_to_bytes(raw_path)):
            return NOT_STATIC
        segments = safe_segments(raw_path)
        if segments is None:
            return self._miss()
        segments = segments[self.prefix_depth:]  # the prefix was checked by _in_scope
        found = self.resolver.resolve(segments, self.base)
        if found.kind == REDIRECT and not self.owns_misses:
            found = self._redirect_if_served(segments, found)
        return self._miss() if found.kind == MISSING else found

    def _in_scope(self, decoded: bytes) -> bool:
        """Checked on the decoded path, as the app would see it in PATH_INFO."""
        if self.suffixes and decoded.endswith(self.suffixes):
            return False
        if self.prefix is None:
            return True
        return decoded.startswith(self.prefix) or decoded == self.prefix[:-1]

    def _redirect_if_served(self, segments: list[str], found: Found) -> Found:
        # Files first: add the slash only if the slash form is ours, else the app decides.
        slash_form = self.resolver.resolve([*segments, ""], self.base)
        return found if slash_form.kind != MISSING else NOT_FOUND

    def _miss(self) -> Found:
        return NOT_FOUND if self.owns_misses else NOT_STATIC

    # -- what the task needs --
    def not_found_page(self) -> Optional[Resource]:
        """`404.html` in the root, if there is one (cached like any lookup)."""
        if self.resolver is None:
            return None
        found = self._cached(b"\x00404", lambda _key: self.resolver.resolve([NOT_FOUND_PAGE]))
        return found.resource if found.kind == FILE else None

    def body(self, file: StaticFile) -> Union[bytes, OpenFile, None]:
        """The file's bytes (small files, cached) or an OpenFile; None if it changed."""
        if self.contents is not None and file.size <= self.contents.max_file:
            data = self.contents.get(file.identity)
            if data is None:
                data = self._read_small(file)
                if data is not None:
                    self.contents.put(file.identity, data)
            return data
        fd = self._open(file)
        return None if fd is None else OpenFile(fd)

    def _read_small(self, file: StaticFile) -> Optional[bytes]:
        fd = self._open(file)
        if fd is None:
            return None
        try:
            data = os.pread(fd, file.size, 0)
        except OSError:
            return None
        finally:
            os.close(fd)
        return data if len(data) == file.size else None

    @staticmethod
    def _open(file: StaticFile) -> Optional[int]:
        """An fd for exactly the file that was looked up, or None if it was replaced."""
        try:
            fd = os.open(file.path, _OPEN_FLAGS)
        except OSError:
            return None
        try:
            same = file_identity(os.fstat(fd)) == file.identity
        except OSError:
            same = False
        if not same:
            os.close(fd)
            return None
        return fd


def _raw_path(target: bytes) -> bytes:
    """The cache key: the target's raw path (origin-form without a query skips the split)."""
    if target[:1] == b"/" and b"?" not in target and b"#" not in target:
        return target
    return split_target(target)[0]
