"""The app both servers run in the parity suite.

    /__parity__/calls   how many requests reached the app so far (not counted itself)
    /misbehave/NAME     apps/misbehave.py: an app that breaks PEP 3333 on purpose
    anything else       apps/echo.py: what the app saw, as JSON

`make_app(strict=True)` is what wsgiserver runs: the echo app sits behind
`wsgiref.validate.validator` and WebTest's `lint` middleware, and every
assertion or warning they raise about the server is recorded in
`VIOLATIONS`, which the suite checks after each case. gunicorn runs
`application` (strict=False): it is the reference, not the server under test.
"""

from __future__ import annotations

import threading
from wsgiref.validate import validator

from webtest.lint import middleware as lint

from apps import echo, misbehave

CALLS_PATH = "/__parity__/calls"
VIOLATIONS: list[str] = []
_lock = threading.Lock()
_calls = [0]


def calls() -> int:
    with _lock:
        return _calls[0]


class SizedReads:
    """wsgi.input whose read() without a size is done as sized reads.

    apps/echo.py reads to the end with read(), which wsgi.input_terminated
    allows; wsgiref.validate only accepts read(size), so this adapter sits
    between the validator and the echo app.
    """

    def __init__(self, stream) -> None:
        self.stream = stream

    def read(self, size: int = -1) -> bytes:
        if size is not None and size >= 0:
            return self.stream.read(size)
        parts = []
        for _ in range(1 << 20):
            data = self.stream.read(65536)
            if not data:
                break
            parts.append(data)
        return b"".join(parts)

    def __getattr__(self, name):
        return getattr(self.stream, name)


def sized_reads(app):
    def wrapped(environ, start_response):
        environ["wsgi.input"] = SizedReads(environ["wsgi.input"])
        return app(environ, start_response)

    return wrapped


class Guarded:
    """The validated app's iterable: records validator errors raised while the server iterates
    or closes it, and whether the server closed it at all (PEP 3333 requires it)."""

    def __init__(self, result, target: str) -> None:
        self.result = result
        self.target = target
        self.closed = False

    def __iter__(self):
        try:
            yield from self.result
        except (AssertionError, Warning) as error:
            _record(self.target, error)
            raise

    def close(self) -> None:
        self.closed = True
        try:
            close = getattr(self.result, "close", None)
            if close is not None:
                close()
        except (AssertionError, Warning) as error:
            _record(self.target, error)
            raise

    def __del__(self) -> None:
        if not self.closed:
            _record(self.target, AssertionError("the server never called close() on the "
                                                "app's iterable"))


def _record(target: str, error: BaseException) -> None:
    VIOLATIONS.append(f"{target}: {type(error).__name__}: {error}")


def make_app(strict: bool):
    checked_echo = validator(lint(sized_reads(echo.application))) if strict else None

    def application(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == CALLS_PATH:
            body = str(calls()).encode()
            start_response("200 OK", [("Content-Type", "text/plain"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        with _lock:
            _calls[0] += 1
        if path.startswith("/misbehave/"):
            return misbehave.application(environ, start_response)
        if checked_echo is None or environ.get("RAW_URI") == "*":
            # Asterisk-form (OPTIONS *): both checkers insist that PATH_INFO start
            # with "/", which PEP 3333 does not ask and "*" cannot do.
            return echo.application(environ, start_response)
        target = environ.get("RAW_URI", path)
        try:
            return Guarded(checked_echo(environ, start_response), target)
        except (AssertionError, Warning) as error:
            _record(target, error)
            raise

    return application


application = make_app(strict=False)
