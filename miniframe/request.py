"""The Request: a lazy, caching view over a WSGI environ."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Mapping
from functools import cached_property
from http.cookies import CookieError, SimpleCookie
from typing import Any, Optional
from urllib.parse import parse_qsl

import multipart

from . import cookies
from .errors import HTTPError, abort

DEFAULT_MAX_BODY_SIZE = 10 * 1024 * 1024
_CHUNK = 64 * 1024
_UNPREFIXED_HEADERS = ("CONTENT_TYPE", "CONTENT_LENGTH")


def _wsgi_str(value: str) -> str:
    # PEP 3333 hands over URL bytes as latin-1 text; the bytes are really UTF-8.
    # Text that is not latin-1 did not come from bytes that way: keep it.
    try:
        return value.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return value


class EnvironHeaders(Mapping):
    """Request headers by their usual names, case-insensitive, read from the environ."""

    def __init__(self, environ: dict[str, Any]):
        self._environ = environ

    @staticmethod
    def _key(name: str) -> str:
        key = name.upper().replace("-", "_")
        return key if key in _UNPREFIXED_HEADERS else "HTTP_" + key

    def __getitem__(self, name: str) -> str:
        return self._environ[self._key(name)]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._key(name) in self._environ

    def __iter__(self) -> Iterator[str]:
        for key in self._environ:
            if key.startswith("HTTP_") or key in _UNPREFIXED_HEADERS:
                yield key.removeprefix("HTTP_").replace("_", "-").title()

    def __len__(self) -> int:
        return sum(1 for _ in self)


class BoundedInput:
    """Reads the body from ``wsgi.input`` without going past what is allowed.

    With a known length it stops there (PEP 3333 forbids reading further);
    for a chunked body (``wsgi.input_terminated``) it reads to the end but
    answers 413 once ``limit`` is passed.
    """

    def __init__(self, stream: Any, length: Optional[int], limit: int):
        self._stream = stream
        self._remaining = length
        self._limit = limit
        self._seen = 0

    def read(self, size: int = -1) -> bytes:
        if self._remaining is None:
            return self._read_terminated(size)
        want = self._remaining if size is None or size < 0 else min(size, self._remaining)
        data = self._stream.read(want) if want > 0 else b""
        self._remaining -= len(data)
        return data

    def _read_terminated(self, size: int) -> bytes:
        data = self._stream.read(self._limit + 1 if size is None or size < 0 else size)
        self._seen += len(data)
        if self._seen > self._limit:
            abort(413, f"The request body is larger than {self._limit} bytes.")
        return data

    def read_all(self) -> bytes:
        return b"".join(iter(lambda: self.read(_CHUNK), b""))


class Request:
    """What the client sent. Every parsed value is computed on first use, then kept."""

    def __init__(self, environ: dict[str, Any], app: Any = None,
                 max_body_size: int = DEFAULT_MAX_BODY_SIZE):
        self.environ = environ
        self.app = app
        self.max_body_size = max_body_size
        self._input_used = False

    @property
    def method(self) -> str:
        return self.environ["REQUEST_METHOD"].upper()

    @cached_property
    def path(self) -> str:
        return _wsgi_str(self.environ.get("PATH_INFO", "")) or "/"

    @cached_property
    def script_name(self) -> str:
        return _wsgi_str(self.environ.get("SCRIPT_NAME", "")).rstrip("/")

    @property
    def query_string(self) -> str:
        return self.environ.get("QUERY_STRING", "")

    @cached_property
    def args(self) -> multipart.MultiDict:
        """Query string parameters; ``args.getall(name)`` gives repeated ones."""
        pairs = parse_qsl(_wsgi_str(self.query_string), keep_blank_values=True)
        return multipart.MultiDict(pairs)

    @cached_property
    def headers(self) -> EnvironHeaders:
        return EnvironHeaders(self.environ)

    @cached_property
    def cookies(self) -> dict[str, str]:
        jar = SimpleCookie()
        try:
            jar.load(self.environ.get("HTTP_COOKIE", ""))
        except CookieError:
            return {}
        return {name: morsel.value for name, morsel in jar.items()}

    def get_signed_cookie(self, name: str, secret: Optional[str] = None,
                          max_age: Optional[float] = None) -> Any:
        """The value of a cookie set with ``Response.set_signed_cookie``, or None."""
        token = self.cookies.get(name)
        secret = secret or getattr(self.app, "secret_key", None)
        return None if token is None else cookies.unsign(secret, name, token, max_age)

    @property
    def remote_addr(self) -> str:
        """The peer address as the server saw it (no proxy headers are trusted)."""
        return self.environ.get("REMOTE_ADDR", "")

    @cached_property
    def content_type(self) -> str:
        return self.environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()

    @cached_property
    def content_length(self) -> Optional[int]:
        raw = self.environ.get("CONTENT_LENGTH", "").strip()
        if not raw:
            return None
        if not raw.isdigit():
            abort(400, "Content-Length is not a number.")
        return int(raw)

    def _input(self) -> BoundedInput:
        if self._input_used:
            raise RuntimeError("the request body was already consumed")
        self._input_used = True
        length = self.content_length
        if length is not None and length > self.max_body_size:
            abort(413, f"The request body is larger than {self.max_body_size} bytes.")
        if length is None and not self.environ.get("wsgi.input_terminated"):
            length = 0
        return BoundedInput(self.environ["wsgi.input"], length, self.max_body_size)

    @cached_property
    def body(self) -> bytes:
        """The raw request body (at most ``max_body_size`` bytes)."""
        data = self._input().read_all()
        if self.content_length is not None and len(data) < self.content_length:
            abort(400, "The request body ended early.")
        return data

    @cached_property
    def json(self) -> Any:
        """The JSON body; 415 if the body is not JSON, 400 if it does not parse."""
        if self.content_type != "application/json" and not self.content_type.endswith("+json"):
            abort(415, "Expected a JSON body (Content-Type: application/json).")
        try:
            return json.loads(self.body)
        except ValueError as error:
            raise HTTPError(400, f"The body is not valid JSON: {error}") from None

    @property
    def form(self) -> multipart.MultiDict:
        """Text fields of a urlencoded or multipart form."""
        return self._form_and_files[0]

    @property
    def files(self) -> multipart.MultiDict:
        """Uploaded files (``multipart.MultipartPart``: ``.filename``, ``.file``, ``.size``)."""
        return self._form_and_files[1]

    @cached_property
    def _form_and_files(self) -> tuple[multipart.MultiDict, multipart.MultiDict]:
        if not multipart.is_form_request(self.environ):
            return multipart.MultiDict(), multipart.MultiDict()
        stream = io.BytesIO(self.body) if "body" in self.__dict__ else self._input()
        form_environ = {key: self.environ[key] for key in _UNPREFIXED_HEADERS
                        if key in self.environ}
        form_environ["wsgi.input"] = stream
        limit = self.max_body_size
        try:
            return multipart.parse_form_data(
                form_environ, ignore_errors=False, memory_limit=limit, disk_limit=limit)
        except multipart.ParserLimitReached as error:
            raise HTTPError(413, f"The form is too large: {error}") from None
        except multipart.MultipartError as error:
            raise HTTPError(400, f"The form could not be parsed: {error}") from None

    @property
    def url_root(self) -> str:
        """``scheme://host[:port]`` of this request."""
        scheme = self.environ.get("wsgi.url_scheme", "http")
        host = self.environ.get("HTTP_HOST") or self._server_host(scheme)
        return f"{scheme}://{host}"

    def _server_host(self, scheme: str) -> str:
        name, port = self.environ.get("SERVER_NAME", "localhost"), self.environ.get("SERVER_PORT")
        default_port = {"http": "80", "https": "443"}.get(scheme)
        return name if port in (None, default_port) else f"{name}:{port}"

    def url_for(self, name: str, **params: Any) -> str:
        """The app's ``url_for``, prefixed with where the app is mounted (SCRIPT_NAME)."""
        return self.script_name + self.app.url_for(name, **params)
