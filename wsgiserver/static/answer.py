"""What a static request gets, decided apart from sending it.

`answer` takes a request, its lookup (`Found`) and the static root (`StaticRoot`), and
returns a `Reply`: the status, the headers, and the body as a value (bytes
in memory, a slice of an open file, or multipart parts of one). It knows
nothing of sockets, so every answer can be checked without a server; the
only I/O is opening the file (`StaticRoot.body`) and, when the file changed
since its lookup, looking it up again. `task.StaticTask` sends the Reply.

The order of the checks is nginx's: not found, OPTIONS, 405, redirect,
listing; for a file, the Accept-Encoding variant, then preconditions
(RFC 9110 §13.2.2: 412, 304), then ranges (200, 206, 416, multipart).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Optional, Protocol, Union
from urllib.parse import quote

from ..http.request import Request
from ..http.targets import split_target
from .cache import OpenFile
from .conditional import if_range_allows, precondition, request_fields
from .listing import decoded_path, listing_etag, listing_page
from .lookup import FILE, LISTING, REDIRECT, Found, Resolver, Resource, StaticFile
from .meta import choose_coding
from .ranges import Multipart, Range, content_range, parse_ranges

ALLOW = "GET, HEAD, OPTIONS"
NOSNIFF = ("X-Content-Type-Options", "nosniff")
TEXT = "text/plain; charset=utf-8"
HTML = "text/html; charset=utf-8"
Headers = list[tuple[str, str]]
Content = Union[bytes, OpenFile]  # what StaticRoot.body gives for a file that is still there


class StaticRoot(Protocol):
    """What deciding an answer needs of the static root (dispatch.StaticFiles is one)."""

    resolver: Optional[Resolver]

    def lookup(self, target: bytes) -> Found: ...

    def forget(self, target: bytes) -> None: ...

    def not_found_page(self) -> Optional[Resource]: ...

    def body(self, file: StaticFile) -> Optional[Content]: ...


class FileSlice:
    """Bytes `start` to `end` of an open file, to go out by os.sendfile."""

    __slots__ = ("file", "start", "end")

    def __init__(self, file: OpenFile, start: int, end: int) -> None:
        self.file = file
        self.start = start
        self.end = end

    @property
    def length(self) -> int:
        return self.end - self.start


class FileParts:
    """A multipart/byteranges body of an open file: its framing and the file."""

    __slots__ = ("file", "parts")

    def __init__(self, file: OpenFile, parts: Multipart) -> None:
        self.file = file
        self.parts = parts


# None: no body at all (304); bytes: all of it, in memory (b"" is Content-Length: 0).
Body = Union[None, bytes, FileSlice, FileParts]


class Reply:
    """One decided response: status, headers and body, not yet sent.

    `varies` says the answer depends on Accept-Encoding, which the
    whole-response cache's key leaves out, so such a reply is never kept.
    A body on an open file holds it until `release` (the sender calls it).
    """

    __slots__ = ("status", "headers", "body", "varies")

    def __init__(self, status: HTTPStatus, headers: Headers, body: Body = None,
                 varies: bool = False) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.varies = varies

    def __repr__(self) -> str:
        return f"<Reply {self.status.value} {type(self.body).__name__}>"

    @property
    def reusable(self) -> bool:
        """May the whole response be memoised for the same plain request? 200 in memory only."""
        return self.status is HTTPStatus.OK and isinstance(self.body, bytes) and not self.varies

    def release(self) -> None:
        """Let go of the open file, if the body has one; a second call does nothing."""
        body = self.body
        if isinstance(body, (FileSlice, FileParts)):
            self.body = None
            body.file.release()


def answer(request: Request, found: Found, files: StaticRoot,
           fields: Optional[dict[str, str]] = None) -> Reply:
    """The reply to `request`, whose target's lookup was `found`.

    `fields` are the request's `conditional.request_fields`, if the caller
    already has them (dispatch picks them for its cache key).
    """
    if fields is None:
        fields = request_fields(request.headers)
    return _answer(request, found, files, fields, retry=True)


def _answer(request: Request, found: Found, files: StaticRoot, fields: dict[str, str],
            retry: bool) -> Reply:
    kind, method = found.kind, request.method
    if kind not in (FILE, REDIRECT, LISTING):
        return not_found(files)
    if method == "OPTIONS":
        # RFC 9110 §9.3.7: 200 with Allow, and Content-Length: 0 for no content.
        return Reply(HTTPStatus.OK, [("Allow", ALLOW), NOSNIFF], b"")
    if method not in ("GET", "HEAD"):
        return text_reply(HTTPStatus.METHOD_NOT_ALLOWED, [("Allow", ALLOW)])
    if kind == REDIRECT:
        return redirect(request.target, found.location)
    if kind == LISTING:
        return listing(request.target, found.directory, files, fields)
    return _file(request, found.resource, files, fields, retry)


def text_reply(status: HTTPStatus, headers: Headers = ()) -> Reply:
    """A status with its phrase as a one-line text body: what errors look like here."""
    body = f"{status.value} {status.phrase}\n".encode()
    return Reply(status, [("Content-Type", TEXT), *headers], body)


def not_found(files: StaticRoot) -> Reply:
    """404: the root's `404.html` if it has one that can be read, else a text line."""
    page = files.not_found_page()
    content = None if page is None else files.body(page.file)
    if content is None:
        return text_reply(HTTPStatus.NOT_FOUND)
    headers = [("Content-Type", page.content_type), NOSNIFF]
    return Reply(HTTPStatus.NOT_FOUND, headers, _slice(content, 0, page.file.size))


def redirect(target: bytes, location: str) -> Reply:
    """301 to the slash form of a folder, keeping the request's query."""
    query = response_safe_query(target)
    headers = [("Location", location + ("?" + query if query else ""))]
    return text_reply(HTTPStatus.MOVED_PERMANENTLY, headers)


def listing(target: bytes, directory: str, files: StaticRoot,
            fields: Optional[dict[str, str]] = None) -> Reply:
    """The --autoindex page of `directory`; no-cache, for it changes with the folder.

    Its validator is a strong ETag made from the page itself, not the
    folder's mtime: the page also changes when a child's type does (a
    symlink retargeted from a file to a folder), which leaves the folder's
    mtime alone, and an mtime has one-second steps. The page is built for
    every request anyway, so hashing it is all the check costs; for the
    same reason there is no Last-Modified, and If-(Un)Modified-Since are
    ignored (RFC 9110 §13.1.3, §13.1.4: no modification date).
    """
    body = listing_page(directory, decoded_path(target), files.resolver)
    etag = listing_etag(body)
    headers = [("ETag", etag), ("Cache-Control", "no-cache"), NOSNIFF]
    tags = {name: value for name, value in (fields or {}).items()
            if name in ("if-match", "if-none-match")}
    verdict = precondition(tags, etag, 0) if tags else None  # no dates: mtime unused
    if verdict is HTTPStatus.NOT_MODIFIED:
        return Reply(verdict, headers)
    if verdict is not None:
        return text_reply(verdict)
    return Reply(HTTPStatus.OK, [("Content-Type", HTML), *headers], body)


# -- files --
def _file(request: Request, resource: Resource, files: StaticRoot, fields: dict[str, str],
          retry: bool) -> Reply:
    reply = _file_reply(request, resource, files, fields, retry)
    if resource.variants:
        # Marked here, after the fact, so it also covers a reply from a second
        # look (_look_again): what was chosen first depended on Accept-Encoding.
        reply.varies = True
    return reply


def _file_reply(request: Request, resource: Resource, files: StaticRoot,
                fields: dict[str, str], retry: bool) -> Reply:
    if resource.variants:
        coding = choose_coding(fields.get("accept-encoding"), resource.codings)
        file = resource.variant(coding)
    else:  # no siblings, the usual case: skip the Accept-Encoding parse
        coding, file = None, resource.file
    headers = validator_headers(resource, file)
    # No fields at all is the common case: skip the evaluation.
    verdict = precondition(fields, file.etag, file.mtime) if fields else None
    if verdict is HTTPStatus.NOT_MODIFIED:
        return Reply(verdict, headers)
    if verdict is not None:
        return text_reply(verdict)
    headers += representation_headers(resource, coding)
    content = files.body(file)
    if content is None:
        return _look_again(request, files, fields, retry)
    try:
        return _ranged(request.method, fields, file, headers, content)
    except BaseException:
        _release(content)  # nobody else will: the Reply that would hold it was never made
        raise


def _look_again(request: Request, files: StaticRoot, fields: dict[str, str],
                retry: bool) -> Reply:
    """The file changed or vanished since its lookup: look again, once."""
    files.forget(request.target)
    if not retry:  # changing faster than we can look: let the client come back
        return text_reply(HTTPStatus.SERVICE_UNAVAILABLE, [("Retry-After", "1")])
    return _answer(request, files.lookup(request.target), files, fields, retry=False)


def _ranged(method: str, fields: dict[str, str], file: StaticFile, headers: Headers,
            content: Content) -> Reply:
    """200 with all of the file, or what its Range asks for: 206, 416 or multipart."""
    ranges = requested_ranges(method, fields, file)
    if ranges is None:
        return Reply(HTTPStatus.OK, headers, _slice(content, 0, file.size))
    if not ranges:
        _release(content)  # no byte of it is sent
        return text_reply(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                          [NOSNIFF, ("Content-Range", f"bytes */{file.size}")])
    if len(ranges) == 1:
        start, end = ranges[0]
        headers.append(("Content-Range", content_range(start, end, file.size)))
        return Reply(HTTPStatus.PARTIAL_CONTENT, headers, _slice(content, start, end))
    return _multipart(file, headers, content, ranges)


def requested_ranges(method: str, fields: dict[str, str],
                     file: StaticFile) -> Optional[list[Range]]:
    """The ranges to send; None for the whole file, [] for 416 (see parse_ranges)."""
    header = fields.get("range")
    # RFC 9110 §14.2: Range is defined for GET only; HEAD gets the 200 headers.
    if header is None or method != "GET":
        return None
    if not if_range_allows(fields.get("if-range"), file.etag, file.mtime):
        return None
    return parse_ranges(header, file.size)


def _multipart(file: StaticFile, headers: Headers, content: Content,
               ranges: list[Range]) -> Reply:
    # The file's type moves into each part; the response's is multipart's own.
    parts = Multipart(ranges, file.size, _header(headers, "Content-Type"))
    headers = [(k, v) for k, v in headers if k != "Content-Type"]
    headers.append(("Content-Type", parts.content_type))
    body = parts.join(content) if isinstance(content, bytes) else FileParts(content, parts)
    return Reply(HTTPStatus.PARTIAL_CONTENT, headers, body)


def _slice(content: Content, start: int, end: int) -> Union[bytes, FileSlice]:
    if isinstance(content, bytes):
        whole = start == 0 and end == len(content)
        return content if whole else content[start:end]
    return FileSlice(content, start, end)


def _release(content: Content) -> None:
    if not isinstance(content, bytes):
        content.release()


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
