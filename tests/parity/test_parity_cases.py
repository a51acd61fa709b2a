"""Every case of cases/*.toml against gunicorn and wsgiserver, whole and byte by byte.

A case passes when both servers give the view the case expects: the same
view (status, headers that matter, framing, body, the environ the app saw,
app calls, connection state), or, for a documented difference, each server
its own documented answer. Each case is also sent one byte per send() and
must give each server the same view as when sent whole.
"""

from __future__ import annotations

import parity_app
import parity_harness
import pytest

CASES = parity_harness.load_cases()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case(servers, case):
    result = parity_harness.run_case(servers, case)
    found = parity_harness.outcome(case, result)
    if parity_app.VIOLATIONS:
        found["kind"] = "failing"
        found["problems"] = found["problems"] + list(parity_app.VIOLATIONS)
        del parity_app.VIOLATIONS[:]  # reported here, not again by the autouse fixture
    parity_harness.OUTCOMES[case.id] = found
    assert not found["problems"], (f"{case.id} ({case.source}): {case.note}\n"
                                   + "\n".join(found["problems"]))
