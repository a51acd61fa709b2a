"""Fixtures shared by the live-server tests."""

from wsgiref.validate import validator

import pytest


def plain(app):
    return app


@pytest.fixture(params=[plain, validator], ids=["plain", "validated"])
def wrap(request):
    """Each test app as it is, and wrapped in wsgiref's PEP 3333 validator."""
    return request.param


@pytest.fixture(params=[4, 0], ids=["threads4", "threads0"])
def threads(request):
    """The default thread pool, and the app run inline on the event loop."""
    return request.param
