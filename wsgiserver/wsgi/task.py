"""Running one WSGI application call: start_response, write(), iteration, errors.

An `AppTask` talks to its connection only through a `Sink` (http/exchange.py),
so it runs the same way in a worker thread (where `send` may block for
backpressure) and on the event-loop thread (where the task pauses and is
resumed when the socket drains). How the body is framed on the wire is the
business of the `BodyWriter` made with the head (http/writers.py).
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Callable, Optional

from ..errors import BodyAborted, ConnectionLost
from ..http import response
from ..http.exchange import FileSegment, Sink
from ..http.request import Request
from ..http.writers import WRITERS, BodyWriter
from .file_wrapper import FileWrapper

error_log = logging.getLogger("wsgiserver.error")

NO_WRITER = BodyWriter()  # before the head: nothing framed, nothing sent


class AppTask:
    """One request/response exchange with the app (a `Task`, see http/exchange.py)."""

    # Slots: a task is made per request, and its attributes are hit in the hot path.
    __slots__ = ("sink", "request", "environ", "app", "inline", "needs_thread", "status", "code",
                 "headers", "head", "writer", "result", "iterator", "keep_alive",
                 "_pending_head", "_segment", "started")

    def __init__(self, sink: Sink, request: Request, environ: dict, app: Callable,
                 inline: bool = False) -> None:
        self.sink = sink
        self.request = request
        self.environ = environ
        self.app = app
        self.inline = inline  # on the loop thread (--threads 0): pause instead of blocking
        self.needs_thread = not inline
        self.status: Optional[str] = None
        self.code = 0
        self.headers: list = []
        self.head: Optional[response.ResponseHead] = None
        self.writer: BodyWriter = NO_WRITER  # made with the head, for its framing
        self.result: Any = None
        self.iterator: Any = None
        self.keep_alive = request.keep_alive
        self._pending_head: Optional[bytes] = None
        self._segment: Optional[FileSegment] = None

    # -- the WSGI callables --
    def start_response(self, status: str, headers: list, exc_info=None):
        if exc_info:
            try:
                if self.head is not None:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("start_response called a second time without exc_info")
        self.code = response.status_code_of(status)
        if self.code < 200:
            # The server owns interim responses (100 Continue); a 1xx final
            # answer would pair every later response with the wrong request.
            raise ValueError(f"{status!r} is not a final status; WSGI apps cannot send 1xx")
        if type(headers) is not list:
            raise TypeError("response headers must be a list of (name, value) tuples")
        self.status, self.headers = status, headers
        return self.write

    def write(self, data: bytes) -> None:
        if self.status is None:
            raise AssertionError("write() called before start_response()")
        self._send_body(data)

    # -- running --
    def run(self) -> bool:
        """Call the app and send its response. False if paused (inline only)."""
        try:
            return self._call_app() or self.pump()
        except BaseException as error:  # SystemExit from an app is still its error
            self._fail(error)
            return True

    def resume(self) -> bool:
        try:
            return self.pump()
        except BaseException as error:
            self._fail(error)
            return True

    def _call_app(self) -> bool:
        """Call the app; True if its whole response is already out (no iterator to pump)."""
        if self.request.streamed:
            self.request.body.set_callbacks(self._send_continue, self.sink.input_drained)
        result = self.result = self.app(self.environ, self.start_response)
        if type(result) is list or type(result) is tuple:
            return self._send_sequence(result)
        if isinstance(result, FileWrapper) and self._try_sendfile(result):
            return False  # pump() then finishes the body (nothing left: the file is queued)
        self.iterator = iter(result)
        return False

    def pump(self) -> bool:
        """Send chunks from the app's iterator; stop early when the socket is full."""
        if self.iterator is not None:
            for data in self.iterator:
                self._send_body(data)
                if self.inline and self.sink.should_pause():
                    return False
            self.iterator = None
        self._finish_body()
        return True

    def _send_sequence(self, items) -> bool:
        """A list or tuple: its length is known, so head and body go out in one send.

        True when that completed the response; False when pump() must finish it.
        """
        body = b"".join(items)  # TypeError for str items, as for any non-bytes body
        if self.head is not None:
            self._send_body(body)  # write() was called: the head is already out
            return False
        head = self._send_head(len(body), defer=True)
        writer = self.writer
        body = writer.frame(body)  # _frame, inlined: this runs for most responses
        if writer.truncated:
            _log_truncated(head)
        self.sink.send(head.data + body)
        # Complete unless the app's own Content-Length promised more (_finish_body says so).
        return not writer.short

    def _try_sendfile(self, wrapper: FileWrapper) -> bool:
        found = wrapper.sendable_range()
        if found is None or self.status is None or self.head is not None:
            return False
        fd, offset, size = found
        head = self._send_head(size, defer=True)
        count = min(size, head.content_length if head.content_length is not None else size)
        if head.framing == response.NO_BODY:
            count = 0
        self._segment = FileSegment(fd, offset, count, on_done=self._close_result)
        self.writer.sent_around(count)
        self.sink.send_file(head.data, self._segment)
        return True

    # -- framing the output --
    def _send_head(self, length_hint: Optional[int], defer: bool = False) -> response.ResponseHead:
        if self.status is None:
            raise AssertionError("the app returned without calling start_response()")
        request = self.request
        if request.streamed and not request.body.complete:  # body_incomplete, inlined
            # The app answered before the whole 100-continue body arrived: we
            # cannot tell where the next request would start, so close after this.
            self.keep_alive = False
        if length_hint == 0 and self.request.method == "HEAD":
            # An empty HEAD body says nothing of the GET's length (Werkzeug
            # sends none for HEAD, streamed bodies are never run): RFC 9110
            # §8.6 forbids a Content-Length that is not the GET's, so send none.
            # An app's own Content-Length still goes out (build_head copies it).
            length_hint = None
        head = self.head = response.app_head(
            self.status, self.headers, method=request.method,
            # request.keep_alive turns False when a graceful stop begins (net/drain.py).
            version=request.version, keep_alive=self.keep_alive and request.keep_alive,
            length_hint=length_hint,
            code=self.code)
        self.writer = WRITERS[head.framing](head.content_length)  # writer_for, inlined
        self.keep_alive = head.keep_alive
        if not defer:
            self._pending_head = head.data
        return head

    def _send_body(self, data: bytes) -> None:
        _check_bytes(data)
        first = b""
        if self.head is None:
            if not data:
                return  # headers wait for the first non-empty chunk (PEP 3333)
            self._send_head(None)
        if self._pending_head:
            first, self._pending_head = self._pending_head, None
        body = self._frame(data)
        if first or body:
            self.sink.send(first + body if first else body)

    def _frame(self, data: bytes) -> bytes:
        body = self.writer.frame(data)
        if self.writer.truncated:
            _log_truncated(self.head)
        return body

    def _finish_body(self) -> None:
        if self.head is None:
            self._send_head(0)
        tail = b""
        if self._pending_head:
            tail, self._pending_head = self._pending_head, None
        tail += self.writer.finish()
        if self.writer.short:
            error_log.error("app sent %d bytes of its Content-Length of %d; closing connection",
                            self.writer.sent, self.head.content_length)
            self.keep_alive = False
        if tail:
            self.sink.send(tail)

    def _send_continue(self) -> None:
        if self.head is None:
            self.sink.send_continue()

    # -- errors --
    def _fail(self, error: Exception) -> None:
        self.keep_alive = False
        if isinstance(error, ConnectionLost):
            return
        status, phrase = 500, "Internal Server Error"
        if isinstance(error, BodyAborted):
            error_log.info("request body aborted: %s", error)
            status, phrase = _aborted_status(error)
        else:
            error_log.error("Error handling request %s %s", self.request.method,
                      self.request.target.decode("latin-1"), exc_info=sys.exc_info())
        if self.head is None or self._pending_head:
            self.head = response.ResponseHead(status, response.LENGTH, False, None, b"")
            self._pending_head = None
            try:
                self.sink.send(response.error_response(
                    status, phrase, method=self.request.method))
            except ConnectionLost:
                pass

    def close(self) -> None:
        """PEP 3333: the iterable's close() is always called, even after errors."""
        if self._segment is None:
            result = self.result
            if type(result) is list or type(result) is tuple:  # no close(): spared a call
                self.result = self.iterator = None
            else:
                self._close_result()

    def _close_result(self) -> None:
        close = getattr(self.result, "close", None)
        self.result = self.iterator = None
        if close is not None:
            try:
                close()
            except Exception:
                error_log.exception("Error closing the app's iterable")

    @property
    def status_code(self) -> int:
        return self.head.status_code if self.head else 0

    @property
    def body_sent(self) -> int:
        return self.writer.sent

    @property
    def response_headers(self) -> list:
        return self.headers


def _aborted_status(error: BodyAborted) -> tuple[int, str]:
    """408/413/400 when the body failed for a protocol reason the client caused."""
    cause = error.error
    status = getattr(cause, "status", None)
    if status is None:
        return 400, "Bad Request"
    return int(status), status.phrase


def _log_truncated(head: response.ResponseHead) -> None:
    error_log.error("app sent more than its Content-Length of %d; truncated",
                    head.content_length)


def _check_bytes(data) -> bytes:
    if not isinstance(data, bytes):
        raise TypeError(f"the app yielded {type(data).__name__}, not bytes")
    return data
