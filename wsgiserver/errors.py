"""Protocol errors, each a small class that carries the HTTP status it maps to."""

from __future__ import annotations

from http import HTTPStatus


class HTTPError(Exception):
    """A request the server refuses; the connection is closed after the answer."""

    status: HTTPStatus = HTTPStatus.BAD_REQUEST

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason or self.status.phrase)
        self.reason = reason or self.status.phrase


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


class VersionNotSupported(HTTPError):
    status = HTTPStatus.HTTP_VERSION_NOT_SUPPORTED


class RequestTimeout(HTTPError):
    status = HTTPStatus.REQUEST_TIMEOUT


class ConfigError(Exception):
    """A person's mistake in options or arguments: reported as one line, no traceback."""
