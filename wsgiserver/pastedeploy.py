"""PasteDeploy: `--paste FILE.ini` loads the app from an ini file, and the
`server_runner` entry point lets an ini file's [server:main] say `use = egg:wsgiserver`.
PasteDeploy is the optional extra `paste`: pip install 'wsgiserver[paste]'."""

from __future__ import annotations

import os
from typing import Any, Callable

from .errors import ConfigError
from .settings import source

EXTRA = "--paste needs PasteDeploy: pip install 'wsgiserver[paste]'"


def load_paste_app(location: str) -> Callable:
    """The app of FILE.ini ([app:main]) or FILE.ini#NAME, as gunicorn's --paste."""
    try:
        from paste.deploy import loadapp
    except ImportError:
        raise ConfigError(EXTRA) from None
    path = location.split("#")[0]
    if not os.path.isfile(path):
        raise ConfigError(f"--paste: no such file {path!r}")
    try:
        return loadapp(f"config:{os.path.abspath(location)}", relative_to=os.getcwd())
    except (LookupError, ImportError, ValueError) as error:
        raise ConfigError(f"--paste {location}: {error}") from None


def server_options(global_conf: dict, local_conf: dict) -> dict[str, Any]:
    """Settings from a [server:main] section: host and port (PasteDeploy's usual
    pair) make the bind; every other key is a setting, checked as a config file's."""
    local_conf = dict(local_conf)
    host, port = local_conf.pop("host", ""), local_conf.pop("port", "")
    if host or port:
        local_conf["bind"] = f"{host or '0.0.0.0'}:{port or 8000}"
    where = f"{global_conf.get('__file__', 'the ini file')} [server]"
    loaded = source.from_names(local_conf, where)
    source.warn(loaded.warnings)
    loaded.raise_errors()
    return loaded.options


def server_runner(app: Callable, global_conf: dict, **local_conf: Any) -> None:
    """PasteDeploy's paste.server_runner: serve `app` with the section's settings."""
    from .process.serving import serve
    serve(app, **server_options(global_conf, local_conf))
