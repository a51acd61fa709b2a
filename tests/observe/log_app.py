"""The app the logging tests serve, with gunicorn and with wsgiserver alike."""

import sys


def application(environ, start_response):
    path = environ["PATH_INFO"]
    body = environ["wsgi.input"].read() if environ["REQUEST_METHOD"] in ("POST", "PUT") else b""
    if path == "/print":
        print("printed by the app", flush=False)
        print("to stderr by the app", file=sys.stderr)
    if path == "/missing":
        start_response("404 Not Found", [("Content-Type", "text/plain"),
                                         ("Content-Length", "10")])
        return [b"not found\n"]
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain"), ("X-Resp", "streamed")])
        return iter([b"one ", b"two ", b"three\n"])
    reply = b"hello " + body + b"\n"
    start_response("200 OK", [("Content-Type", 'text/plain; name="x"'),
                              ("Content-Length", str(len(reply))),
                              ("X-Resp", "from-app"), ("X-Resp", "second")])
    return [reply]
