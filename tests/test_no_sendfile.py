"""--no-sendfile: files go out by read() and send(), never os.sendfile."""

from __future__ import annotations

import os

import pytest

from tests.helpers import Client
from wsgiserver.testing import live_server

BIG = bytes(range(256)) * 12_000  # 3 MB: over the small-file caches, many sends


def file_app(path: str):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return environ["wsgi.file_wrapper"](open(path, "rb"))
    return app


@pytest.fixture
def big_file(tmp_path):
    (tmp_path / "big.bin").write_bytes(BIG)
    return tmp_path


@pytest.fixture
def sendfile_calls(monkeypatch):
    calls = []
    real = os.sendfile

    def counting(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(os, "sendfile", counting)
    return calls


def fetch_both(live) -> None:
    with Client.to(live) as client:
        static = client.request("/static/big.bin")
        wrapped = client.request("/app/")
        ranged = client.request("/static/big.bin", headers=[("Range", "bytes=1000-1999")])
    assert (static.status, static.body) == (200, BIG)
    assert (wrapped.status, wrapped.body) == (200, BIG)
    assert (ranged.status, ranged.body) == (206, BIG[1000:2000])


@pytest.mark.parametrize("threads", [0, 2])
def test_no_sendfile_sends_files_without_os_sendfile(big_file, sendfile_calls, threads):
    with live_server(file_app(str(big_file / "big.bin")), static_root=str(big_file),
                     static_url="/static/", sendfile=False, threads=threads) as live:
        fetch_both(live)
    assert sendfile_calls == []


def test_by_default_files_go_by_os_sendfile(big_file, sendfile_calls):
    with live_server(file_app(str(big_file / "big.bin")), static_root=str(big_file),
                     static_url="/static/") as live:
        fetch_both(live)
    assert sendfile_calls
