"""Sockets and the event loop: listeners, one connection each, its output queue."""
