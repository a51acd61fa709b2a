"""Test app for stopping and stuck calls: `/slow` takes a moment (and touches
$STARTED_FILE first), `/hang` never returns, anything else answers at once."""

import os
import threading
import time

NEVER = threading.Event()


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/slow":
        started = os.environ.get("STARTED_FILE")
        if started:
            open(started, "a").close()
        time.sleep(0.3)
    elif path == "/hang":
        NEVER.wait()
    body = f"{path} {os.getpid()}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
