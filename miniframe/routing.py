"""URL rules and the router that maps (method, path) to a handler.

Three kinds of rule:

* static, ``/about`` - looked up in a dict;
* typed, ``/stocks/<code:int>`` - placeholders ``<name>`` or ``<name:type>``
  with type ``str`` (default, one segment), ``int``, ``float`` or ``path``;
* raw regular expression, ``r"/add/(\\d+)\\.html"`` - the tutorial style; groups
  become positional arguments, named groups keyword arguments.

A rule containing any of ``\\ ^ $ * + ? ( ) [ ] { } |`` is a regular expression
(so ``(?P<name>...)`` is a named group, not a placeholder); otherwise a ``.`` is
literal, so that ``/index.html`` stays static.
Every dynamic rule must match the whole path (``fullmatch``).
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple, Optional
from urllib.parse import quote, urlencode

from .errors import HTTPError

_PLACEHOLDER = re.compile(r"<(\w+)(?::(\w+))?>")
_REGEX_CHARS = frozenset("\\^$*+?()[]{}|")


class Converter(NamedTuple):
    pattern: str
    to_python: Callable[[str], Any]
    to_url: Callable[[Any], str]


def _quote_segment(value: Any) -> str:
    return quote(str(value), safe="")


def _quote_path(value: Any) -> str:
    return quote(str(value), safe="/")


CONVERTERS: dict[str, Converter] = {
    "str": Converter(r"[^/]+", str, _quote_segment),
    "int": Converter(r"\d+", int, str),
    "float": Converter(r"\d+(?:\.\d+)?", float, repr),
    "path": Converter(r".+", str, _quote_path),
}


class MethodNotAllowed(HTTPError):
    """405, with the ``Allow`` header listing what the path does accept."""

    def __init__(self, allowed: set[str]):
        self.allowed = allowed_methods(allowed)
        super().__init__(405, headers=[("Allow", ", ".join(self.allowed))])


def allowed_methods(methods: set[str]) -> list[str]:
    """The methods a path answers, with the HEAD and OPTIONS we add for free."""
    extra = {"OPTIONS"} | ({"HEAD"} if "GET" in methods else set())
    return sorted(set(methods) | extra)


class Rule:
    """One URL rule, compiled; knows how to match a path and to build one."""

    def __init__(self, text: str):
        self.text = text
        is_regex = bool(_REGEX_CHARS.intersection(text))
        self.is_typed = not is_regex and bool(_PLACEHOLDER.search(text))
        self.is_static = not is_regex and not self.is_typed
        self._converters: dict[str, Converter] = {}
        self.regex = None if self.is_static else re.compile(self._pattern())

    def _pattern(self) -> str:
        if not self.is_typed:
            return self.text
        pieces, position = [], 0
        for found in _PLACEHOLDER.finditer(self.text):
            name, kind = found.group(1), found.group(2) or "str"
            if kind not in CONVERTERS:
                raise ValueError(f"unknown type {kind!r} in rule {self.text!r}")
            self._converters[name] = CONVERTERS[kind]
            pieces.append(re.escape(self.text[position:found.start()]))
            pieces.append(f"(?P<{name}>{CONVERTERS[kind].pattern})")
            position = found.end()
        pieces.append(re.escape(self.text[position:]))
        return "".join(pieces)

    def match(self, path: str) -> Optional[tuple[tuple, dict[str, Any]]]:
        """Return ``(args, kwargs)`` for the handler, or None if ``path`` does not fit."""
        found = self.regex.fullmatch(path)
        if found is None:
            return None
        if self.is_typed:
            return (), {name: self._converters[name].to_python(value)
                        for name, value in found.groupdict().items()}
        if self.regex.groupindex:
            return (), found.groupdict()
        return found.groups(), {}

    def build(self, params: dict[str, Any]) -> str:
        """The path for ``params``; values not in the rule go to the query string."""
        if not (self.is_static or self.is_typed):
            raise ValueError(f"cannot build a URL from regular expression {self.text!r}")
        extra = {key: value for key, value in params.items() if key not in self._converters}
        path = _PLACEHOLDER.sub(lambda found: self._fill(found.group(1), params), self.text)
        return f"{path}?{urlencode(extra, doseq=True)}" if extra else path

    def _fill(self, name: str, params: dict[str, Any]) -> str:
        if name not in params:
            raise ValueError(f"missing value for <{name}> in rule {self.text!r}")
        return self._converters[name].to_url(params[name])


@dataclass
class Route:
    rule: Rule
    method: str
    handler: Callable[..., Any]
    name: str
    request_first: bool = field(init=False)
    request_by_name: bool = field(init=False)

    def __post_init__(self) -> None:
        # Handlers that have a ``request`` parameter get the Request passed in:
        # positionally when it comes first (before regex groups), else by name.
        # Deciding it here keeps inspection off the per-request path.
        parameters = list(inspect.signature(self.handler).parameters)
        self.request_first = parameters[:1] == ["request"]
        self.request_by_name = "request" in parameters[1:]

    def call(self, request: Any, args: tuple, kwargs: dict[str, Any]) -> Any:
        if self.request_first:
            return self.handler(request, *args, **kwargs)
        if self.request_by_name:
            kwargs["request"] = request
        return self.handler(*args, **kwargs)


def takes_request(handler: Callable[..., Any]) -> bool:
    """Whether ``handler`` has a parameter called ``request``."""
    return "request" in inspect.signature(handler).parameters


class Router:
    """Maps (method, path) to a Route: static paths first, then rules in order."""

    def __init__(self) -> None:
        self._static: dict[str, dict[str, Route]] = {}
        self._dynamic: list[tuple[Rule, dict[str, Route]]] = []
        self._rules: dict[str, Rule] = {}
        self._by_text: dict[str, dict[str, Route]] = {}
        self._by_name: dict[str, Rule] = {}

    def add(self, text: str, methods: list[str], handler: Callable[..., Any],
            name: str) -> None:
        rule = self._rule_for(text)
        if self._by_name.setdefault(name, rule) is not rule:
            raise ValueError(f"route name {name!r} is already used by {self._by_name[name].text!r}")
        routes = self._by_text[text]
        for method in methods:
            routes[method.upper()] = Route(rule, method.upper(), handler, name)

    def _rule_for(self, text: str) -> Rule:
        if text in self._rules:
            return self._rules[text]
        rule = self._rules[text] = Rule(text)
        routes = self._by_text[text] = {}
        if rule.is_static:
            self._static[text] = routes
        else:
            self._dynamic.append((rule, routes))
        return rule

    def match(self, method: str, path: str) -> tuple[Route, tuple, dict[str, Any]]:
        """Find the route, or raise HTTPError 404 / MethodNotAllowed (405)."""
        allowed: set[str] = set()
        routes = self._static.get(path)
        if routes is not None:
            route = _pick(routes, method)
            if route is not None:
                return route, (), {}
            allowed.update(routes)
        for rule, routes in self._dynamic:
            params = rule.match(path)
            if params is None:
                continue
            route = _pick(routes, method)
            if route is not None:
                return route, params[0], params[1]
            allowed.update(routes)
        if allowed:
            raise MethodNotAllowed(allowed)
        raise HTTPError(404)

    def build(self, name: str, params: dict[str, Any]) -> str:
        if name not in self._by_name:
            raise KeyError(f"no route named {name!r}")
        return self._by_name[name].build(params)


def _pick(routes: dict[str, Route], method: str) -> Optional[Route]:
    route = routes.get(method)
    if route is None and method == "HEAD":
        return routes.get("GET")
    return route
