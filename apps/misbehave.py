"""WSGI apps that break PEP 3333 in each documented way, one per path.

The parity suite (tests/parity) serves these behind gunicorn and behind
wsgiserver and compares what a client sees: the status, the framing, the
body, and whether the connection survives. `application` picks the app from
the last segment of PATH_INFO, so `GET /misbehave/start-twice` runs
`start_twice`. Every app is deliberately wrong; none is an example to copy.
"""

import sys

OK_HEADERS = [("Content-Type", "text/plain")]


class Boom(Exception):
    """The error these apps raise on purpose."""


def exception_before_start(environ, start_response):
    raise Boom("before start_response")


def exception_after_start(environ, start_response):
    start_response("200 OK", OK_HEADERS)
    raise Boom("after start_response, before any body")


def generator_raises_midway(environ, start_response):
    start_response("200 OK", OK_HEADERS)

    def body():
        yield b"first part\n"
        raise Boom("in the middle of the body")

    return body()


def generator_raises_midway_with_length(environ, start_response):
    start_response("200 OK", OK_HEADERS + [("Content-Length", "22")])

    def body():
        yield b"first part\n"
        raise Boom("in the middle of the body")

    return body()


def generator_raises_first(environ, start_response):
    start_response("200 OK", OK_HEADERS)

    def body():
        raise Boom("before the first chunk")
        yield b"never"  # noqa: B901 - makes this a generator

    return body()


def start_twice(environ, start_response):
    start_response("200 OK", OK_HEADERS)
    start_response("201 Created", OK_HEADERS)
    return [b"second start_response won\n"]


def no_start_response(environ, start_response):
    return [b"start_response was never called\n"]


def str_body(environ, start_response):
    start_response("200 OK", OK_HEADERS)
    return ["a str, not bytes\n"]


def str_in_generator(environ, start_response):
    start_response("200 OK", OK_HEADERS)

    def body():
        yield b"bytes first\n"
        yield "then a str\n"

    return body()


def none_body(environ, start_response):
    start_response("200 OK", OK_HEADERS)
    return None


def content_length_too_short(environ, start_response):
    start_response("200 OK", OK_HEADERS + [("Content-Length", "5")])
    return [b"0123456789"]


def content_length_too_long(environ, start_response):
    start_response("200 OK", OK_HEADERS + [("Content-Length", "100")])
    return [b"0123456789"]


def content_length_too_long_generator(environ, start_response):
    start_response("200 OK", OK_HEADERS + [("Content-Length", "100")])

    def body():
        yield b"01234"
        yield b"56789"

    return body()


def content_length_invalid(environ, start_response):
    start_response("200 OK", OK_HEADERS + [("Content-Length", "ten")])
    return [b"0123456789"]


def write_callable(environ, start_response):
    write = start_response("200 OK", OK_HEADERS)
    write(b"written, ")
    write(b"then ")
    return [b"returned\n"]


def write_with_length(environ, start_response):
    write = start_response("200 OK", OK_HEADERS + [("Content-Length", "15")])
    write(b"written, ")
    return [b"rest\n\n"]


def exc_info_before_headers(environ, start_response):
    start_response("200 OK", OK_HEADERS)
    try:
        raise Boom("app error, caught")
    except Boom:
        start_response("500 App Error", [("Content-Type", "text/plain"), ("X-App", "yes")],
                       sys.exc_info())
    return [b"the app's own error page\n"]


def exc_info_after_headers(environ, start_response):
    write = start_response("200 OK", OK_HEADERS)
    write(b"headers are out\n")
    try:
        raise Boom("too late for another status")
    except Boom:
        # PEP 3333: start_response must re-raise now, and the app lets it propagate.
        start_response("500 App Error", [("Content-Type", "text/plain")], sys.exc_info())
    return [b"unreachable\n"]


def exc_info_without_error(environ, start_response):
    start_response("200 OK", OK_HEADERS, None)
    return [b"exc_info=None is the ordinary call\n"]


def bad_status(environ, start_response):
    start_response("OK", OK_HEADERS)
    return [b"no status code\n"]


def header_with_newline(environ, start_response):
    start_response("200 OK", OK_HEADERS + [("X-Split", "a\r\nInjected: yes")])
    return [b"header splitting\n"]


def header_name_with_space(environ, start_response):
    start_response("200 OK", OK_HEADERS + [("Bad Name", "x")])
    return [b"bad header name\n"]


def hop_by_hop_header(environ, start_response):
    start_response("200 OK", OK_HEADERS + [("Transfer-Encoding", "chunked")])
    return [b"app tried to set Transfer-Encoding\n"]


def connection_close_header(environ, start_response):
    start_response("200 OK", OK_HEADERS + [("Connection", "close")])
    return [b"app asked to close\n"]


def body_on_204(environ, start_response):
    start_response("204 No Content", [])
    return [b"a 204 cannot have this body"]


def body_on_304(environ, start_response):
    start_response("304 Not Modified", [("ETag", '"x"')])
    return [b"a 304 cannot have this body"]


def close_raises(environ, start_response):
    start_response("200 OK", OK_HEADERS)
    return _ClosingBody([b"body is fine, close() raises\n"])


def empty_generator(environ, start_response):
    start_response("200 OK", OK_HEADERS)
    return iter(())


def empty_strings_then_body(environ, start_response):
    start_response("200 OK", OK_HEADERS)

    def body():
        yield b""
        yield b""
        yield b"after two empty chunks\n"

    return body()


def set_cookie_order(environ, start_response):
    start_response("200 OK", OK_HEADERS + [
        ("Set-Cookie", "b=2; Path=/"), ("Set-Cookie", "a=1; Path=/"),
        ("Set-Cookie", "c=3; HttpOnly"), ("Location", "/elsewhere"), ("X-App", "yes")])
    return [b"cookies\n"]


def redirect(environ, start_response):
    start_response("302 Found", [("Location", "http://example.com/next?x=1"),
                                 ("Content-Type", "text/plain")])
    return [b"moved\n"]


class _ClosingBody:
    def __init__(self, parts):
        self.parts = parts

    def __iter__(self):
        return iter(self.parts)

    def close(self):
        raise Boom("close() failed")


APPS = {name.replace("_", "-"): app for name, app in dict(globals()).items()
        if callable(app) and not name.startswith("_") and name not in ("Boom", "application")}


def application(environ, start_response):
    name = environ.get("PATH_INFO", "").rstrip("/").rsplit("/", 1)[-1]
    app = APPS.get(name)
    if app is None:
        body = f"unknown misbehaviour {name!r}; known: {', '.join(sorted(APPS))}\n"
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [body.encode()]
    return app(environ, start_response)
