"""The case table itself, and docs/parity.md being what the suite gives today."""

from __future__ import annotations

import importlib.util
import re

import parity_app
import parity_harness

REPORT_SCRIPT = parity_harness.REPO / "scripts" / "parity_report.py"
CITATION = re.compile(r"(RFC \d{4} \d|PEP 3333)")
REQUIRED_CATEGORIES = (
    "browser and API requests", "HTTP/1.0 and HTTP/1.1", "keep-alive and pipelining",
    "chunked uploads", "Expect, HEAD and OPTIONS", "request targets and paths",
    "header fields in the environ", "odd but legal syntax", "malformed: framing conflicts",
    "malformed: chunked bodies", "malformed: header fields",
    "malformed: request lines and versions", "malformed: oversized parts",
    "misbehaving apps",
)


def load_report_module():
    spec = importlib.util.spec_from_file_location("parity_report", REPORT_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_corpus_is_large_and_covers_every_category():
    cases = parity_harness.load_cases()
    assert len(cases) >= 200
    assert {case.category for case in cases} >= set(REQUIRED_CATEGORIES)


def test_every_difference_is_reasoned_and_cites_its_source():
    for case in parity_harness.load_cases():
        if case.difference:
            assert CITATION.search(case.difference), f"{case.id}: cite an RFC section or PEP"
            assert case.ours, f"{case.id}: a difference states what wsgiserver answers"


def test_malformed_input_is_refused_by_wsgiserver():
    """The malformed request of each such case is refused: it ends the exchange with an
    error or with silence, and only well-formed requests before it reach the app."""
    for case in parity_harness.load_cases():
        if case.category.startswith("malformed:"):
            codes = [code for code in case.expected_status("wsgiserver") if code >= 200]
            assert not codes or codes[-1] >= 400, f"{case.id}: expects {codes}"
            good = len([code for code in codes if code < 400])
            assert case.expected_calls("wsgiserver") in (None, good), (
                f"{case.id}: malformed input must not reach the app")


def test_every_gunicorn_setting_is_in_the_table_with_its_flags():
    """wsgiserver/settings/gunicorn.py lists the installed gunicorn's settings, in order."""
    from gunicorn.config import KNOWN_SETTINGS

    from wsgiserver.settings.gunicorn import GUNICORN

    assert [(s.name, tuple(s.cli or ())) for s in KNOWN_SETTINGS] == [
        (s.name, s.flags) for s in GUNICORN]


def test_every_gunicorn_setting_we_lack_says_why():
    rows = load_report_module().options_rows()
    assert len(rows) == len(load_report_module().GUNICORN)
    unexplained = [flag for flag, ours, note in rows if ours == "not supported"
                   and note == "not supported yet"]
    assert not unexplained, f"give a reason in wsgiserver/settings/gunicorn.py: {unexplained}"
    assert ("--access-logfile", "--access-logfile") in [row[:2] for row in rows]


def test_every_option_only_we_have_is_explained():
    rows = load_report_module().ours_only_rows()
    assert any(flag == "--limit-per-client" for flag, _ in rows)
    unexplained = [flag for flag, note in rows if not note]
    assert not unexplained, f"add these options of ours to OURS_ONLY: {unexplained}"


def test_docs_parity_md_is_current(servers):
    """Regenerate the report from this session's outcomes (running any case not run yet)."""
    report = load_report_module()
    cases = parity_harness.load_cases()
    for case in cases:
        if case.id not in parity_harness.OUTCOMES:
            result = parity_harness.run_case(servers, case)
            found = parity_harness.outcome(case, result)
            if parity_app.VIOLATIONS:
                found["kind"] = "failing"
                found["problems"] = found["problems"] + list(parity_app.VIOLATIONS)
                del parity_app.VIOLATIONS[:]
            parity_harness.OUTCOMES[case.id] = found
    text = report.render(cases, parity_harness.OUTCOMES, report.options_rows())
    current = report.REPORT.read_text("utf-8") if report.REPORT.exists() else ""
    assert current == text, "docs/parity.md is out of date: run python scripts/parity_report.py"
