"""Every exception class of the server, in one place.

Protocol errors are small classes that carry the HTTP status they map to;
the rest say why a connection, a body or a loop ended.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Optional


class HTTPError(Exception):
    """A request the server refuses; the connection is closed after the answer."""

    status: HTTPStatus = HTTPStatus.BAD_REQUEST

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason or self.status.phrase)
        self.reason = reason or self.status.phrase
        self.request: Any = None  # what was read of the refused request (http.Request), if any


class BadRequest(HTTPError):
    status = HTTPStatus.BAD_REQUEST


class URITooLong(HTTPError):
    status = HTTPStatus.REQUEST_URI_TOO_LONG


class HeaderFieldsTooLarge(HTTPError):
    status = HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE


class PayloadTooLarge(HTTPError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


class ExpectationFailed(HTTPError):
    status = HTTPStatus.EXPECTATION_FAILED


class NotImplementedCoding(HTTPError):
    status = HTTPStatus.NOT_IMPLEMENTED


class MethodNotImplemented(HTTPError):
    status = HTTPStatus.NOT_IMPLEMENTED


class VersionNotSupported(HTTPError):
    status = HTTPStatus.HTTP_VERSION_NOT_SUPPORTED


class RequestTimeout(HTTPError):
    status = HTTPStatus.REQUEST_TIMEOUT


class ConfigError(Exception):
    """A person's mistake in options or arguments: reported as one line, no traceback."""


class ConnectionLost(Exception):
    """The client went away; there is nobody left to answer."""


class BodyAborted(Exception):
    """The request body will never arrive whole (client gone, too slow, over the limit).

    `error` is the protocol error (with its HTTP status) when there is one.
    """

    def __init__(self, message: str = "", error: Optional[Exception] = None) -> None:
        super().__init__(message)
        self.error = error


class StopParsing(Exception):
    """Raised from a parser callback to stop llhttp after a request that closes the connection."""


class StopSupervising(Exception):
    """Raised from the master's signal handler to leave its supervision loop."""


class BadTransition(RuntimeError):
    """A connection state change net/state.py does not allow: our bug, never the client's."""
