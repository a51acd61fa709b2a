"""Issue 4 benchmark: miniframe vs bottle vs Flask, all served by our server.

    python bench/frameworks.py [-d 10] [--frameworks miniframe,bottle,flask]

Each framework serves the same route, ``GET /hello/<n:int>`` returning ``{"n": n}``
as JSON (apps in bench/apps/). All three run on our server with its default
settings (or ``--server gunicorn``, gthread, to compare on another server); wrk
(keep-alive, 50 connections) asks for ``/hello/42``. Servers run on one core, wrk
on the other. Goals: miniframe >= bottle, miniframe >= 2x Flask.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Optional

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

FRAMEWORKS = {
    "miniframe": ("miniframe", "miniframe", "bench.apps.mini_app:application"),
    "bottle": ("bottle", "bottle", "bench.apps.bottle_app:application"),
    "flask": ("flask", "flask", "bench.apps.flask_app:application"),
}  # name -> (module to import, pip package, WSGI app)
TARGET = common.Target("hello/<n:int> JSON", "/hello/42", expect_json={"n": 42})
GOALS = {"bottle": 1.0, "flask": 2.0}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.add_common_args(parser)
    names = list(FRAMEWORKS)
    parser.add_argument("--frameworks", type=common.selection(names), default=names,
                        help=f"comma-separated subset of {','.join(names)}")
    parser.add_argument("--server", choices=["ours", "gunicorn"], default="ours",
                        help="server for all frameworks (default ours)")
    parser.add_argument("--server-args", default="",
                        help="extra arguments for our server, e.g. '--threads 0'")
    parser.add_argument("--app-threads", type=int, default=None,
                        help="gunicorn --threads (default: our default thread count)")
    return parser


def server_spec(framework: str, opts: argparse.Namespace) -> common.ServerSpec:
    app = FRAMEWORKS[framework][2]
    if opts.server == "gunicorn":
        threads = (opts.app_threads or common.wsgiserver_default_threads()
                   or common.FALLBACK_THREADS)
        return common.gunicorn_spec(framework, app, threads)
    return common.ours_spec(framework, app, tuple(shlex.split(opts.server_args)))


def run(argv: Optional[list[str]] = None) -> common.Report:
    opts = build_parser().parse_args(argv)
    common.prepare(opts)
    for name in opts.frameworks:
        module, package, _ = FRAMEWORKS[name]
        if name != "miniframe":  # miniframe is this repository's own package
            common.ensure_pip(module, package)
    if opts.server == "gunicorn":
        common.ensure_pip("gunicorn", "gunicorn")
    specs = [server_spec(name, opts) for name in opts.frameworks]
    rows = common.run_matrix(specs, [TARGET], opts, "frameworks")
    ratios = [common.Ratio(f"miniframe / {other}", TARGET.name, "miniframe", other, goal)
              for other, goal in GOALS.items() if other in opts.frameworks]
    versions = common.python_eval(
        "from importlib.metadata import version as v\n"
        "print(', '.join(f'{p} {v(p)}' for p in ('bottle', 'flask')))")
    return common.make_report(
        opts, "frameworks", f"Frameworks on {opts.server}: miniframe vs bottle vs Flask "
        "(issue 4)", specs, rows, ratios,
        {"server": opts.server, "server_args": opts.server_args or "(defaults)"},
        {"versions": versions})


def main(argv: Optional[list[str]] = None) -> int:
    return common.main_wrapper(run, argv)


if __name__ == "__main__":
    sys.exit(main())
