"""What the HTTP core hands to the WSGI layer: one parsed request."""

from __future__ import annotations

import io
from typing import Optional, Union
from urllib.parse import urlsplit

from .bodies import StreamedBody


class Request:
    """A parsed request; `body` is readable once the whole body has arrived."""

    __slots__ = ("method", "target", "version", "headers", "keep_alive", "expect_continue",
                 "content_length", "chunked", "body", "streamed", "host", "trailers")

    def __init__(self, method: str, target: bytes, version: str,
                 headers: list[tuple[str, str]], keep_alive: bool) -> None:
        self.method = method
        self.target = target
        self.version = version  # "HTTP/1.1"
        self.headers = headers
        self.keep_alive = keep_alive
        self.expect_continue = False
        self.content_length: Optional[int] = None
        self.chunked = False
        self.body: Union[io.IOBase, StreamedBody, None] = None
        self.streamed = False  # body is a StreamedBody, handed out before it arrived
        self.host: Optional[str] = None
        self.trailers: list[tuple[str, str]] = []

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.target!r} {self.version}>"

    @property
    def has_body(self) -> bool:
        return self.chunked or bool(self.content_length)

    @property
    def body_incomplete(self) -> bool:
        """A streamed body not yet all received: where the next request starts is unknown."""
        return self.streamed and not self.body.complete

    # gunicorn's names, for hooks written for it (pre_request's `req.path`, ...): text
    # views of the target, made only when a hook asks.
    @property
    def uri(self) -> str:
        return self.target.decode("latin-1")

    @property
    def path(self) -> str:
        """The target's path, still percent-encoded (as gunicorn's req.path); an
        absolute-form target (http://host/p) gives its path too."""
        uri = self.uri
        if not uri.startswith("/") and "://" in uri:
            uri = urlsplit(uri).path or "/"
        return uri.partition("?")[0].partition("#")[0]

    @property
    def query(self) -> str:
        return self.uri.partition("?")[2].partition("#")[0]

    def header(self, name: str) -> Optional[str]:
        """The first value of a header, by case-insensitive name."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None
