"""The RFC 9112 framing rules llhttp leaves to us: version, target form, Host,
Transfer-Encoding, Content-Length and Expect. Each check raises the HTTPError
whose status the client gets."""

from __future__ import annotations

import re

from .. import errors
from .request import Request

# Only these headers change how a request is framed or checked; the parser
# collects their values as it goes.
FRAMING_HEADERS = frozenset(("host", "transfer-encoding", "content-length", "expect",
                             "content-type"))
# uri-host [":" port] (RFC 3986 §3.2.2): IP literal or reg-name, no spaces.
_VALID_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(:[0-9]*)?")
# The IANA registry's transfer codings (RFC 9110 §18.4), "x-" aliases included.
_REGISTERED_CODINGS = frozenset(("chunked", "compress", "deflate", "gzip", "identity",
                                 "trailers", "x-compress", "x-gzip"))
_valid_hosts: set[str] = set()  # Host values already checked: the same few repeat


def check_asterisk(method: str, target: bytes = b"*") -> None:
    """A target starting with '*': asterisk-form is exactly "*", and for OPTIONS only."""
    if target != b"*":
        raise errors.BadRequest("a target starting with '*' must be exactly '*' (RFC 9112 §3.2.4)")
    if method != "OPTIONS":
        raise errors.BadRequest("'*' is only a target for OPTIONS (RFC 9112 §3.2.4)")


def check_version(version: str) -> None:
    """Refuse the versions other than 1.0 and 1.1 that llhttp (leniently) accepts."""
    major = version[0]
    if major == "0":
        raise errors.BadRequest("HTTP/0.9 requests are not supported")
    if major != "1":
        raise errors.VersionNotSupported(f"HTTP/{version} is not supported")


def apply_framing_headers(request: Request, values: dict[str, list[str]],
                          body_limit: int) -> None:
    """Apply the RFC 9112 rules on Host, Transfer-Encoding, Content-Length and Expect."""
    check_host(request, values.get("host", []))
    if len(values.get("content-type", ())) > 1:
        raise errors.BadRequest("more than one Content-Type (RFC 9110 §5.3)")
    _check_transfer_encoding(request, values.get("transfer-encoding", []))
    lengths = values.get("content-length", [])
    if lengths:
        request.content_length = int(lengths[0])
        if body_limit and request.content_length > body_limit:
            raise errors.PayloadTooLarge(f"request body over {body_limit} bytes")
    _check_expect(request, values.get("expect", []))


def check_host(request: Request, hosts: list[str]) -> None:
    if len(hosts) > 1:
        raise errors.BadRequest("more than one Host header")
    if not hosts and request.version != "HTTP/1.0":
        raise errors.BadRequest("HTTP/1.1 request without Host header")
    if hosts and hosts[0] not in _valid_hosts:
        if not _VALID_HOST.fullmatch(hosts[0]):
            raise errors.BadRequest("invalid Host header (RFC 9112 §3.2)")
        if len(_valid_hosts) > 1024:
            _valid_hosts.clear()  # bounded: a flood of new names can't grow it
        _valid_hosts.add(hosts[0])
    request.host = hosts[0] if hosts else None


def _check_transfer_encoding(request: Request, values: list[str]) -> None:
    if not values:
        return
    if request.version == "HTTP/1.0":
        raise errors.BadRequest("Transfer-Encoding is not allowed in HTTP/1.0")
    codings = [c.strip().lower() for v in values for c in v.split(",")]
    # As gunicorn: a coding nobody registered is 501 wherever it stands (RFC
    # 9112 §6.1); then a request whose codings do not end with one chunked has
    # no knowable length, 400 (§6.3); registered codings under chunked we do
    # not decode, 501 again.
    unknown = [c for c in codings if c not in _REGISTERED_CODINGS]
    if unknown:
        raise errors.NotImplementedCoding(f"transfer coding {unknown[0]!r} not implemented")
    if codings[-1] != "chunked" or codings.count("chunked") != 1:
        raise errors.BadRequest("chunked must be the final transfer coding, once")
    if len(codings) > 1:
        raise errors.NotImplementedCoding(f"transfer coding {codings[0]!r} not implemented")
    request.chunked = True


def _check_expect(request: Request, values: list[str]) -> None:
    if not values or request.version == "HTTP/1.0":
        return  # RFC 9110 §10.1.1: HTTP/1.0 requests' expectations are ignored
    if len(values) > 1 or values[0].lower() != "100-continue":
        raise errors.ExpectationFailed(f"unsupported expectation {values[0]!r}")
    request.expect_continue = True
