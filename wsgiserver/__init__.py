"""wsgiserver: an epoll WSGI server that also serves static files."""

__version__ = "0.1.0"

__all__ = ["WSGIServer", "serve", "__version__"]


def __getattr__(name):
    # Lazy, so `python -m wsgiserver --version` and setup.cfg's `attr:`
    # lookup never import the server stack.
    if name in ("WSGIServer", "serve"):
        from . import server
        return getattr(server, name)
    raise AttributeError(name)
