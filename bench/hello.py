"""Issue 2 benchmark: hello world, our server vs gunicorn's gthread worker.

    python bench/hello.py [-d 10] [--servers ours,ours-t0,gunicorn]

Runs wrk (keep-alive, 50 connections, one thread) against ``apps.hello:application``
served by our server with its default settings, by our server with ``--threads 0``,
and by ``gunicorn -k gthread -w 1`` with the same thread count as our default.
Servers run on one core, wrk on the other. Goal: ours >= 5x gunicorn in both configs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

APP = "apps.hello:application"
SERVERS = ["ours", "ours-t0", "gunicorn"]
GOAL = 5.0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.add_common_args(parser)
    parser.add_argument("--servers", type=common.selection(SERVERS), default=SERVERS,
                        help=f"comma-separated subset of {','.join(SERVERS)}")
    parser.add_argument("--app-threads", type=int, default=None,
                        help="thread count for gunicorn and our default config "
                             "(default: wsgiserver.settings.DEFAULTS['threads'], else "
                             f"{common.FALLBACK_THREADS} passed explicitly to both)")
    return parser


def server_specs(names: list[str], threads: int, explicit: bool) -> list[common.ServerSpec]:
    """Our default config, ours with --threads 0, and gunicorn with ``threads``."""
    ours_extra = ("--threads", str(threads)) if explicit else ()
    specs = {
        "ours": common.ours_spec("ours", APP, ours_extra),
        "ours-t0": common.ours_spec("ours-t0", APP, ("--threads", "0")),
        "gunicorn": common.gunicorn_spec("gunicorn", APP, threads),
    }
    return [specs[name] for name in names]


def resolve_threads(requested: Optional[int]) -> tuple[int, bool]:
    """(thread count, whether to pass it explicitly to our server)."""
    if requested is not None:
        return requested, True
    default = common.wsgiserver_default_threads()
    if default is None:
        print(f"[bench] wsgiserver.settings.DEFAULTS unreadable; using --threads "
              f"{common.FALLBACK_THREADS} for both", flush=True)
        return common.FALLBACK_THREADS, True
    return default, False


def run(argv: Optional[list[str]] = None) -> common.Report:
    opts = build_parser().parse_args(argv)
    common.prepare(opts)
    if "gunicorn" in opts.servers:
        common.ensure_pip("gunicorn", "gunicorn")
    threads, explicit = resolve_threads(opts.app_threads)
    specs = server_specs(opts.servers, threads, explicit)
    targets = [common.Target("hello", "/hello", expect_length=len(b"Hello, World!\n"))]
    rows = common.run_matrix(specs, targets, opts, "hello")
    ratios = [
        common.Ratio(f"ours (default, {threads} threads) / gunicorn", "hello", "ours",
                     "gunicorn", GOAL),
        common.Ratio("ours (--threads 0) / gunicorn", "hello", "ours-t0", "gunicorn", GOAL),
    ]
    gunicorn = common.tool_version([sys.executable, "-m", "gunicorn", "--version"])
    return common.make_report(
        opts, "hello", "Hello world: wsgiserver vs gunicorn gthread (issue 2)", specs, rows,
        ratios, {"app": APP, "path": targets[0].path, "app_threads": threads},
        {"gunicorn": gunicorn})


def main(argv: Optional[list[str]] = None) -> int:
    return common.main_wrapper(run, argv)


if __name__ == "__main__":
    sys.exit(main())
