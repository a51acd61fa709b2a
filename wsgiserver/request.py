"""What the HTTP core hands to the WSGI layer: one parsed request."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Optional, Union

from .buffers import StreamingBody


@dataclass
class Request:
    method: str
    target: bytes
    version: str  # "HTTP/1.1"
    headers: list[tuple[str, str]]
    keep_alive: bool
    expect_continue: bool = False
    content_length: Optional[int] = None
    chunked: bool = False
    body: Union[io.IOBase, StreamingBody, None] = None
    host: Optional[str] = None
    trailers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def has_body(self) -> bool:
        return self.chunked or bool(self.content_length)

    def header(self, name: str) -> Optional[str]:
        """The first value of a header, by case-insensitive name."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None
