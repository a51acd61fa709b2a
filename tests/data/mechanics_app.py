"""Test app for the server-mechanics options: it reports what the process sees."""

import os
import sys


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/env":
        body = os.environ.get("MECH_VAR", "<unset>")
    elif path == "/cwd":
        body = os.getcwd()
    elif path == "/syspath":
        body = "\n".join(sys.path)
    elif path == "/touch":  # a file created by the app: its mode shows the umask
        target = environ["QUERY_STRING"]
        with open(target, "w") as file:
            file.write("x")
        body = oct(os.stat(target).st_mode & 0o777)
    else:
        body = str(os.getpid())
    data = body.encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(data)))])
    return [data]
