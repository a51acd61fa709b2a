"""`wsgiserver ctl`: talk to a running master over its --control-socket.

    wsgiserver ctl -s /run/app.ctl show workers
    wsgiserver ctl -s /run/app.ctl -j show stats       (JSON, for scripts)
    WSGISERVER_CONTROL_SOCKET=/run/app.ctl wsgiserver ctl worker add 2

Text for people, JSON with -j; a mistake (no server there, an unknown
command) is one line on stderr and exit status 1 (2 for a bad command line).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from typing import Any, NoReturn, Optional

from .process.control import TIMEOUT, encode, read_line

ENV_SOCKET = "WSGISERVER_CONTROL_SOCKET"
USAGE = "wsgiserver ctl [-s PATH] [-j] COMMAND [ARG ...]   (try: wsgiserver ctl -s PATH help)"


class CtlError(Exception):
    """Something to tell the person in one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        print(f"wsgiserver ctl: error: {message} (usage: {USAGE})", file=sys.stderr)
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="wsgiserver ctl", usage=USAGE,
                     description="Ask a running wsgiserver master (--control-socket) "
                                 "about its workers, or tell it to change them.")
    parser.add_argument("-s", "--socket", default=os.environ.get(ENV_SOCKET),
                        help=f"the server's --control-socket (default: ${ENV_SOCKET})")
    parser.add_argument("-j", "--json", action="store_true", help="print the answer as JSON")
    parser.add_argument("-t", "--timeout", type=float, default=TIMEOUT,
                        help=f"seconds to wait for the answer (default: {TIMEOUT:g})")
    parser.add_argument("command", nargs="+", metavar="COMMAND",
                        help="show workers|stats|config, worker add|remove [N], reload, "
                             "reopen, shutdown [graceful|quick], help")
    return parser


def request(path: str, words: list[str], timeout: float = TIMEOUT) -> Any:
    """Send one command to the master at path; its data, or CtlError."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
        sock.sendall(encode({"command": words}))
        line = read_line(sock)
    except (FileNotFoundError, ConnectionRefusedError):
        raise CtlError(f"no server at {path}") from None
    except PermissionError:
        raise CtlError(f"permission denied: {path} (run as the server's user)") from None
    except TimeoutError:
        raise CtlError(f"no answer from {path} within {timeout:g} s") from None
    except (OSError, ValueError) as error:
        raise CtlError(f"{path}: {error}") from None
    finally:
        sock.close()
    if line is None:
        raise CtlError(f"{path} closed the connection without answering")
    try:
        answer = json.loads(line)
    except ValueError:
        raise CtlError(f"{path} is not a wsgiserver control socket") from None
    if not answer.get("ok"):
        raise CtlError(str(answer.get("error", "the server refused")))
    return answer.get("data")


def render(words: list[str], data: Any) -> str:
    """The answer as text for a person."""
    if isinstance(data, dict) and "message" in data and len(data) == 1:
        return data["message"]
    if isinstance(data, dict) and "workers" in data and isinstance(data["workers"], list):
        return render_workers(data["workers"])
    if isinstance(data, dict) and "commands" in data:
        return render_pairs(data["commands"])
    if isinstance(data, dict):
        return render_pairs(data)
    return json.dumps(data)


def render_workers(rows: list[dict]) -> str:
    columns = ("pid", "age", "state", "requests", "uptime", "last_heartbeat")
    titles = ("PID", "AGE", "STATE", "REQUESTS", "UPTIME(s)", "HEARTBEAT(s ago)")
    cells = [titles] + [tuple(_text(row.get(c)) for c in columns) for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
             for line in cells]
    return "\n".join(lines + [f"{len(rows)} worker{'s' * (len(rows) != 1)}"])


def render_pairs(pairs: dict) -> str:
    width = max((len(str(key)) for key in pairs), default=0)
    return "\n".join(f"{str(key).ljust(width)}  {_text(value)}" for key, value in pairs.items())


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def main(argv: Optional[list[str]] = None) -> None:
    args = build_parser().parse_args(argv)
    if not args.socket:
        print(f"wsgiserver ctl: error: give the server's control socket with -s PATH "
              f"(or ${ENV_SOCKET})", file=sys.stderr)
        sys.exit(2)
    try:
        data = request(args.socket, args.command, args.timeout)
    except CtlError as error:
        print(f"wsgiserver ctl: {error}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps(data, indent=2) if args.json else render(args.command, data))
