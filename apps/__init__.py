"""Example WSGI applications served by wsgiserver."""
