"""Server hooks for tests that name a hook as 'module:name'."""

import threading

READY: list = []


def record_ready(server) -> None:
    READY.append((server, threading.current_thread().name))
