"""The `split` fixture: each way tests/http cuts request bytes (whole, byte by byte, random)."""

import pytest

from tests.http.corpus import SPLITS


@pytest.fixture(params=SPLITS, ids=lambda f: f.__name__)
def split(request):
    return request.param
