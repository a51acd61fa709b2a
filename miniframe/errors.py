"""HTTP errors that handlers raise, and the default pages that show them."""

from __future__ import annotations

import html
import json
from http import HTTPStatus
from typing import Any, NoReturn, Optional


def status_line(code: int) -> str:
    """Return the PEP 3333 status string, e.g. ``"404 Not Found"``."""
    return f"{code} {_phrase(code)}"


class HTTPError(Exception):
    """An error response: raise it from a handler or a hook to stop there.

    ``detail`` is extra JSON-friendly data (e.g. validation errors by field)
    shown by JSON error pages; ``headers`` are sent with the error response.
    """

    def __init__(self, status: int = 500, description: Optional[str] = None,
                 detail: Any = None, headers: Optional[list[tuple[str, str]]] = None):
        self.status = int(status)
        self.description = description or _phrase(self.status)
        self.detail = detail
        self.headers = list(headers or [])
        super().__init__(self.status, self.description)


def abort(status: int, description: Optional[str] = None, detail: Any = None) -> NoReturn:
    """Stop the current request with an error response."""
    raise HTTPError(status, description, detail)


def _phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Error"


def html_error_page(error: HTTPError, traceback_text: Optional[str] = None) -> str:
    """A small HTML page for ``error``; the traceback only appears when given."""
    title = html.escape(status_line(error.status))
    parts = [
        "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">",
        f"<title>{title}</title></head>\n<body>\n<h1>{title}</h1>",
        f"<p>{html.escape(error.description)}</p>",
    ]
    if traceback_text:
        parts.append(f"<pre>{html.escape(traceback_text)}</pre>")
    parts.append("</body>\n</html>\n")
    return "\n".join(parts)


def json_error_body(error: HTTPError) -> str:
    """The JSON body for ``error``: ``{"error": ..., "status": ..., "detail": ...}``."""
    body: dict[str, Any] = {"error": error.description, "status": error.status}
    if error.detail is not None:
        body["detail"] = error.detail
    return json.dumps(body)
