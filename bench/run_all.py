"""Run every benchmark scenario and write bench/results/summary.md.

    python bench/run_all.py [--scenarios hello,static,frameworks] [-d 10] [--rounds 3]

Options other than --scenarios are the shared ones (duration, connections, wrk
threads, warm-up, rounds, cores) and are passed to every scenario.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable, Optional

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common, frameworks, hello, static

SCENARIOS: dict[str, Callable[[Optional[list[str]]], common.Report]] = {
    "hello": hello.run,
    "static": static.run,
    "frameworks": frameworks.run,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Shared options: see python bench/hello.py --help")
    names = list(SCENARIOS)
    parser.add_argument("--scenarios", type=common.selection(names), default=names,
                        help=f"comma-separated subset of {','.join(names)}")
    return parser


def summary(reports: list[common.Report]) -> str:
    """One markdown page: every goal first, then each scenario's tables."""
    info = reports[0].info
    out = ["# wsgiserver benchmarks", "",
           f"{info['date']}; {info['cpus']} x {info['cpu_model']}; Python {info['python']}; "
           f"{info['wrk']}", "",
           "| scenario | ratio (req/s) | value | goal | status |", "|---|---|---:|---:|---|"]
    out += [f"| {rep.scenario} | {r.label} | "
            f"{'-' if r.value is None else format(r.value, '.2f')}x | >= {r.goal:g}x | "
            f"{r.status} |" for rep in reports for r in rep.ratios]
    out.append("")
    out += [rep.markdown() for rep in reports]
    return "\n".join(out)


def run(argv: Optional[list[str]] = None) -> list[common.Report]:
    opts, shared = build_parser().parse_known_args(argv)
    reports = []
    for name in opts.scenarios:
        print(f"\n[bench] ===== {name} =====", flush=True)
        reports.append(SCENARIOS[name](shared))
    common.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = common.RESULTS_DIR / "summary.md"
    path.write_text(summary(reports))
    print(f"\n{path.read_text()}\n[bench] wrote {path} at {time.strftime('%H:%M:%S')}")
    return reports


def main(argv: Optional[list[str]] = None) -> int:
    return common.main_wrapper(run, argv)


if __name__ == "__main__":
    sys.exit(main())
