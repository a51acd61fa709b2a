"""Limits on what one request or one client may take."""

from __future__ import annotations

from .base import LIMITS, Setting
from .validators import address_list, non_negative_int

SETTINGS = (
    Setting("limit_request_line", LIMITS, ("--limit-request-line",), non_negative_int, 4094,
            "longest request target in bytes (0 = unlimited); longer gives 414", "BYTES"),
    Setting("limit_request_fields", LIMITS, ("--limit-request-fields",), non_negative_int, 100,
            "most header fields in a request; more gives 431", "N"),
    Setting("limit_request_field_size", LIMITS,
            ("--limit-request-field_size", "--limit-request-field-size"),
            non_negative_int, 8190,
            "largest header field (name and value) in bytes (0 = unlimited); larger "
            "gives 431", "BYTES"),
    Setting("limit_request_header_size", LIMITS, ("--limit-request-header-size",),
            non_negative_int, 32 * 1024,
            "largest request head (request line and all header fields) in bytes (0 = only "
            "the per-field limits); larger gives 431 (nginx's large_client_header_buffers)",
            "BYTES"),
    Setting("limit_per_client", LIMITS, ("--limit-per-client",), non_negative_int, 128,
            "open connections one client address may hold, per worker process (0 = no "
            "cap); over it a new connection is closed at once. 128 is some 20 browsers' "
            "worth (about 6 per host each), for an office behind one NAT address, far "
            "below the 3,000 one attacker opened. Addresses in --forwarded-allow-ips "
            "and unix-socket peers are exempt, so a proxy in front is never capped "
            "('*' there turns the cap off)", "N"),
    Setting("limit_request_body", LIMITS, ("--limit-request-body",), non_negative_int,
            100 * 2**20,
            "largest request body in bytes (0 = unlimited); larger gives 413", "BYTES"),
    Setting("forwarded_allow_ips", LIMITS, ("--forwarded-allow-ips",), address_list,
            "127.0.0.1,::1",
            "comma-separated proxy addresses trusted to set the scheme with "
            "X-Forwarded-Proto / X-Forwarded-Protocol / X-Forwarded-SSL ('*' trusts all)",
            "ADDRESSES"),
)
