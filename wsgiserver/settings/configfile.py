"""Where the settings and the app come from: the config file, and checking or
printing the result (gunicorn's Config File and Debugging settings)."""

from __future__ import annotations

from .base import CONFIG, Setting
from .validators import boolean, text_value

SETTINGS = (
    Setting("config", CONFIG, ("-c", "--config"), text_value, None,
            "read settings from this Python file of name = value lines, with gunicorn's "
            "setting names ('python:MODULE' reads a module); without it "
            "./wsgiserver.conf.py, else ./gunicorn.conf.py, is read if it exists", "FILE"),
    Setting("wsgi_app", CONFIG, (), text_value, None,
            "the WSGI app as MODULE:APP, when the command line names none (a config "
            "file's way of naming it, as gunicorn's)"),
    Setting("paste", CONFIG, ("--paste", "--paster"), text_value, None,
            "load the app from this PasteDeploy ini file (its [app:main], or "
            "FILE.ini#NAME); needs the extra: pip install 'wsgiserver[paste]'",
            "FILE.ini"),
    Setting("check_config", CONFIG, ("--check-config",), boolean, False,
            "load the settings and the app, then exit: 0 if all is well, 2 with one "
            "line per problem (nothing is bound or served)", flag=True),
    Setting("print_config", CONFIG, ("--print-config",), boolean, False,
            "print every effective setting as name = value with where its value came "
            "from (default, file, env, cli), then exit 0", flag=True),
)
