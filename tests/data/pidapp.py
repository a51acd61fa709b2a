"""Test app for --workers: answers with the worker's pid; /slow blocks, /die exits."""

import os
import time

if os.environ.get("PIDAPP_BOOTED"):  # each worker imports the app after fork: say so
    with open(os.environ["PIDAPP_BOOTED"], "a") as booted:
        booted.write(f"{os.getpid()}\n")


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/die":
        os._exit(3)
    if path == "/slow":
        time.sleep(0.3)
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
