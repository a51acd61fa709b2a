"""The WSGI glue (PEP 3333): environ, the app call, wsgi.input, the thread pool."""
