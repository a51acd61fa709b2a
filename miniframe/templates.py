"""Templates: the tutorial's ``{%name%}`` placeholders, escaped by default,
and an adapter for Jinja2 when it is installed.

Every value put into a template is HTML-escaped unless it is ``Markup``
(text the programmer vouches for). A rendered template is itself Markup, so
pages can be assembled from rendered pieces without escaping them twice.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any, Optional, Union

Context = Optional[Mapping[str, Any]]
_PLACEHOLDER = re.compile(r"\{%\s*(\w+)\s*%\}")


class Markup(str):
    """Trusted HTML: inserted into templates as it is.

    It has ``__html__``, the convention Jinja2 and MarkupSafe also honour.
    """

    def __html__(self) -> str:
        return self


def escape(value: Any) -> Markup:
    """``value`` as HTML text: Markup is kept, anything else is escaped."""
    if hasattr(value, "__html__"):
        return Markup(value.__html__())
    return Markup(html.escape(str(value), quote=True))


class Template:
    """A ``{%name%}`` template; ``render(name=value)`` escapes each value."""

    def __init__(self, source: str):
        # split() alternates literal text (even indexes) and names (odd ones).
        self._pieces = _PLACEHOLDER.split(source)

    @property
    def names(self) -> set[str]:
        return set(self._pieces[1::2])

    def render(self, context: Context = None, **values: Any) -> Markup:
        values = {**(context or {}), **values}
        missing = self.names - values.keys()
        if missing:
            raise KeyError(f"template values missing: {', '.join(sorted(missing))}")
        return Markup("".join(
            piece if index % 2 == 0 else escape(values[piece])
            for index, piece in enumerate(self._pieces)))

    def render_each(self, rows: Iterable[Mapping[str, Any]]) -> Markup:
        """Render once per row (e.g. a table row template) and join the results."""
        return Markup("".join(self.render(row) for row in rows))


class TemplateFolder:
    """``{%name%}`` templates read from files in one folder, cached after the first read."""

    def __init__(self, folder: Union[str, os.PathLike]):
        self.folder = os.path.abspath(folder)
        self._cache: dict[str, Template] = {}

    def get(self, name: str) -> Template:
        if name not in self._cache:
            with open(self._path(name), encoding="utf-8") as source:
                self._cache[name] = Template(source.read())
        return self._cache[name]

    def _path(self, name: str) -> str:
        path = os.path.abspath(os.path.join(self.folder, name))
        if os.path.commonpath([path, self.folder]) != self.folder:
            raise ValueError(f"template {name!r} is outside {self.folder}")
        return path

    def render(self, name: str, context: Context = None, **values: Any) -> Markup:
        return self.get(name).render(context, **values)


class JinjaTemplates:
    """The same ``render(name, **values)`` for Jinja2 templates, autoescaped."""

    def __init__(self, folder: Union[str, os.PathLike], **options: Any):
        try:
            import jinja2
        except ImportError as error:
            raise ImportError(
                "JinjaTemplates needs Jinja2: pip install 'wsgiserver[jinja]'") from error
        options.setdefault("autoescape", True)
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(os.fspath(folder)), **options)

    def render(self, name: str, context: Context = None, **values: Any) -> Markup:
        return Markup(self.environment.get_template(name).render({**(context or {}), **values}))
