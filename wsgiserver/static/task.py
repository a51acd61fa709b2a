"""`StaticTask`: sends the answer to one request from the static root.

What to send is decided in `answer` (a `Reply`); this module only writes
it through the sink: the head, then the body in one send(), as os.sendfile
segments, or as multipart parts. Same interface as `exchange.Task` (`run`,
`close`, `status_code`, `body_sent`, `keep_alive`); it runs wherever the
connection's tasks run and never blocks.
"""

from __future__ import annotations

import logging
import sys
from http import HTTPStatus
from typing import Optional, Protocol

from ..errors import ConnectionLost
from ..http import response
from ..http.exchange import LoopTask, Sink
from ..http.request import Request
from .answer import FileParts, FileSlice, Headers, Reply, StaticRoot, answer
from .cache import ResponseCache
from .conditional import request_fields
from .lookup import Found

error_log = logging.getLogger("wsgiserver.error")
# "200 OK" for HTTPStatus.OK: one dict lookup instead of two enum properties a request.
_STATUS_LINES = {status: f"{status.value} {status.phrase}" for status in HTTPStatus}


class CachingStaticRoot(StaticRoot, Protocol):
    """The static root as a task sees it: it may also remember whole responses."""

    responses: ResponseCache


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

    @property
    def response_headers(self) -> list[tuple[str, str]]:
        """Read back from the memoised head, only when the access log asks."""
        lines = self.data.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")[1:]
        return [(name, value.strip()) for name, _, value in
                (line.partition(":") for line in lines)]


class StaticTask(LoopTask):
    """Answers one request with a file, a redirect, a listing or an error."""

    def __init__(self, sink: Sink, request: Request, found: Found, files: CachingStaticRoot,
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
            # Decided when the task runs, not when it was made: a pipelined
            # request sees the files as they are after the requests before it.
            self.send(answer(self.request, self.found, self.files, self.fields))
        except ConnectionLost:
            self.keep_alive = False
        except Exception:
            self._fail()
        return True

    def send(self, reply: Reply) -> None:
        """Write `reply` through the sink, then release the file it holds."""
        body = reply.body
        if body is None or isinstance(body, bytes):
            self._send_bytes(reply, body)
            return
        try:
            if isinstance(body, FileSlice):
                self._send_slice(reply, body)
            else:
                self._send_parts(reply, body)
        finally:
            reply.release()

    def _send_bytes(self, reply: Reply, body: Optional[bytes]) -> None:
        """A body in memory, head and all in one send(); None for no body (304)."""
        head = self._head(reply.status, reply.headers, None if body is None else len(body))
        if body is None or head.framing == response.NO_BODY:
            self.sink.send(head.data)
            return
        self.body_sent = len(body)
        data = head.data + body
        if self.cache_key is not None and reply.reusable:
            self.files.responses.put(self.cache_key, data, self.body_sent, head.keep_alive)
        self.sink.send(data)

    def _send_slice(self, reply: Reply, body: FileSlice) -> None:
        """One contiguous range of an open file (all of it for 200) after the head."""
        head = self._head(reply.status, reply.headers, body.length)
        if head.framing == response.NO_BODY:
            self.sink.send(head.data)
            return
        self.body_sent = body.length
        self.sink.send_file(head.data, body.file.segment(body.start, body.length))

    def _send_parts(self, reply: Reply, body: FileParts) -> None:
        parts = body.parts
        head = self._head(reply.status, reply.headers, parts.length)
        self.body_sent = parts.length
        first = head.data
        for part_head, (start, end) in zip(parts.part_heads, parts.ranges, strict=True):
            # One sendfile segment per part: the file is never read into memory.
            self.sink.send_file(first + part_head, body.file.segment(start, end - start))
            first = b""
        self.sink.send_nowait(parts.tail)  # a worker must not wait out the transfer

    def _head(self, status: HTTPStatus, headers: Headers,
              length: Optional[int]) -> response.ResponseHead:
        head = response.cached_head(_STATUS_LINES[status], tuple(headers),
                                    method=self.request.method, version=self.request.version,
                                    keep_alive=self.keep_alive, length_hint=length)
        self.status_code = head.status_code
        self.keep_alive = head.keep_alive
        self.response_headers = headers
        return head

    def _fail(self) -> None:
        self.keep_alive = False
        error_log.error("Error serving static %s %s", self.request.method,
                        self.request.target.decode("latin-1"), exc_info=sys.exc_info())
        if self.status_code == 0:  # nothing sent yet: the client can still be told
            try:
                self.sink.send(response.error_response(500, "Internal Server Error",
                                                       method=self.request.method))
                self.status_code = 500
            except ConnectionLost:
                pass
