"""The App: a WSGI application that routes requests to decorated handlers."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable
from typing import Any, Callable, Optional

from .errors import HTTPError, html_error_page, json_error_body
from .request import DEFAULT_MAX_BODY_SIZE, Request
from .response import Response
from .routing import MethodNotAllowed, Router, takes_request

Handler = Callable[..., Any]
WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


def make_response(result: Any) -> Response:
    """Turn what a handler returned into a Response.

    str and bytes become HTML, dict and list become JSON, any other iterable is
    streamed as it is produced; a Response is used as it is.
    """
    if isinstance(result, Response):
        return result
    if isinstance(result, (str, bytes)):
        return Response(result)
    if isinstance(result, (dict, list)):
        return Response.json(result)
    if hasattr(result, "__iter__"):
        return Response(result)
    raise TypeError(f"a handler returned {type(result).__name__}, which is not a response")


class App:
    """A WSGI application.

    ``debug`` shows tracebacks on 500 pages; ``secret_key`` signs cookies;
    ``json_errors`` makes error pages JSON (for API apps); ``max_body_size``
    caps request bodies, uploads included.
    """

    def __init__(self, *, debug: bool = False, secret_key: Optional[str] = None,
                 json_errors: bool = False, max_body_size: int = DEFAULT_MAX_BODY_SIZE,
                 logger: Optional[logging.Logger] = None):
        self.debug = debug
        self.secret_key = secret_key
        self.json_errors = json_errors
        self.max_body_size = max_body_size
        self.logger = logger or logging.getLogger("miniframe")
        self.router = Router()
        self.error_handlers: dict[int, Handler] = {}
        self.before_hooks: list[Handler] = []
        self.after_hooks: list[Handler] = []
        self.mounts: list[tuple[str, WSGIApp]] = []

    def route(self, rule: str, methods: Iterable[str] = ("GET",),
              name: Optional[str] = None) -> Callable[[Handler], Handler]:
        """Register the decorated function for ``rule`` (see ``miniframe.routing``)."""
        def register(handler: Handler) -> Handler:
            self.router.add(rule, list(methods), handler, name or handler.__name__)
            return handler
        return register

    def error(self, status: int) -> Callable[[Handler], Handler]:
        """Register the decorated function to render errors with this status.

        It is called with the HTTPError (and ``request=`` if it names that parameter).
        """
        def register(handler: Handler) -> Handler:
            self.error_handlers[status] = handler
            return handler
        return register

    def before_request(self, hook: Handler) -> Handler:
        """``hook(request)`` runs before the handler; returning a response stops there."""
        self.before_hooks.append(hook)
        return hook

    def after_request(self, hook: Handler) -> Handler:
        """``hook(request, response)`` runs on every response and may return a new one."""
        self.after_hooks.append(hook)
        return hook

    def mount(self, prefix: str, app: WSGIApp) -> None:
        """Serve any WSGI ``app`` under ``prefix`` (it sees the prefix in SCRIPT_NAME)."""
        if not prefix.startswith("/") or prefix.endswith("/"):
            raise ValueError("a mount prefix starts with '/' and does not end with one")
        self.mounts.append((prefix, app))

    def url_for(self, name: str, **params: Any) -> str:
        """The path of the route called ``name`` (the handler's name by default),
        relative to this app; ``Request.url_for`` adds where the app is mounted."""
        return self.router.build(name, params)

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if self.mounts:
            mounted = self._mounted_app(environ)
            if mounted is not None:
                return mounted(environ, start_response)
        request = Request(environ, self, self.max_body_size)
        return self.handle(request)(environ, start_response)

    def _mounted_app(self, environ: dict[str, Any]) -> Optional[WSGIApp]:
        path = environ.get("PATH_INFO", "")
        for prefix, app in self.mounts:
            if path == prefix or path.startswith(prefix + "/"):
                environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
                environ["PATH_INFO"] = path[len(prefix):]
                return app
        return None

    def handle(self, request: Request) -> Response:
        """The Response for ``request``: hooks, handler and error pages included."""
        try:
            response = self._run_before_hooks(request) or self._dispatch(request)
        except HTTPError as error:
            response = self._error_response(request, error)
        except Exception:
            return self._crash_response(request)
        try:
            return self._run_after_hooks(request, response)
        except Exception:
            return self._crash_response(request)

    def _run_before_hooks(self, request: Request) -> Optional[Response]:
        for hook in self.before_hooks:
            result = hook(request)
            if result is not None:
                return make_response(result)
        return None

    def _run_after_hooks(self, request: Request, response: Response) -> Response:
        for hook in self.after_hooks:
            response = hook(request, response) or response
        return response

    def _dispatch(self, request: Request) -> Response:
        try:
            route, args, kwargs = self.router.match(request.method, request.path)
        except MethodNotAllowed as error:
            if request.method != "OPTIONS":
                raise
            return Response(b"", 204, headers=error.headers)
        return make_response(route.call(request, args, kwargs))

    def _error_response(self, request: Request, error: HTTPError) -> Response:
        handler = self.error_handlers.get(error.status)
        if handler is None:
            return self._default_error_page(request, error)
        try:
            response = make_response(_call_error_handler(handler, request, error))
        except Exception:
            self.logger.exception("error handler for %s failed", error.status)
            return self._default_error_page(request, error)
        if response.status == 200:
            response.status = error.status
        response.headers.extend(error.headers)  # e.g. the Allow of a 405
        return response

    def _default_error_page(self, request: Request, error: HTTPError,
                            traceback_text: Optional[str] = None) -> Response:
        if self.json_errors or _prefers_json(request):
            response = Response(json_error_body(error), error.status,
                                content_type="application/json")
        else:
            response = Response(html_error_page(error, traceback_text), error.status)
        response.headers.extend(error.headers)
        return response

    def _crash_response(self, request: Request) -> Response:
        self.logger.exception("unhandled exception in %s %s", request.method, request.path)
        error = HTTPError(500)
        if self.debug:
            return self._default_error_page(request, error, traceback.format_exc())
        return self._error_response(request, error)


def _call_error_handler(handler: Handler, request: Request, error: HTTPError) -> Any:
    if takes_request(handler):
        return handler(error, request=request)
    return handler(error)


def _prefers_json(request: Request) -> bool:
    accept = request.environ.get("HTTP_ACCEPT", "")
    return "application/json" in accept and "text/html" not in accept
