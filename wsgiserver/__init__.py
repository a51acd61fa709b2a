"""wsgiserver: an epoll WSGI server that also serves static files."""

from .version import __version__

__all__ = ["WSGIServer", "serve", "__version__"]


def __getattr__(name):
    # Lazy, so `python -m wsgiserver --version` and setup.cfg's `attr:`
    # lookup never import the server stack.
    if name == "WSGIServer":
        from .server import WSGIServer
        return WSGIServer
    if name == "serve":
        from .process.serving import serve
        return serve
    raise AttributeError(name)
