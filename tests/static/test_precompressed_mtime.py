"""Precompressed siblings whose mtime is a hair older than their file (issue 12).

whitenoise's CompressedManifestStaticFilesStorage leaves about half of its
`.gz`/`.br` siblings a few nanoseconds older than the file they compress;
comparing `st_mtime_ns` exactly called them stale and served the plain file
without `Vary`. A sibling older by more than the slack (a file edited after
it was compressed) is still refused.
"""

from __future__ import annotations

import os

import pytest
from helpers import Client

from wsgiserver.testing import live_server

PLAIN = b"console.log('plain');"
GZIPPED = b"GZIP-BYTES"
BROTLI = b"BROTLI-BYTES"


def write_pair(root, name: str, older_by_ns: int) -> None:
    """`name` and its .gz and .br siblings, the siblings `older_by_ns` older."""
    (root / name).write_bytes(PLAIN)
    (root / (name + ".gz")).write_bytes(GZIPPED)
    (root / (name + ".br")).write_bytes(BROTLI)
    mtime = 1_700_000_000_123_456_789  # fixed, with nanoseconds, so both cases are exact
    os.utime(root / name, ns=(mtime, mtime))
    for suffix in (".gz", ".br"):
        os.utime(root / (name + suffix), ns=(mtime - older_by_ns, mtime - older_by_ns))


@pytest.fixture
def root(tmp_path):
    write_pair(tmp_path, "hair.js", older_by_ns=7)  # as whitenoise leaves them
    write_pair(tmp_path, "stale.js", older_by_ns=60 * 10**9)  # edited a minute after
    return tmp_path


@pytest.mark.parametrize("accept, body, coding", [
    ("gzip", GZIPPED, "gzip"), ("br", BROTLI, "br"), (None, PLAIN, None)])
def test_a_sibling_nanoseconds_older_is_used_and_varies(root, accept, body, coding):
    headers = [("Accept-Encoding", accept)] if accept else []
    with live_server(None, static_root=str(root)) as server, Client.to(server) as client:
        response = client.request("/hair.js", headers=headers)
        assert response.status == 200
        assert response.body == body
        assert response.header("Content-Encoding") == coding
        assert response.header("Vary") == "Accept-Encoding"


def test_a_sibling_a_minute_older_is_stale(root):
    with live_server(None, static_root=str(root)) as server, Client.to(server) as client:
        response = client.request("/stale.js", headers=[("Accept-Encoding", "gzip, br")])
        assert response.status == 200
        assert response.body == PLAIN
        assert response.header("Content-Encoding") is None
        assert response.header("Vary") is None

