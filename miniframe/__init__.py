"""miniframe: a tiny WSGI framework.

    from miniframe import App

    app = App()

    @app.route("/hello/<name>")
    def hello(name):
        return f"Hello, {name}!"
"""

from .app import App, make_response
from .errors import HTTPError, abort
from .request import Request
from .response import FileResponse, Response, redirect
from .routing import MethodNotAllowed
from .templates import JinjaTemplates, Markup, Template, TemplateFolder, escape

__all__ = [
    "App", "FileResponse", "HTTPError", "JinjaTemplates", "Markup", "MethodNotAllowed",
    "Request", "Response", "Template", "TemplateFolder", "abort", "escape",
    "make_response", "redirect",
]
__version__ = "0.1.0"
