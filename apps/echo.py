"""Echo what the server put in the environ, and the body it read, as JSON.

Used by the parity suite to compare what an application sees behind
wsgiserver and behind gunicorn. Only the string-valued CGI/HTTP keys and a
few wsgi.* values are reported, because the rest are server objects.
"""

import base64
import json

_WSGI_KEYS = ("wsgi.url_scheme", "wsgi.input_terminated", "wsgi.multithread",
              "wsgi.multiprocess", "wsgi.run_once", "wsgi.version")


def _visible_environ(environ):
    seen = {k: v for k, v in environ.items() if isinstance(v, str) and "." not in k}
    for key in _WSGI_KEYS:
        if key in environ:
            value = environ[key]
            seen[key] = list(value) if isinstance(value, tuple) else value
    return seen


def _read_body(environ):
    stream = environ["wsgi.input"]
    if environ.get("wsgi.input_terminated"):
        return stream.read()
    length = environ.get("CONTENT_LENGTH") or "0"
    return stream.read(int(length)) if length.isdigit() else b""


def application(environ, start_response):
    body = _read_body(environ)
    report = {
        "environ": _visible_environ(environ),
        "body_b64": base64.b64encode(body).decode("ascii"),
        "body_length": len(body),
    }
    payload = json.dumps(report, sort_keys=True).encode("utf-8")
    start_response("200 OK", [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(payload))),
        ("X-Echo", "1"),
    ])
    return [payload]
