"""Sans-IO request parsing: bytes in, `Request` objects (or one error) out.

llhttp (through httptools) does the tokenising and body framing; this module
adds what llhttp leaves to the server: size limits, the RFC 9112 rules about
Host, Transfer-Encoding and Expect, and assembling each request with its
body. Nothing here touches a socket, so tests feed it bytes whole, one byte
at a time or in random splits and expect the same events.
"""

from __future__ import annotations

import io
import re
from typing import Any, Callable, Optional, Union

import httptools

from .. import errors
from ..errors import BodyAborted, StopParsing
from ..settings import DEFAULTS
from .bodies import BodyBuffer, StreamedBody
from .framing import (
    FRAMING_HEADERS,
    apply_framing_headers,
    check_asterisk,
    check_host,
    check_version,
)
from .request import Request
from .scanner import AWAIT, Scanner

Event = Union[Request, errors.HTTPError]

_OWS = " \t"
_CARRY = 512
_UNLIMITED_HEAD = 64 * 2**20
_LOGGED_TARGET = 8192  # of a refused target, at most this much reaches the access log
# tchar (RFC 9110 §5.6.2): a method llhttp does not know but that is a token gets 501.
_UNKNOWN_METHOD = ("Invalid method", "Expected space after method")  # llhttp's words
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,32}")


class Limits:
    """The request-size limits a parser enforces (0 means unlimited).

    The defaults are the settings table's, so the parser used alone (tests,
    other servers) refuses exactly what the server does.
    """

    # A chunk's extensions (everything between its size and the CRLF) over
    # this many bytes get 400. Not a setting: no client sends more than a few
    # dozen bytes of them, and gunicorn bounds the whole chunk-size line by its
    # field-size limit (8190) with 400 as well. It is per chunk, so the bytes
    # held to parse any one line stay bounded whatever the body's length.
    chunk_extension = 4096

    def __init__(self, request_line: int = DEFAULTS["limit_request_line"],
                 fields: int = DEFAULTS["limit_request_fields"],
                 field_size: int = DEFAULTS["limit_request_field_size"],
                 body: int = DEFAULTS["limit_request_body"],
                 header_size: int = DEFAULTS["limit_request_header_size"]) -> None:
        self.request_line = request_line
        self.fields = fields
        self.field_size = field_size
        self.body = body
        self.header_size = header_size

    @classmethod
    def from_config(cls, config: Any) -> Limits:
        return cls(config.limit_request_line, config.limit_request_fields,
                   config.limit_request_field_size, config.limit_request_body,
                   config.limit_request_header_size)

    @property
    def head_bytes(self) -> int:
        """Most bytes a request head (or a trailer section) can take; more gets 431.

        The raw bytes from the request line's first byte to the empty line's
        end: --limit-request-header-size, or less if the per-field limits
        allow less (then an unterminated field is refused that much sooner).
        """
        allowed = _UNLIMITED_HEAD
        if self.request_line and self.fields and self.field_size:
            allowed = self.request_line + self.fields * (self.field_size + 4) + 64
        return min(self.header_size, allowed) if self.header_size else allowed


class RequestParser:
    """Turns a connection's byte stream into requests, in order.

    After an error event, or after a request that does not keep the
    connection alive, the parser ignores all further input: nothing that
    follows on that connection is ever processed.
    """

    def __init__(self, limits: Optional[Limits] = None,
                 streamed_body: Optional[Callable[[], StreamedBody]] = None) -> None:
        """`streamed_body` makes the body of an `Expect: 100-continue` request, which is
        then handed out at once, before its body; without it such bodies are buffered."""
        self.limits = limits or Limits()
        self.streamed_body = streamed_body
        self.finished = False
        # A buffered Expect: 100-continue request still awaiting its body (see take_continue).
        self.continue_for: Optional[Request] = None
        self._parser = self._new_llhttp()
        self._events: list[Event] = []
        self._scanner = Scanner(self.limits.head_bytes, self.limits.request_line,
                                self.limits.chunk_extension, self.limits.fields,
                                self.limits.field_size)
        self._pending_method: Optional[bytearray] = None  # see _refuse_method
        self._stopped = False
        self._carry = self._window = b""
        self._alt_protocol = False
        self._scan = 0
        self._start_message(in_message=False)

    def _start_message(self, in_message: bool = True) -> None:
        # One function, not a begin and a reset: it runs for every request.
        self.in_message = self._in_head = in_message
        self._line_checked = False
        self._url = bytearray()
        self._headers: list[tuple[str, str]] = []
        self._framing: dict[str, list[str]] = {}
        self._field_count = 0
        self._request: Optional[Request] = None
        self._body: Union[BodyBuffer, StreamedBody, None] = None
        self._streamed = False
        self._body_size = 0

    def _new_llhttp(self) -> httptools.HttpRequestParser:
        parser = httptools.HttpRequestParser(self)
        # HTTP/1.2 is still HTTP/1 (RFC 9110 §2.5); majors >= 2 get 505 from us.
        parser.set_dangerous_leniencies(lenient_version=True)
        return parser

    # -- public API --
    def feed(self, data: bytes) -> list[Event]:
        """Parse `data`; return the requests and at most one error it completes."""
        if self.finished or not data:
            return []
        self._events = []
        try:
            if self._pending_method is not None:
                self._decide_method(data)
            else:
                self._feed_parser(data)
        except errors.HTTPError as error:
            self._fail(error)
        # Keep the end of an unfinished request line for _check_protocol.
        self._carry = self._window[-_CARRY:] if self._in_head and not self._line_checked else b""
        self._window = b""
        events, self._events = self._events, []  # hold no request (or its body) here
        return events

    def feed_eof(self) -> bool:
        """The peer closed its side. True if it cut a request off midway."""
        cut_off = self.in_message and not self.finished
        self._drop_body(BodyAborted("client closed the connection"))
        self.finished = True
        self._parser = None  # llhttp holds us: break the cycle now, not at the next GC
        return cut_off

    def take_continue(self) -> bool:
        """True once if a buffered Expect: 100-continue request still awaits its body."""
        waiting = self.continue_for
        self.continue_for = None
        return waiting is not None and waiting is self._request and self.in_message

    def abort_body(self, error: errors.HTTPError) -> None:
        """Give up on the body being received: nothing more is read on this connection."""
        self._drop_body(BodyAborted(error.reason, error))
        self.finished = True

    @property
    def streamed_body_in_progress(self) -> Optional[StreamedBody]:
        """The 100-continue body still being filled while its app reads it, if any."""
        body = self._body
        # The body is let go when it ends (complete, aborted, cut off): then None too.
        return body if self._streamed and body is not None and not body.complete else None

    @property
    def reading_body(self) -> bool:
        """The current request's head is complete and its body is still arriving."""
        return self.in_message and not self._in_head and not self.finished

    @property
    def body_received(self) -> int:
        """Body bytes of the current request received so far (chunked: decoded)."""
        return self._body_size

    def _drop_body(self, error: BaseException) -> None:
        body, self._body = self._body, None
        if body is None:
            return
        body.abort(error) if self._streamed else body.close()

    # -- feeding llhttp --
    def _feed_parser(self, data: bytes) -> None:
        window = self._window = self._carry + data if self._carry else data
        scanner = self._scanner
        if not self._carry and scanner.take_whole(data):
            # The usual feed, one whole head and nothing after it: the cut loop
            # below would make it one cut. Fed as it is, for fewer calls; its
            # request line is plain HTTP/1.x (take_whole), so no RTSP/ICE scan.
            self._alt_protocol = False
            try:  # _feed_llhttp, inlined
                self._parser.feed_data(data)
                upgraded_at = None
            except (httptools.HttpParserUpgrade, httptools.HttpParserError) as error:
                upgraded_at = self._llhttp_stopped(error)
            if upgraded_at is None:
                if scanner.mode == AWAIT:
                    scanner.give_up()  # as below
                return
            start = self._restart_after_upgrade(upgraded_at)
        else:
            start = 0
        # One scan per feed, and a cursor, keep _check_protocol linear in the input.
        self._alt_protocol = b"RTSP/" in window or b"ICE/" in window
        self._scan = 0
        view, size = None, len(data)
        # llhttp is fed in cuts that end where the scanner says a limit is crossed
        # or a head ends, so every limit fires at the same byte for any split.
        while start < size and not self.finished and self._pending_method is None:
            end, over_limit = scanner.cut(data, start)
            if start == 0 and end == size:
                piece = data  # the usual case, one cut for the whole feed: no view needed
            else:
                view = view or memoryview(data)
                piece = view[start:end]
            upgraded_at = self._feed_llhttp(piece)
            if upgraded_at is not None:
                # No recursion and out of the except block: an error in what
                # follows must not hide behind the upgrade exception.
                end = self._restart_after_upgrade(start + upgraded_at)
            elif over_limit is not None:
                raise over_limit
            elif scanner.mode == AWAIT:
                scanner.give_up()  # llhttp did not end the head where the scanner did
            start = end

    def _feed_llhttp(self, piece: Union[bytes, memoryview]) -> Optional[int]:
        """Feed one cut; where in it the request that asked to upgrade ended, if one did."""
        try:
            self._parser.feed_data(piece)
        except (httptools.HttpParserUpgrade, httptools.HttpParserError) as error:
            return self._llhttp_stopped(error)
        return None

    def _llhttp_stopped(self, error: Exception) -> Optional[int]:
        """llhttp raised (in an except block): the upgrade's offset, None, or our HTTPError."""
        if isinstance(error, httptools.HttpParserUpgrade):
            return error.args[0]
        if isinstance(error, httptools.HttpParserCallbackError):
            if not self._stopped:
                raise _callback_error(error) from None
            return None
        if str(error).startswith(_UNKNOWN_METHOD) and self._wait_for_method():
            return None
        raise self._translate_error(error, self._window) from None

    def _restart_after_upgrade(self, offset: int) -> int:
        # We do not switch protocols: the request was answered as plain
        # HTTP/1.1, so whatever follows it is parsed as the next request.
        if self.in_message:
            raise errors.BadRequest("body on an upgrade request is not supported")
        self._parser = self._new_llhttp()
        self._scanner.begin_head()
        return offset

    def _translate_error(self, error: Exception, recent: bytes) -> errors.HTTPError:
        message = str(error) or type(error).__name__
        if "HTTP version" in message and self._in_head and not self._headers:
            # Find the version right after this request's target, not any
            # "HTTP/2" further on (a pipelined request, a header value).
            pattern = re.escape(bytes(self._url[-8:])) + rb" +HTTP/(\d)"
            match = re.search(pattern, recent)
            if match and int(match.group(1)) >= 2:
                return errors.VersionNotSupported("HTTP version not supported")
        return errors.BadRequest(message)

    def _fail(self, error: errors.HTTPError) -> None:
        error.request = self.partial_request()
        self._drop_body(error)
        self._events.append(error)
        self.finished = True

    def time_out(self) -> errors.HTTPError:
        """Give up on a request that stalled midway: the 408 to answer it with."""
        error = errors.RequestTimeout("request not received in time")
        error.request = self.partial_request()
        self.finished = True
        return error

    def partial_request(self) -> Optional[Request]:
        """What was read of the current request (for the access log), or None."""
        if self._request is not None:
            return self._request  # the head was complete: the body failed
        if not self.in_message or self._parser is None:
            return None
        try:
            method = self._parser.get_method().decode("ascii", "replace")
        except httptools.HttpParserError:
            method = "-"
        version = self._parser.get_http_version()  # "0.0" until llhttp has read it
        version = "-" if version == "0.0" else "HTTP/" + version
        target = bytes(self._url[:_LOGGED_TARGET])
        return Request(method, target, version, self._headers, keep_alive=False)

    # -- a method llhttp does not know --
    def _wait_for_method(self) -> bool:
        """After llhttp's "Invalid method": refuse now, or wait for the token's end."""
        refusal = _refuse_method(self._scanner.request_line())
        if refusal is not None:
            raise refusal
        self._pending_method = bytearray(self._scanner.request_line())
        return True

    def _decide_method(self, data: bytes) -> None:
        pending = self._pending_method
        pending += data[:40]  # a token over 32 bytes is refused anyway
        refusal = _refuse_method(bytes(pending))
        if refusal is not None:
            self._pending_method = None
            raise refusal

    # -- llhttp callbacks --
    # No on_message_begin: httptools skips callbacks we do not define, and a
    # message's first URL fragment marks its start just as well, for one
    # Python call less per request.
    def on_url(self, url: bytes) -> None:
        if not self.in_message:
            self._start_message()
        self._url += url
        limit = self.limits.request_line
        if limit and len(self._url) > limit:
            raise errors.URITooLong(f"request target over {limit} bytes")

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self._line_checked:  # once per request: the request line is complete
            self._line_checked = True
            if self._alt_protocol:
                self._check_protocol()
        self._field_count += 1
        limits = self.limits  # checked inline: this runs for every header of every request
        if limits.fields and self._field_count > limits.fields:
            raise errors.HeaderFieldsTooLarge("too many header fields")
        if limits.field_size and len(name) + len(value) > limits.field_size:
            raise errors.HeaderFieldsTooLarge(
                f"header field {name[:40].decode('latin-1')!r} too large")
        key = name.decode("latin-1")
        field = (key, value.decode("latin-1").strip(_OWS))
        if self._in_head:
            self._headers.append(field)
            lowered = key.lower()
            if lowered in FRAMING_HEADERS:
                self._framing.setdefault(lowered, []).append(field[1])
        elif self._request is not None:
            if key.lower() in FRAMING_HEADERS:
                # RFC 9110 §6.5.1: never framing, routing or how to handle content.
                raise errors.BadRequest(f"{key} is not allowed in a trailer section")
            self._request.trailers.append(field)

    def on_headers_complete(self) -> None:
        if not self._line_checked:
            self._line_checked = True
            if self._alt_protocol:
                self._check_protocol()
        self._in_head = False
        request = self._build_request()
        self._request = request
        chunked, length = request.chunked, request.content_length
        self._scanner.begin_body(chunked, length)
        self._streamed = request.expect_continue and self.streamed_body is not None
        if self._streamed:
            self._body = request.body = self.streamed_body()
            request.streamed = True
            self._events.append(request)
        elif chunked or length:  # request.has_body, inlined: this runs for every request
            self._body = BodyBuffer()
            if request.expect_continue:
                self.continue_for = request

    def on_body(self, body: bytes) -> None:
        self._body_size += len(body)
        limit = self.limits.body
        if limit and self._body_size > limit:
            if self._streamed:  # the app reads exactly `limit` bytes, however they came
                self._body.write(body[:len(body) - (self._body_size - limit)])
            raise errors.PayloadTooLarge(f"request body over {limit} bytes")
        self._body.write(body)

    def on_message_complete(self) -> None:
        request, body = self._request, self._body
        if self._streamed:
            body.finish()
        else:
            request.body = body.finish() if body is not None else io.BytesIO()
            self._events.append(request)
        # The rest is reset by on_message_begin; drop what holds memory now.
        self.in_message = False
        self._request = self._body = None
        if not request.keep_alive:
            self.finished = self._stopped = True
            raise StopParsing()

    def _check_protocol(self) -> None:
        # llhttp also accepts "RTSP/1.0" and "ICE/1.0" where RFC 9112 §2.3
        # requires "HTTP/"; it reports only the numbers, so look at the bytes.
        # Called once per request (the callers set _line_checked), and only
        # when the feed holds "RTSP/" or "ICE/" at all (_feed_parser).
        after_target = bytes(self._url[-16:]) + b" "
        found = self._window.find(after_target, self._scan)
        if found < 0:
            return
        self._scan = found + len(after_target)
        if self._window.startswith((b"RTSP/", b"ICE/"), self._scan):
            raise errors.BadRequest("not an HTTP request line")

    # -- building a request --
    def _build_request(self) -> Request:
        version = self._parser.get_http_version()
        if version != "1.1" and version != "1.0":
            check_version(version)
        method = self._parser.get_method().decode("ascii")
        target = bytes(self._url)
        if target[:1] == b"*":
            check_asterisk(method, target)
        # A CONNECT that succeeds turns the connection into a tunnel (RFC 9110
        # §9.3.6): never read another request from it.
        keep_alive = self._parser.should_keep_alive() and method != "CONNECT"
        request = Request(method, target, "HTTP/" + version, self._headers, keep_alive)
        framing = self._framing
        if len(framing) == 1 and "host" in framing and version == "1.1":
            check_host(request, framing["host"])  # the usual GET: nothing else to check
        elif framing or version != "1.0":
            apply_framing_headers(request, framing, self.limits.body)
        return request


def _refuse_method(line: bytes) -> Optional[errors.HTTPError]:
    # RFC 9110 §9.1: an unknown method gets 501 - if it is a method at all, a
    # token; anything else is a bad request line (400). llhttp fails at the
    # first byte that no method it knows has: the token may not be whole yet
    # (None: wait for more). The app never sees such a method, since llhttp
    # cannot parse the rest of its request.
    space = line.find(b" ")
    token = line if space < 0 else line[:space]
    if not _TOKEN.fullmatch(token):
        return errors.BadRequest("invalid method")
    if space < 0:
        return None
    return errors.MethodNotImplemented(f"method {token.decode('ascii')!r} not implemented")


def _callback_error(error: Exception) -> errors.HTTPError:
    # httptools wraps an exception raised in a callback; ours carry the status.
    cause = error.__context__
    if isinstance(cause, errors.HTTPError):
        return cause
    raise error
