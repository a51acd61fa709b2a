"""The per-request hooks, `pre_request(worker, req)` and `post_request(worker, req,
environ, resp)`: gunicorn's names and arguments. The server installs them only when
set, so a request without hooks pays nothing."""

from __future__ import annotations

from typing import Any, Callable

from .task import AppTask


class HookResponse:
    """What `post_request` gets as `resp`: gunicorn's Response attributes."""

    __slots__ = ("status", "status_code", "headers", "sent")

    def __init__(self, task: AppTask) -> None:
        self.status_code = task.status_code
        self.status = task.status or str(self.status_code)
        self.headers = list(task.headers)
        self.sent = task.body_sent


def app_after_pre_request(app: Callable, run_hook: Callable[..., None], worker: Any,
                          request: Any) -> Callable:
    """`app`, with the pre_request hook run first, in the same (app) thread."""
    def call(environ: dict, start_response: Callable) -> Any:
        run_hook("pre_request", worker, request)
        return app(environ, start_response)
    return call
