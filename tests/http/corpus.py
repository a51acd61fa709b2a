"""Requests the server must refuse, and the status each one gets.

One corpus for two tests: `tests/http/test_parser.py` feeds every case to the
sans-IO `RequestParser`, and `tests/http/test_live_http.py` sends it to a real
server; both do it whole, one byte at a time and in random (seeded) pieces, and
expect the same status every way. `limits` are server settings
(`limit_request_*`, as `live_server` takes them); `parser_limits` turns them
into the parser's `Limits`.

The ways to cut a request into pieces live here too, so both tests split alike.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from wsgiserver.http.parser import Limits
from wsgiserver.settings import DEFAULTS


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    status: int
    limits: dict = field(default_factory=dict)

    def parser_limits(self) -> Limits:
        values = {name: self.limits.get(name, DEFAULTS[name])
                  for name in ("limit_request_line", "limit_request_fields",
                               "limit_request_field_size", "limit_request_body",
                               "limit_request_header_size")}
        return Limits(values["limit_request_line"], values["limit_request_fields"],
                      values["limit_request_field_size"], values["limit_request_body"],
                      values["limit_request_header_size"])


def split_whole(data: bytes) -> list[bytes]:
    return [data]


def split_bytes(data: bytes) -> list[bytes]:
    return [data[i:i + 1] for i in range(len(data))]


def split_random(data: bytes, seed: int = 1234) -> list[bytes]:
    rng = random.Random(seed)
    pieces, i = [], 0
    while i < len(data):
        step = rng.randint(1, 9)
        pieces.append(data[i:i + step])
        i += step
    return pieces


SPLITS = [split_whole, split_bytes, split_random]

POST = b"POST / HTTP/1.1\r\nHost: x\r\n"
CHUNKED = POST + b"Transfer-Encoding: chunked\r\n\r\n"

CASES = [
    # -- 400: request lines and versions --
    Case("bad-request-line-method", b"FOO@ / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    Case("bad-request-line-extra-word", b"GET / HTTP/1.1 x\r\nHost: x\r\n\r\n", 400),
    Case("bad-request-line-no-target", b"GET HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    Case("bad-request-line-no-version", b"GET /\r\nHost: x\r\n\r\n", 400),
    Case("bad-request-line-one-word", b"HELLO\r\n\r\n", 400),
    Case("bad-request-line-garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
         400),
    Case("http-0.9", b"GET / HTTP/0.9\r\n\r\n", 400),
    Case("http-0.9-simple-request", b"GET /\r\n\r\n", 400),
    Case("rtsp-version", b"GET / RTSP/1.0\r\nHost: x\r\n\r\n", 400),
    Case("ice-version", b"GET /a ICE/1.0\r\nHost: x\r\n\r\n", 400),
    Case("asterisk-with-get", b"GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    Case("asterisk-twice", b"OPTIONS ** HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    Case("asterisk-then-letter", b"OPTIONS *a HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    Case("two-spaces-before-target", b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    Case("two-spaces-before-version", b"GET /  HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    Case("method-not-a-token", b"GE(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    Case("ctl-in-target", b"GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    # -- 400: header fields --
    Case("space-before-colon", b"GET / HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n", 400),
    Case("space-before-colon-in-host", b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    Case("obs-fold", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400),
    Case("obs-fold-numeric", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n", 400),
    Case("obs-fold-tab", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n", 400),
    Case("duplicate-host", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    Case("duplicate-host-x-y", b"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400),
    Case("missing-host-http11", b"GET / HTTP/1.1\r\nX-A: b\r\n\r\n", 400),
    Case("missing-host-no-fields", b"GET / HTTP/1.1\r\n\r\n", 400),
    Case("space-in-host", b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
    Case("duplicate-content-type", POST + b"Content-Type: a/b\r\nContent-Type: c/d\r\n"
         b"Content-Length: 0\r\n\r\n", 400),
    Case("bare-lf-everywhere", b"GET / HTTP/1.1\nHost: x\n\n", 400),
    Case("bare-lf-header", b"GET / HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n", 400),
    Case("bare-cr-in-value", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 400),
    Case("bare-cr-in-host", b"GET / HTTP/1.1\r\nHost: x\rY\r\n\r\n", 400),
    Case("ctl-in-value", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n", 400),
    Case("ctl-in-host", b"GET / HTTP/1.1\r\nHost: x\x01\r\n\r\n", 400),
    Case("nul-in-value", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400),
    Case("del-in-value", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7fb\r\n\r\n", 400),
    Case("ctl-in-name", b"GET / HTTP/1.1\r\nHost: x\r\nX-\x01A: b\r\n\r\n", 400),
    Case("ctl-in-host-name", b"GET / HTTP/1.1\r\nHo\x01st: x\r\n\r\n", 400),
    Case("space-in-name", b"GET / HTTP/1.1\r\nHost: x\r\nX A: b\r\n\r\n", 400),
    # -- 400: body framing --
    Case("cl-and-te", POST + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"0\r\n\r\n", 400),
    Case("cl-and-te-shorter", POST + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"0\r\n\r\n", 400),
    Case("te-and-cl", POST + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
         b"0\r\n\r\n", 400),
    Case("duplicate-cl-conflicting", POST + b"Content-Length: 1\r\nContent-Length: 2\r\n\r\nab",
         400),
    Case("duplicate-cl-equal", POST + b"Content-Length: 2\r\nContent-Length: 2\r\n\r\nab", 400),
    Case("duplicate-cl-equal-3", POST + b"Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
         400),
    Case("cl-list", POST + b"Content-Length: 2, 2\r\n\r\nab", 400),
    Case("cl-list-3", POST + b"Content-Length: 3, 3\r\n\r\nabc", 400),
    Case("cl-plus", POST + b"Content-Length: +2\r\n\r\nab", 400),
    Case("cl-plus-3", POST + b"Content-Length: +3\r\n\r\nabc", 400),
    Case("cl-negative", POST + b"Content-Length: -2\r\n\r\nab", 400),
    Case("cl-hex", POST + b"Content-Length: 0x2\r\n\r\nab", 400),
    Case("cl-letters", POST + b"Content-Length: 2a\r\n\r\nab", 400),
    Case("cl-empty", POST + b"Content-Length: \r\n\r\n", 400),
    Case("te-on-http10", b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    Case("te-chunked-not-last", POST + b"Transfer-Encoding: chunked, gzip\r\n\r\n", 400),
    Case("te-chunked-twice", POST + b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
         400),
    # -- 400: chunked bodies --
    Case("bad-chunk-size", CHUNKED + b"zz\r\nhello\r\n0\r\n\r\n", 400),
    Case("bad-chunk-size-short-data", CHUNKED + b"zz\r\nabc\r\n0\r\n\r\n", 400),
    Case("chunk-size-too-short-data", CHUNKED + b"3\r\nhello\r\n0\r\n\r\n", 400),
    Case("chunk-size-bare-lf", CHUNKED + b"5\nhello\r\n0\r\n\r\n", 400),
    Case("chunk-lines-bare-lf", CHUNKED + b"3\nabc\n0\n\n", 400),
    Case("chunk-ext-bad", CHUNKED + b"5;\x01\r\nhello\r\n0\r\n\r\n", 400),
    Case("chunk-ext-bad-short-data", CHUNKED + b"3;\x01\r\nabc\r\n0\r\n\r\n", 400),
    # -- 400: trailer fields that frame, route or describe content --
    Case("trailer-host", CHUNKED + b"3\r\nabc\r\n0\r\nHost: evil\r\n\r\n", 400),
    Case("trailer-host-lowercase", CHUNKED + b"3\r\nabc\r\n0\r\nhost: x\r\n\r\n", 400),
    Case("trailer-content-type", CHUNKED + b"3\r\nabc\r\n0\r\nContent-Type: text/html\r\n\r\n",
         400),
    Case("trailer-expect", CHUNKED + b"3\r\nabc\r\n0\r\nExpect: 100-continue\r\n\r\n", 400),
    Case("trailer-content-length", CHUNKED + b"3\r\nabc\r\n0\r\nContent-Length: 5\r\n\r\n",
         400),
    Case("trailer-transfer-encoding",
         CHUNKED + b"3\r\nabc\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    # -- other statuses --
    Case("unknown-te", POST + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
    Case("unknown-te-no-body", POST + b"Transfer-Encoding: gzip, chunked\r\n\r\n", 501),
    Case("unregistered-te-alone", POST + b"Transfer-Encoding: foo\r\n\r\n", 501),
    # chunked not last: llhttp refuses it as it reads the field, 400 (RFC 9112 §6.3's MUST)
    Case("unregistered-te-after-chunked", POST + b"Transfer-Encoding: chunked, foo\r\n\r\n",
         400),
    Case("gzip-te-alone", POST + b"Transfer-Encoding: gzip\r\n\r\n", 400),
    Case("unknown-method", b"FOOBAR / HTTP/1.1\r\nHost: x\r\n\r\n", 501),
    Case("unknown-method-known-prefix", b"GETX / HTTP/1.1\r\nHost: x\r\n\r\n", 501),
    Case("lowercase-method", b"get / HTTP/1.1\r\nHost: x\r\n\r\n", 501),
    Case("http-2.0", b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    Case("http-3.0", b"GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505),
    Case("expect-foo", b"GET / HTTP/1.1\r\nHost: x\r\nExpect: foo\r\n\r\n", 417),
    # -- over the limits: the defaults, then limits set lower --
    Case("long-target", b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    Case("long-asterisk-target", b"OPTIONS " + b"*" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
         414),
    Case("long-asterisk-target-bad-byte",
         b"OPTIONS " + b"*" * 70000 + b"\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    Case("long-target-bad-byte", b"GET /" + b"a" * 5000 + b"\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
         414),
    Case("header-section-too-large", b"GET / HTTP/1.1\r\nHost: x\r\n"
         + b"".join(b"X-H%02d: %s\r\n" % (i, b"v" * 800) for i in range(99)) + b"\r\n", 431),
    Case("header-section-too-large-bad-byte", b"GET / HTTP/1.1\r\nHost: x\r\n"
         + b"".join(b"X-H%02d: %s\r\n" % (i, b"v" * 800) for i in range(99)) + b"X\x01\r\n\r\n",
         431),
    Case("trailer-section-too-large", CHUNKED + b"3\r\nabc\r\n0\r\n"
         + b"".join(b"X-T%02d: %s\r\n" % (i, b"v" * 800) for i in range(60)) + b"\r\n", 431),
    Case("chunk-extension-too-long", CHUNKED + b"5;a=" + b"b" * 5000 + b"\r\nhello\r\n0\r\n\r\n",
         400),
    Case("chunk-extension-too-long-on-last-chunk",
         CHUNKED + b"0;" + b"a" * 4096 + b"=b\r\n\r\n", 400),
    Case("too-many-headers", b"GET / HTTP/1.1\r\nHost: x\r\n"
         + b"".join(b"X-H%d: v\r\n" % i for i in range(150)) + b"\r\n", 431),
    Case("header-too-large", b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * 9000
         + b"\r\n\r\n", 431),
    Case("header-name-too-large", b"GET / HTTP/1.1\r\nHost: x\r\nX-" + b"n" * 9000
         + b": v\r\n\r\n", 431),
    # A bad byte right after a field over a limit: httptools reports the field
    # when the next one starts, so 431 fed byte by byte; the scanner cuts there
    # so it is 431 fed whole too (was 400).
    Case("header-too-large-then-bad-token", b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: "
         + b"h" * 9000 + b"\r\ne/b\r\n\r\n", 431),
    Case("fields-over-set-limit-then-bad-token", b"GET / HTTP/1.1\r\n"
         + b"".join(b"X-%d: v\r\n" % i for i in range(7)) + b"e/b\r\n\r\n", 431,
         {"limit_request_fields": 6}),
    Case("body-too-large", POST + b"Content-Length: 104857601\r\n\r\n", 413),
    Case("target-over-set-limit", b"GET /" + b"a" * 100 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414,
         {"limit_request_line": 50}),
    Case("fields-over-set-limit", b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: 1\r\n" * 5 + b"\r\n",
         431, {"limit_request_fields": 5}),
    Case("field-over-set-size", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: " + b"v" * 100
         + b"\r\n\r\n", 431, {"limit_request_field_size": 50}),
    Case("head-over-set-header-size", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: " + b"v" * 60
         + b"\r\nX-B: " + b"v" * 60 + b"\r\n\r\n", 431, {"limit_request_header_size": 100}),
    Case("chunked-body-over-set-limit", CHUNKED + b"8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n",
         413, {"limit_request_body": 10}),
    Case("chunked-body-over-set-limit-1000",
         b"POST / HTTP/1.1\r\nHost: test.local\r\nTransfer-Encoding: chunked\r\n\r\n"
         + b"258\r\n" + b"x" * 600 + b"\r\n258\r\n" + b"y" * 600 + b"\r\n0\r\n\r\n",
         413, {"limit_request_body": 1000}),
]

BY_NAME = {case.name: case for case in CASES}
assert len(BY_NAME) == len(CASES), "case names must be unique"
assert len({case.data for case in CASES}) == len(CASES), "every case is its own input"
