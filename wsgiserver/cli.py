"""Command line: `wsgiserver [MODULE:APP] [PORT] [options]`, built from settings.SETTINGS."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from dataclasses import dataclass, field
from typing import NoReturn, Optional

from .appload import load_app
from .errors import ConfigError
from .observe.log import error_log, setup_logging
from .settings import SECTIONS, SETTINGS, Config, Setting, default_port, parse_port, source
from .version import __version__

USAGE = "wsgiserver [MODULE:APP] [PORT] [options]"
EPILOG = """examples:
  wsgiserver apps.hello:application 7890     app + ./html on 0.0.0.0:7890
  wsgiserver 7890 apps.hello:application     the tutorial's order works too
  wsgiserver apps.stocks:create_app() -b 127.0.0.1:8080 --threads 8
  wsgiserver 7890                            static files from ./html only"""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a mistake is one line on stderr, not usage plus a message."""

    where = ""  # "$WSGISERVER_CMD_ARGS: " while that is parsed

    def error(self, message: str) -> NoReturn:
        fail(f"{self.where}{message} (see --help)")


def fail(message: str) -> NoReturn:
    """Each line of `message` (one per problem) on stderr, then exit 2."""
    for line in message.splitlines():
        print(f"wsgiserver: error: {line}", file=sys.stderr)
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
    if setting.flag:  # --preload sets True; --no-sendfile sets False
        group.add_argument(*setting.flags, dest=setting.name, action="store_const",
                           const=not setting.default, default=None,
                           help=setting.description)
        return
    group.add_argument(*setting.flags, dest=setting.name, metavar=setting.metavar,
                       action="append" if setting.repeatable else "store",
                       default=None, help=_help_with_default(setting).replace("%", "%%"))


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


@dataclass
class Gathered:
    """The merged options of every layer, where each came from, and the app to load."""

    options: dict = field(default_factory=dict)
    origins: dict = field(default_factory=dict)
    spec: Optional[str] = None
    config_file: Optional[str] = None

    @property
    def app_name(self) -> Optional[str]:
        return self.spec or self.options.get("paste")


def main(argv: Optional[list[str]] = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["ctl"]:  # `wsgiserver ctl ...` talks to a running master
        from .ctl import main as ctl_main
        return ctl_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        gathered = gather(parser, args)
        if gathered.options.get("print_config"):
            print_config(gathered)
        if gathered.options.get("check_config"):
            check_config(gathered)
        arbiter = _run_master(gathered, lambda: _reread_options(argv))
    except ConfigError as error:
        fail(str(error))
    if arbiter.failure:  # a worker could not load the app: its one line
        fail(arbiter.failure)
    error_log.info("Stopped")
    sys.exit(arbiter.exit_code)


def _reread_options(argv: list[str]) -> dict:
    """HUP: every layer read again (the config file may have changed)."""
    parser = build_parser()
    return gather(parser, parser.parse_args(argv)).options


def gather(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Gathered:
    """Every layer, lowest first: defaults ($PORT, $WEB_CONCURRENCY), the config file,
    $WSGISERVER_CMD_ARGS, the command line (gunicorn's order)."""
    env_args = _env_args(parser)
    cli_spec, cli = _layer(args)
    env_spec, env = _layer(env_args) if env_args else (None, {})
    location = cli.get("config") or env.get("config") or source.default_location()
    loaded = source.load_location(location) if location else source.Loaded("")
    defaults = source.environment_defaults()
    source.warn(loaded.warnings)
    for layer in (defaults, loaded):
        layer.raise_errors()
    port_origin = "default ($PORT)" if os.environ.get("PORT") else "default"
    options, origins = source.merge([
        (port_origin, {"bind": [f"0.0.0.0:{default_port()}"]}),
        ("default ($WEB_CONCURRENCY)", defaults.options),
        (f"file {location}", loaded.options),
        (f"env ${source.ENV_ARGS}", env), ("cli", cli)])
    spec = cli_spec or env_spec or options.get("wsgi_app")
    return Gathered(options, origins, spec, location)


def _env_args(parser: argparse.ArgumentParser) -> Optional[argparse.Namespace]:
    text = os.environ.get(source.ENV_ARGS, "")
    if not text.strip():
        return None
    parser.where = f"${source.ENV_ARGS}: "
    try:
        return parser.parse_args(shlex.split(text))
    except ValueError as error:  # shlex: an unclosed quote
        raise ConfigError(f"${source.ENV_ARGS}: {error}") from None
    finally:
        parser.where = ""


def _layer(args: argparse.Namespace) -> tuple[Optional[str], dict]:
    """(app spec, options) of one parsed command line; a PORT argument is its bind."""
    spec, port = split_targets(args.targets)
    options = options_from(args)
    if port is not None:
        if options.get("bind"):
            raise ConfigError("give either a PORT argument or --bind, not both")
        options["bind"] = [f"0.0.0.0:{port}"]
    return spec, options


def print_config(gathered: Gathered) -> NoReturn:
    config = Config.from_options(**gathered.options)
    try:
        for line in source.print_lines(config.values, gathered.origins):
            print(line)
        sys.stdout.flush()
    except BrokenPipeError:  # `--print-config | head`: the reader took what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(0)


def check_config(gathered: Gathered) -> NoReturn:
    """Validate every setting and load the app (binding nothing): exit 0, or fail."""
    config = Config.from_options(**gathered.options)
    from .net.listeners import parse_bind
    for address in config.bind or ():
        parse_bind(address)
    try:
        _load_app(gathered)
    except ConfigError:
        raise
    except Exception as error:  # the app's own import-time bug, in one line
        raise ConfigError(f"cannot load the app: {type(error).__name__}: {error}") from None
    where = gathered.config_file or "no config file"
    print(f"wsgiserver: config OK ({where}; app: {gathered.app_name or 'none'})")
    sys.exit(0)


def _load_app(gathered: Gathered):
    paste = gathered.options.get("paste")
    if paste and gathered.spec:
        raise ConfigError("give either MODULE:APP or --paste, not both")
    if paste:
        from .pastedeploy import load_paste_app
        return load_paste_app(paste)
    return load_app(gathered.spec) if gathered.spec else None


def _run_master(gathered: Gathered, read_options):
    """Always a master and its workers, whatever --workers, so every signal means the
    same; the workers load the app after fork (unless --preload)."""
    from .process.serving import run_from_cli  # after argument errors, which need none of it
    from .process.startup import prepare

    config = Config.from_options(**gathered.options)
    setup_logging(config)
    prepare(config)  # --chdir, --pythonpath, --env, --umask: before the app loads
    return run_from_cli(gathered.app_name, lambda: _load_app(gathered), gathered.options,
                        read_options, config_file=gathered.config_file)
