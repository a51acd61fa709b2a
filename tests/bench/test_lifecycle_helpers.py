"""The pure helpers of bench/lifecycle.py and bench/lifecycle_probe.py, and
bench/common.py's additions for them: no server, no wrk, no timing."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pytest

from bench import common, lifecycle, lifecycle_probe
from bench.lifecycle import Outcome
from bench.lifecycle_probe import Sample


def test_parse_body():
    assert lifecycle_probe.parse_body(b"v1 1234") == ("v1", 1234)
    assert lifecycle_probe.parse_body(b"v2 7\n") == ("v2", 7)
    assert lifecycle_probe.parse_body(b"Hello, World!") is None
    assert lifecycle_probe.parse_body(b"v1 abc") is None
    assert lifecycle_probe.parse_body(b"") is None


def test_parse_stat_with_a_name_holding_parentheses():
    text = "4242 (python3 (x) y) S 17 4200 4200 0 -1 4194560 " + "0 " * 40
    assert lifecycle_probe.parse_stat(text) == ("S", 17, 4200)


def test_process_table_knows_this_process():
    table = lifecycle_probe.process_table()
    state, ppid, pgid = table[os.getpid()]
    assert ppid == os.getppid() and pgid == os.getpgrp()
    assert os.getpid() in lifecycle_probe.children(os.getppid(), table)
    assert lifecycle_probe.parent_of(os.getpid()) == os.getppid()
    assert lifecycle_probe.alive(os.getpid())


def test_a_missing_process_has_no_parent():
    assert lifecycle_probe.parent_of(0) == 0
    assert not lifecycle_probe.alive(0)


def test_written_app_answers_its_version_and_marks_loaded(tmp_path: Path):
    lifecycle.write_app(tmp_path, "v1")
    lifecycle.write_app(tmp_path, "v2")  # rewritten in place
    namespace: dict = {"__file__": str(tmp_path / "lifecycle_app.py")}
    source = (tmp_path / "lifecycle_app.py").read_text()
    exec(compile(source, namespace["__file__"], "exec"), namespace)
    seen = []
    body = namespace["application"]({}, lambda status, headers: seen.append((status, headers)))
    assert lifecycle_probe.parse_body(b"".join(body)) == ("v2", os.getpid())
    assert seen[0][0] == "200 OK"
    assert (tmp_path / f"loaded-{os.getpid()}").exists()
    assert not list(tmp_path.glob(".*.tmp"))


def samples(*items: tuple[float, str]) -> list[Sample]:
    return [Sample(t, version, 100, 1, "" if version else "ConnectionRefusedError")
            for t, version in items]


def test_new_code_summary():
    got = samples((1.0, "v1"), (2.0, "v1"), (2.5, ""), (2.7, "v2"), (2.8, "v1"), (3.0, "v2"))
    latency, old_after = lifecycle_probe.new_code_summary(got, signalled=2.2)
    assert latency == pytest.approx(0.5)
    assert old_after == 1


def test_new_code_summary_before_the_signal_does_not_count():
    latency, old_after = lifecycle_probe.new_code_summary(samples((1.0, "v2"), (2.0, "v1")), 1.5)
    assert latency is None and old_after == 0


def test_probe_errors():
    got = samples((1.0, ""), (2.0, "v1"), (3.0, ""))
    got.append(Sample(4.0, error="status 502"))
    assert lifecycle_probe.probe_errors(got) == {"ConnectionRefusedError": 2, "status 502": 1}


def outcome(**changes) -> Outcome:
    base = Outcome("hup", "keepalive", "ours", requests=1000, requests_per_sec=100.0,
                   socket_errors={"connect": 0, "read": 3, "write": 0, "timeout": 1},
                   non_2xx_3xx=2, probe_answered=9, probe_errors={"RemoteDisconnected": 1},
                   new_code_s=0.25, v1_after_v2=0, workers_seen=4, notes="old workers gone")
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def test_cells():
    row = lifecycle.cells(outcome())
    assert len(row) == len(lifecycle.HEAD)
    named = dict(zip(lifecycle.HEAD, row, strict=True))
    assert named["read"] == "3" and named["timeout"] == "1" and named["non-2xx"] == "2"
    assert named["probe failed"] == "1/10 (RemoteDisconnected 1)"
    assert named["new code s"] == "0.25" and named["v1 after v2"] == "0"


def test_cells_of_a_failed_run_and_of_leftovers():
    row = lifecycle.cells(outcome(error="ours exited with code 1\nlast log line"))
    assert len(row) == len(lifecycle.HEAD) and row[3] == "FAILED"
    row = lifecycle.cells(outcome(leftovers=["99 (new master)"], recycled=5))
    assert row[-1].startswith("5 workers retired") and "LEFT RUNNING: 99" in row[-1]


def test_report_table_and_markdown():
    report = lifecycle.LifecycleReport(
        "lifecycle", "title", {"command": "python3 bench/lifecycle.py -d 8"},
        {"ours (hup)": "python -m wsgiserver"}, [outcome(), outcome(server="gunicorn")], [], {})
    assert not report.failed
    lines = report.table().splitlines()
    assert len(lines) == 4 and lines[0].startswith("scenario")
    markdown = report.markdown()
    assert markdown.splitlines()[2] == "`python3 bench/lifecycle.py -d 8`"
    header = next(line for line in markdown.splitlines() if line.startswith("| scenario"))
    assert header.count("|") == len(lifecycle.HEAD) + 1
    assert report.to_json()["rows"][1]["server"] == "gunicorn"
    report.rows.append(outcome(leftovers=["1 (group 1)"]))
    assert report.failed


def test_compute_ratios_without_ratios_takes_any_rows():
    assert common.compute_ratios([], [outcome()]) == []


def opts(**changes) -> argparse.Namespace:
    base = dict(wrk_cpu=1, wrk_threads=1, connections=50, wrk_timeout=5.0)
    return argparse.Namespace(**{**base, **changes})


def test_wrk_argv_extra_options_before_the_url():
    argv = common.wrk_argv("http://127.0.0.1:1/x", opts(), 8, ("-H", "Connection: close"))
    assert argv[:3] == ["taskset", "-c", "1"]
    assert argv[-3:] == ["-H", "Connection: close", "http://127.0.0.1:1/x"]
    assert common.wrk_argv("http://127.0.0.1:1/x", opts(wrk_cpu=None), 8)[-1].endswith("/x")


def test_gunicorn_spec_workers_and_extra(monkeypatch):
    monkeypatch.setattr(common, "_gunicorn_has_control_socket", lambda: False)
    argv = common.gunicorn_spec("g", "app:application", 4, 2, ("--max-requests", "9")).build(5)
    assert argv[argv.index("-w") + 1] == "2"
    assert argv[-3:] == ["-b", "127.0.0.1:5", "app:application"]
    assert "--max-requests" in argv
    default = common.gunicorn_spec("g", "a:b", 4).build(5)
    assert default[default.index("-w") + 1] == "1"


def test_server_specs_run_in_the_app_folder(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(common, "_gunicorn_has_control_socket", lambda: False)
    specs = lifecycle.server_specs(tmp_path)
    assert set(specs) == {(s, c) for s in lifecycle.SERVERS for c in lifecycle.SCENARIOS}
    for spec in specs.values():
        assert spec.cwd == tmp_path
        assert spec.env["PYTHONPATH"].split(os.pathsep)[0] == str(tmp_path)
    ours = specs["ours", "max-requests"].build(7)
    assert ours[:3] == [sys.executable, "-m", "wsgiserver"]
    assert "--max-requests-jitter" in ours and "-w" in ours
    assert "--max-requests" not in specs["gunicorn", "hup"].build(7)
