"""Worker processes, threads and the timeouts of a connection."""

from __future__ import annotations

from .base import PROCESSES, Setting
from .validators import boolean, non_negative_int

SETTINGS = (
    Setting("workers", PROCESSES, ("-w", "--workers"), non_negative_int, 1,
            "worker processes, each with its own event loop and threads "
            "(pre-fork; use about one per CPU core)", "N"),
    Setting("threads", PROCESSES, ("--threads",), non_negative_int, 4,
            "threads that run the WSGI app; 0 runs it on the event-loop thread "
            "(only for apps that never block)", "N"),
    Setting("keepalive", PROCESSES, ("--keep-alive",), non_negative_int, 5,
            "seconds an idle keep-alive connection is kept open, waiting for the first byte "
            "of its next request", "SECONDS"),
    Setting("read_timeout", PROCESSES, ("--read-timeout",), non_negative_int, 60,
            "seconds without progress: a started request that sends no byte at all for this "
            "long gets 408 and close, and a client that reads none of its response for this "
            "long is closed (restarts on every byte; --header-timeout and --min-body-rate "
            "stop clients that dribble)", "SECONDS"),
    Setting("header_timeout", PROCESSES, ("--header-timeout",), non_negative_int, 10,
            "seconds a request head may take from its first byte (blank lines before it "
            "count) to its blank line, however the client dribbles it, before 408 and close; "
            "each request on a kept-alive connection from its own first byte (nginx's "
            "client_header_timeout; 0 = no deadline)", "SECONDS"),
    Setting("min_body_rate", PROCESSES, ("--min-body-rate",), non_negative_int, 240,
            "bytes per second a request body (Content-Length or chunked) must average from "
            "its start, checked once the grace period is over, or 408 and close; a body "
            "streamed to the app (Expect: 100-continue) makes its wsgi.input read raise "
            "instead, and counts from the app's first read; time the server is not "
            "reading does not count (Kestrel's minimum data rate; 0 = no minimum)", "BYTES"),
    Setting("min_body_rate_grace", PROCESSES, ("--min-body-rate-grace",), non_negative_int, 5,
            "seconds from the start of a request body before --min-body-rate is checked "
            "(TCP slow start, a client waiting for 100 Continue)",
            "SECONDS"),
    Setting("graceful_timeout", PROCESSES, ("--graceful-timeout",), non_negative_int, 30,
            "seconds in-flight requests get to finish after SIGTERM or Ctrl-C", "SECONDS"),
    Setting("timeout", PROCESSES, ("-t", "--timeout"), non_negative_int, 30,
            "watchdog: a worker whose event loop is silent this long is killed (SIGABRT, "
            "then SIGKILL) and replaced, a worker that has not booted (loaded its app) "
            "this long after fork is killed as a boot failure, and an app call running "
            "this long gets 504 and its thread's stack logged (0 = off)", "SECONDS"),
    Setting("max_requests", PROCESSES, ("--max-requests",), non_negative_int, 0,
            "a worker is replaced after serving this many requests, its replacement "
            "started first (0 = never; against memory leaks)", "N"),
    Setting("max_requests_jitter", PROCESSES, ("--max-requests-jitter",), non_negative_int,
            0, "each worker's --max-requests is raised by a random 0..J, so workers do "
            "not all restart at once", "J"),
    Setting("worker_connections", PROCESSES, ("--worker-connections",), non_negative_int,
            1000, "open connections per worker: at this many it stops accepting, and "
            "resumes below it (0 = no cap)", "N"),
    Setting("preload_app", PROCESSES, ("--preload",), boolean, False,
            "import the app once in the master before forking the workers (faster "
            "start, shared memory; HUP then cannot reload the app's code)", flag=True),
)
