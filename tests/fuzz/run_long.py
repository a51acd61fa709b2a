"""A long run of the parser fuzz target, outside pytest.

    python3 tests/fuzz/run_long.py --cases 100000 [--seed 1] [--jobs 2] [--minutes 10]

Runs the properties of tests/fuzz/properties.py (the same ones
test_fuzz_parser.py runs for a bounded number of cases in CI) on `--cases`
Hypothesis-generated inputs, split over `--jobs` processes (seeds S, S+1, ...),
each input checked under every parser configuration. A failing input does not
stop the run: it is written to `--save` (one .http file each, raw bytes) and
counted, so add it to CRASHES in make_corpus.py once the bug is fixed. Prints
the cases run, the events by kind and status, and the failures.
`--minutes` bounds the run's time (checked every 2000 cases); the count of
cases actually run is what is printed.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import multiprocessing
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.fuzz.properties import (  # noqa: E402
    CONFIGS,
    ParserFailure,
    check_input,
    cut_points,
    fuzz_inputs,
    load_seeds,
)

BATCH = 2000  # cases per Hypothesis run; the time bound is checked between runs


def run_job(cases: int, job_seed: int, deadline: float, save: str) -> collections.Counter:
    """Run `cases` inputs in batches (or fewer if `deadline` passes); the counts."""
    seeds, counts = load_seeds(), collections.Counter()
    batch = 0
    while counts["cases"] < cases and time.monotonic() < deadline:
        size = min(BATCH, cases - counts["cases"])
        _run_batch(seeds, size, job_seed * 1_000_003 + batch, Path(save), counts)
        batch += 1
    return counts


def _run_batch(seeds: list[bytes], size: int, batch_seed: int, save_dir: Path,
               counts: collections.Counter) -> None:
    @seed(batch_seed)
    @settings(max_examples=size, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def one_case(data):
        request = data.draw(fuzz_inputs(seeds))
        cuts = data.draw(cut_points(request))
        counts["cases"] += 1
        for config in CONFIGS:
            try:
                events = check_input(config, request, cuts)
            except ParserFailure as failure:
                _save(save_dir, request, config.name, failure, counts)
                continue
            for event in events:
                counts[f"{config.name}: " + (f"error {event[2]}" if event[0] == "error"
                                             else "request")] += 1

    one_case()


def _save(save_dir: Path, request: bytes, config: str, failure: Exception,
          counts: collections.Counter) -> None:
    kind = str(failure).splitlines()[0][:120]
    counts[f"FAILURE {kind}"] += 1
    save_dir.mkdir(parents=True, exist_ok=True)
    name = hashlib.blake2b(request, digest_size=8).hexdigest()
    (save_dir / f"{name}.http").write_bytes(request)
    (save_dir / f"{name}.txt").write_text(f"{config}\n{failure}\n", "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--save", default="/tmp/wsgiserver-fuzz-findings")
    args = parser.parse_args(argv)
    started = time.monotonic()
    deadline = started + args.minutes * 60
    share = [args.cases // args.jobs + (i < args.cases % args.jobs) for i in range(args.jobs)]
    jobs = [(count, args.seed + i, deadline, args.save) for i, count in enumerate(share)]
    with multiprocessing.Pool(args.jobs) as pool:
        results = pool.starmap(run_job, jobs)
    total = sum(results, collections.Counter())
    print(f"{total['cases']} cases in {time.monotonic() - started:.0f} s "
          f"(seed {args.seed}, {args.jobs} jobs, {len(CONFIGS)} parser configurations each)")
    for key, value in sorted(total.items()):
        if key != "cases":
            print(f"  {value:8d}  {key}")
    failures = sum(value for key, value in total.items() if key.startswith("FAILURE"))
    print(f"{failures} failures" + (f", inputs saved in {args.save}" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
