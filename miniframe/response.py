"""The Response: status, headers and a body, itself a small WSGI application."""

from __future__ import annotations

import json
import mimetypes
import os
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from email.utils import format_datetime, formatdate
from http.cookies import SimpleCookie
from typing import Any, Callable, Optional, Union
from urllib.parse import quote
from wsgiref.util import FileWrapper

from . import cookies
from .errors import status_line

Body = Union[str, bytes, Iterable[Union[str, bytes]]]
FILE_BLOCK_SIZE = 64 * 1024
_NO_BODY_STATUSES = frozenset({204, 304})
# Characters left alone when a Location holds non-ASCII text (RFC 3986 reserved + "%").
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


class Response:
    """Status, headers and body. ``body`` may be str, bytes or an iterable of either
    (streamed as it is produced)."""

    default_content_type = "text/html; charset=utf-8"

    def __init__(self, body: Body = b"", status: int = 200,
                 headers: Optional[list[tuple[str, str]]] = None,
                 content_type: Optional[str] = None):
        self.body = body
        self.status = int(status)
        self.headers: list[tuple[str, str]] = list(headers or [])
        if content_type:
            self.set_header("Content-Type", content_type)

    def get_header(self, name: str, default: Optional[str] = None) -> Optional[str]:
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), default)

    def set_header(self, name: str, value: str) -> None:
        """Replace every header called ``name`` with this one."""
        self.remove_header(name)
        self.headers.append((name, value))

    def add_header(self, name: str, value: str) -> None:
        self.headers.append((name, value))

    def remove_header(self, name: str) -> None:
        lowered = name.lower()
        self.headers = [(key, value) for key, value in self.headers if key.lower() != lowered]

    def set_cookie(self, name: str, value: str, *, max_age: Optional[int] = None,
                   expires: Optional[datetime] = None, path: str = "/",
                   domain: Optional[str] = None, secure: bool = False,
                   httponly: bool = True, samesite: Optional[str] = "Lax") -> None:
        jar = SimpleCookie()
        jar[name] = value
        morsel = jar[name]
        attributes = {"max-age": max_age, "path": path, "domain": domain, "secure": secure,
                      "httponly": httponly, "samesite": samesite,
                      "expires": expires and format_datetime(expires, usegmt=True)}
        for key, attribute in attributes.items():
            if attribute is not None and attribute is not False:
                morsel[key] = attribute
        self.add_header("Set-Cookie", morsel.OutputString())

    def set_signed_cookie(self, name: str, value: Any, secret: str, **options: Any) -> None:
        """Set a cookie whose JSON ``value`` is HMAC-signed (read it with
        ``Request.get_signed_cookie``)."""
        self.set_cookie(name, cookies.sign(secret, name, value), **options)

    def delete_cookie(self, name: str, path: str = "/", domain: Optional[str] = None) -> None:
        self.set_cookie(name, "", max_age=0, path=path, domain=domain,
                        expires=datetime.fromtimestamp(0, timezone.utc))

    @classmethod
    def json(cls, data: Any, status: int = 200, **options: Any) -> Response:
        return cls(json.dumps(data), status, content_type="application/json", **options)

    @classmethod
    def file(cls, path: Union[str, os.PathLike], content_type: Optional[str] = None,
             download_name: Optional[str] = None) -> Response:
        """Send a file from disk through the server's ``wsgi.file_wrapper``."""
        return FileResponse(path, content_type, download_name)

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        chunks, length = self._body_chunks(environ)
        start_response(status_line(self.status), self._final_headers(length))
        if environ.get("REQUEST_METHOD") == "HEAD" or self.status in _NO_BODY_STATUSES:
            # Close the handler's iterable too: a generator wrapper that never
            # started would not pass its close() on.
            _close(chunks)
            _close(self.body)
            return []
        return chunks

    def _body_chunks(self, environ: dict[str, Any]) -> tuple[Iterable[bytes], Optional[int]]:
        body = self.body
        if isinstance(body, str):
            body = body.encode("utf-8")
        if isinstance(body, bytes):
            return [body], len(body)
        return _encoded(body), None

    def _final_headers(self, length: Optional[int]) -> list[tuple[str, str]]:
        headers = self.headers
        if self.status in _NO_BODY_STATUSES:
            return [(key, value) for key, value in headers
                    if key.lower() not in ("content-type", "content-length")]
        if length is not None and self.get_header("Content-Length") is None:
            headers = [*headers, ("Content-Length", str(length))]
        if self.get_header("Content-Type") is None:
            headers = [*headers, ("Content-Type", self.default_content_type)]
        return headers


def _encoded(chunks: Iterable[Union[str, bytes]]) -> Iterator[bytes]:
    try:
        for chunk in chunks:
            if chunk:
                yield chunk.encode("utf-8") if isinstance(chunk, str) else chunk
    finally:
        _close(chunks)


def _close(iterable: Iterable[Any]) -> None:
    close = getattr(iterable, "close", None)
    if close is not None:
        close()


def redirect(location: str, status: int = 303) -> Response:
    """A redirect; 303 (See Other) by default, the right answer after a POST."""
    response = Response(b"", status)
    response.set_header("Location", quote(location, safe=_URL_SAFE))
    return response


class FileResponse(Response):
    """A file from disk; opened only when the server asks for the body."""

    def __init__(self, path: Union[str, os.PathLike], content_type: Optional[str] = None,
                 download_name: Optional[str] = None):
        super().__init__()
        self.path = os.fspath(path)
        guessed, encoding = mimetypes.guess_type(download_name or self.path)
        self.set_header("Content-Type", content_type or guessed or "application/octet-stream")
        if encoding and not content_type:
            self.set_header("Content-Encoding", encoding)
        if download_name:
            self.set_header("Content-Disposition", _attachment(download_name))

    def _body_chunks(self, environ: dict[str, Any]) -> tuple[Iterable[bytes], Optional[int]]:
        stat = os.stat(self.path)
        self.set_header("Last-Modified", formatdate(stat.st_mtime, usegmt=True))
        if environ.get("REQUEST_METHOD") == "HEAD":
            return [], stat.st_size
        # No "with": the server closes the file by calling the wrapper's close().
        handle = open(self.path, "rb")
        wrapper = environ.get("wsgi.file_wrapper", FileWrapper)
        return wrapper(handle, FILE_BLOCK_SIZE), stat.st_size


def _attachment(filename: str) -> str:
    # RFC 6266: a plain ASCII fallback, plus the exact name as RFC 5987 UTF-8.
    fallback = filename.encode("ascii", "replace").decode("ascii").replace('"', "_")
    fallback = fallback.replace("\\", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
