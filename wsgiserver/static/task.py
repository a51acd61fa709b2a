"""`StaticTask`: one request answered from the static root, as nginx would.

Same interface as `task.Task` (`run`, `close`, `status_code`, `body_sent`,
`keep_alive`). It runs wherever the connection's tasks run, never blocks,
and sends bodies with os.sendfile (or one send() for small cached files).
"""

from __future__ import annotations

import logging
import sys
from http import HTTPStatus
from typing import TYPE_CHECKING, Optional, Union
from urllib.parse import quote

from ..errors import ConnectionLost
from ..http import response
from ..http.exchange import LoopTask, Sink
from ..http.request import Request
from ..http.targets import split_target
from .cache import OpenFile
from .conditional import if_range_allows, precondition, request_fields
from .listing import decoded_path, listing_page
from .lookup import FILE, LISTING, REDIRECT, Found, Resource, StaticFile
from .meta import choose_coding
from .ranges import Multipart, content_range, parse_ranges

if TYPE_CHECKING:
    from .dispatch import StaticFiles

error_log = logging.getLogger("wsgiserver.error")

ALLOW = "GET, HEAD, OPTIONS"
NOSNIFF = ("X-Content-Type-Options", "nosniff")
TEXT = "text/plain; charset=utf-8"
HTML = "text/html; charset=utf-8"
Headers = list[tuple[str, str]]


class CachedTask(LoopTask):
    """Sends a memoised whole response."""

    status_code = 200

    def __init__(self, sink: Sink, request: Request, data: bytes, body_sent: int,
                 keep_alive: bool) -> None:
        self.sink = sink
        self.request = request
        self.data = data
        self.body_sent = body_sent
        self.keep_alive = keep_alive

    def run(self) -> bool:
        try:
            self.sink.send(self.data)
        except ConnectionLost:
            self.keep_alive = False
        return True


class StaticTask(LoopTask):
    """Answers one request with a file, a redirect, a listing or an error."""

    def __init__(self, sink: Sink, request: Request, found: Found, files: StaticFiles,
                 fields: Optional[dict] = None, cache_key: Optional[tuple] = None) -> None:
        self.sink = sink
        self.request = request
        self.found = found
        self.files = files
        self.fields = request_fields(request.headers) if fields is None else fields
        self.cache_key = cache_key  # set when the whole response may be memoised
        self.status_code = 0
        self.body_sent = 0
        # A 100-continue body we never read: the next request's start is unknown.
        self.keep_alive = request.keep_alive and not request.body_incomplete

    def run(self) -> bool:
        try:
            self._respond()
        except ConnectionLost:
            self.keep_alive = False
        except Exception:
            self._fail()
        return True

    # -- choosing the answer --
    def _respond(self, retry: bool = True) -> None:
        kind, method = self.found.kind, self.request.method
        if kind not in (FILE, REDIRECT, LISTING):
            self._not_found()
        elif method == "OPTIONS":
            # RFC 9110 §9.3.7: 200 with Allow, and Content-Length: 0 for no content.
            self._send_bytes(HTTPStatus.OK, [("Allow", ALLOW), NOSNIFF], b"")
        elif method not in ("GET", "HEAD"):
            self._send_text(HTTPStatus.METHOD_NOT_ALLOWED, [("Allow", ALLOW)])
        elif kind == REDIRECT:
            self._redirect(self.found.location)
        elif kind == LISTING:
            self._listing()
        else:
            self._file(self.found.resource, retry)

    def _not_found(self) -> None:
        page = self.files.not_found_page()
        if page is None or not self._send_whole(HTTPStatus.NOT_FOUND, page, [NOSNIFF]):
            self._send_text(HTTPStatus.NOT_FOUND)

    def _redirect(self, location: str) -> None:
        query = response_safe_query(self.request.target)
        headers = [("Location", location + ("?" + query if query else ""))]
        self._send_text(HTTPStatus.MOVED_PERMANENTLY, headers)

    def _listing(self) -> None:
        path = decoded_path(self.request.target)
        body = listing_page(self.found.directory, path, self.files.resolver)
        self._send_bytes(HTTPStatus.OK, [("Content-Type", HTML), ("Cache-Control", "no-cache"),
                                         NOSNIFF], body)

    # -- files --
    def _file(self, resource: Resource, retry: bool) -> None:
        coding = choose_coding(self.fields.get("accept-encoding"), resource.codings)
        file = resource.variant(coding)
        headers = validator_headers(resource, file)
        verdict = precondition(self.fields, file.etag, file.mtime) if self.fields else None
        if verdict is HTTPStatus.NOT_MODIFIED:
            self._send_bytes(verdict, headers, None)
            return
        if verdict is not None:
            self._send_text(verdict)
            return
        headers += representation_headers(resource, coding)
        if resource.codings:
            self.cache_key = None  # the answer depends on Accept-Encoding
        body = self.files.body(file)
        if body is None:
            self._file_changed(retry)
            return
        self._send_file(file, headers, body)

    def _file_changed(self, retry: bool) -> None:
        """The file changed or vanished since its lookup: look again, once."""
        self.files.forget(self.request.target)
        if not retry:  # changing faster than we can look: let the client come back
            self._send_text(HTTPStatus.SERVICE_UNAVAILABLE, [("Retry-After", "1")])
            return
        self.found = self.files.lookup(self.request.target)
        self._respond(retry=False)

    def _send_file(self, file: StaticFile, headers: Headers,
                   body: Union[bytes, OpenFile]) -> None:
        ranges = self._ranges(file)
        try:
            if ranges is None:
                self._send_body(HTTPStatus.OK, headers, body, [(0, file.size)])
            elif not ranges:
                headers = [NOSNIFF, ("Content-Range", f"bytes */{file.size}")]
                self._send_text(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, headers)
            elif len(ranges) == 1:
                start, end = ranges[0]
                headers.append(("Content-Range", content_range(start, end, file.size)))
                self._send_body(HTTPStatus.PARTIAL_CONTENT, headers, body, ranges)
            else:
                self._send_multipart(file, headers, body, ranges)
        finally:
            if not isinstance(body, bytes):
                body.release()

    def _ranges(self, file: StaticFile) -> Optional[list[tuple[int, int]]]:
        header = self.fields.get("range")
        # RFC 9110 §14.2: Range is defined for GET only; HEAD gets the 200 headers.
        if header is None or self.request.method != "GET":
            return None
        if not if_range_allows(self.fields.get("if-range"), file.etag, file.mtime):
            return None
        return parse_ranges(header, file.size)

    def _send_whole(self, status: HTTPStatus, resource: Resource, headers: Headers) -> bool:
        """A whole file with `status` (the 404 page); False if it can't be read."""
        body = self.files.body(resource.file)
        if body is None:
            return False
        headers = [("Content-Type", resource.content_type), *headers]
        try:
            self._send_body(status, headers, body, [(0, resource.file.size)])
        finally:
            if not isinstance(body, bytes):
                body.release()
        return True

    def _send_body(self, status: HTTPStatus, headers: Headers,
                   body: Union[bytes, OpenFile], ranges: list[tuple[int, int]]) -> None:
        """One contiguous range of the file (all of it for 200) after the head."""
        (start, end), = ranges
        if isinstance(body, bytes):
            whole = start == 0 and end == len(body)
            self._send_bytes(status, headers, body if whole else body[start:end])
            return
        head = self._head(status, headers, end - start)
        if self._no_body(head):
            self.sink.send(head.data)
            return
        self.body_sent = end - start
        self.sink.send_file(head.data, body.segment(start, end - start))

    def _send_multipart(self, file: StaticFile, headers: Headers,
                        body: Union[bytes, OpenFile], ranges: list[tuple[int, int]]) -> None:
        content_type = _header(headers, "Content-Type")
        parts = Multipart(ranges, file.size, content_type)
        headers = [(k, v) for k, v in headers if k != "Content-Type"]
        headers.append(("Content-Type", parts.content_type))
        if isinstance(body, bytes):
            self._send_bytes(HTTPStatus.PARTIAL_CONTENT, headers, parts.join(body))
            return
        head = self._head(HTTPStatus.PARTIAL_CONTENT, headers, parts.length)
        self.body_sent = parts.length
        first = head.data
        for part_head, (start, end) in zip(parts.part_heads, parts.ranges, strict=True):
            # One sendfile segment per part: the file is never read into memory.
            self.sink.send_file(first + part_head, body.segment(start, end - start))
            first = b""
        self.sink.send_nowait(parts.tail)  # a worker must not wait out the transfer

    # -- framing --
    def _head(self, status: HTTPStatus, headers: Headers,
              length: Optional[int]) -> response.ResponseHead:
        head = response.cached_head(f"{status.value} {status.phrase}", tuple(headers),
                                    method=self.request.method, version=self.request.version,
                                    keep_alive=self.keep_alive, length_hint=length)
        self.status_code = head.status_code
        self.keep_alive = head.keep_alive
        return head

    def _no_body(self, head: response.ResponseHead) -> bool:
        return head.framing == response.NO_BODY

    def _send_bytes(self, status: HTTPStatus, headers: Headers, body: Optional[bytes]) -> None:
        """A response whose body is in memory; None for no body at all (304)."""
        head = self._head(status, headers, None if body is None else len(body))
        if body is None or self._no_body(head):
            self.sink.send(head.data)
            return
        self.body_sent = len(body)
        data = head.data + body
        if self.cache_key is not None and status is HTTPStatus.OK:
            self.files.responses.put(self.cache_key, data, self.body_sent, head.keep_alive)
        self.sink.send(data)

    def _send_text(self, status: HTTPStatus, headers: Headers = ()) -> None:
        body = f"{status.value} {status.phrase}\n".encode()
        self._send_bytes(status, [("Content-Type", TEXT), *headers], body)

    def _fail(self) -> None:
        self.keep_alive = False
        error_log.error("Error serving static %s %s", self.request.method,
                  self.request.target.decode("latin-1"), exc_info=sys.exc_info())
        if self.status_code == 0:
            try:
                self.sink.send(response.error_response(500, "Internal Server Error",
                                                       method=self.request.method))
                self.status_code = 500
            except ConnectionLost:
                pass


def validator_headers(resource: Resource, file: StaticFile) -> Headers:
    """What a 304 repeats from the 200 (RFC 9110 §15.4.5)."""
    headers = [("ETag", file.etag), ("Last-Modified", file.last_modified),
               ("Cache-Control", resource.cache_control), NOSNIFF]
    if resource.variants:
        headers.append(("Vary", "Accept-Encoding"))  # the answer depends on it
    return headers


def representation_headers(resource: Resource, coding: Optional[str]) -> Headers:
    headers = [("Content-Type", resource.content_type), ("Accept-Ranges", "bytes")]
    if coding is not None:
        headers.append(("Content-Encoding", coding))
    return headers


def _header(headers: Headers, name: str) -> str:
    return next(value for key, value in headers if key == name)


def response_safe_query(target: bytes) -> str:
    """The request's query, %-encoding anything that does not belong in a header."""
    query = split_target(target)[1]
    return quote(query, safe="/?:@!$&'()*+,;=~%") if query else ""
