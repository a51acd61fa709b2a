"""Command line: `wsgiserver [MODULE:APP] [PORT] [options]`, built from settings.SETTINGS."""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn, Optional

from .appload import load_app
from .errors import ConfigError
from .observe.log import error_log, setup_logging
from .settings import SECTIONS, SETTINGS, Config, Setting, default_port, parse_port
from .version import __version__

USAGE = "wsgiserver [MODULE:APP] [PORT] [options]"
EPILOG = """examples:
  wsgiserver apps.hello:application 7890     app + ./html on 0.0.0.0:7890
  wsgiserver 7890 apps.hello:application     the tutorial's order works too
  wsgiserver apps.stocks:create_app() -b 127.0.0.1:8080 --threads 8
  wsgiserver 7890                            static files from ./html only"""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a mistake is one line on stderr, not usage plus a message."""

    def error(self, message: str) -> NoReturn:
        fail(f"{message} (see --help)")


def fail(message: str) -> NoReturn:
    print(f"wsgiserver: error: {message}", file=sys.stderr)
    sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="wsgiserver", usage=USAGE, epilog=EPILOG,
                           formatter_class=argparse.RawDescriptionHelpFormatter,
                           description="An epoll WSGI server that also serves static files.")
    parser.add_argument("targets", nargs="*", metavar="MODULE:APP | PORT",
                        help="the WSGI app (MODULE, MODULE:NAME or MODULE:factory()) "
                             "and/or the port, in either order")
    groups = {section: parser.add_argument_group(section.lower()) for section in SECTIONS}
    for setting in SETTINGS:
        if setting.flags:  # hooks are set from Python only
            _add_setting(groups[setting.section], setting)
    parser.add_argument("--version", action="version", version=f"wsgiserver {__version__}")
    return parser


def _add_setting(group: argparse._ArgumentGroup, setting: Setting) -> None:
    if setting.flag:
        group.add_argument(*setting.flags, dest=setting.name, action="store_const",
                           const=True, default=None, help=setting.description)
        return
    group.add_argument(*setting.flags, dest=setting.name, metavar=setting.metavar,
                       action="append" if setting.repeatable else "store",
                       default=None, help=_help_with_default(setting))


def _help_with_default(setting: Setting) -> str:
    if setting.default is None:
        return setting.description
    return f"{setting.description} (default: {setting.default})"


def split_targets(targets: list[str]) -> tuple[Optional[str], Optional[int]]:
    """(app spec, port) from up to two positional arguments in any order."""
    if len(targets) > 2:
        raise ConfigError(f"too many arguments: {' '.join(targets)}")
    ports = [t for t in targets if t.lstrip("-").isdigit()]
    apps = [t for t in targets if t not in ports]
    if len(ports) > 1 or len(apps) > 1:
        raise ConfigError(f"expected one app and one port, got {' '.join(targets)}")
    port = parse_port(ports[0]) if ports else None
    if port == 0 and ports:
        raise ConfigError("invalid port 0: expected a number from 1 to 65535")
    return (apps[0] if apps else None), port


def options_from(args: argparse.Namespace) -> dict:
    return {s.name: getattr(args, s.name) for s in SETTINGS
            if s.flags and getattr(args, s.name) is not None}


def main(argv: Optional[list[str]] = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        server, spec = _create_server(args)
    except ConfigError as error:
        fail(str(error))
    _announce(server, spec)
    from .process.serving import run
    run(server)
    error_log.info("Stopped")


def _create_server(args: argparse.Namespace):
    from .server import WSGIServer  # after argument errors, which need none of it

    spec, port = split_targets(args.targets)
    options = options_from(args)
    config = Config.from_options(**options)
    setup_logging(config.log_level, config.access_logfile)
    app = load_app(spec) if spec else None
    if port is not None and options.get("bind"):
        raise ConfigError("give either a PORT argument or --bind, not both")
    port = port if port is not None else default_port()
    return WSGIServer(app, host="0.0.0.0", port=port, **options), spec


def _announce(server, spec: Optional[str]) -> None:
    root = server.config.static_root
    if server.static.root is None:
        error_log.warning("static root %s is not a folder: serving no static files",
                          os.path.abspath(root))
        root_text = "none"
    else:
        root_text = server.static.root
    threads = server.config.threads
    error_log.info("wsgiserver %s listening at %s | app: %s | static root: %s | "
                   "workers: %d | threads: %s", __version__, ", ".join(server.urls),
                   spec or "none (static only)", root_text, max(1, server.config.workers),
                   threads if threads else "0 (inline)")
