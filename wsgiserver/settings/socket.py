"""Where the server listens."""

from __future__ import annotations

from .base import SOCKET, Setting
from .validators import boolean, non_negative_int, text_value

SETTINGS = (
    Setting("bind", SOCKET, ("-b", "--bind"), text_value, None,
            "address to listen on: HOST:PORT, [IPV6]:PORT or unix:PATH; repeatable "
            "(default 0.0.0.0:PORT, PORT from the argument, $PORT or 8000)",
            "ADDRESS", repeatable=True),
    Setting("backlog", SOCKET, ("--backlog",), non_negative_int, 2048,
            "connections waiting to be accepted (the listen() backlog)", "N"),
    Setting("reuse_port", SOCKET, ("--reuse-port",), boolean, False,
            "set SO_REUSEPORT on the listening sockets, so other processes may bind "
            "the same port and the kernel shares connections among them", flag=True),
    Setting("sendfile", SOCKET, ("--no-sendfile",), boolean, True,
            "--no-sendfile sends static files and wsgi.file_wrapper bodies with read() "
            "and send() instead of os.sendfile (for file systems where sendfile is "
            "broken, e.g. some network or virtual-machine shares)", flag=True),
)
