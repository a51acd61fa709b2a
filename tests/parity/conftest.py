"""Fixtures of the parity suite: gunicorn and wsgiserver, started once per session.

Every parity test fails if wsgiref.validate or WebTest's lint found a PEP 3333
violation by wsgiserver while it ran (see parity_app.VIOLATIONS). Their
warnings are errors here, except the one about methods they do not know
(PROPFIND, PURGE, ... are legal methods).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE.parent.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent.parent))  # apps/ and wsgiserver/ under plain `pytest`

import parity_app  # noqa: E402
import parity_harness  # noqa: E402

STRICT_WARNINGS = (
    "error::wsgiref.validate.WSGIWarning",
    "error::webtest.lint.WSGIWarning",
    "ignore:Unknown REQUEST_METHOD",
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).resolve().parent == HERE:
            for spec in STRICT_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(spec))


@pytest.fixture(scope="session")
def servers():
    """{"gunicorn": ..., "wsgiserver": ...}, each with a .port on 127.0.0.1."""
    started = {}
    try:
        started["gunicorn"] = parity_harness.Gunicorn()
        started["wsgiserver"] = parity_harness.WSGIServerUnderTest()
        yield started
    finally:
        for server in started.values():
            server.stop()


@pytest.fixture(autouse=True)
def no_pep3333_violations():
    del parity_app.VIOLATIONS[:]
    yield
    found = list(parity_app.VIOLATIONS)
    del parity_app.VIOLATIONS[:]
    assert not found, "PEP 3333 violations by wsgiserver:\n" + "\n".join(found)
