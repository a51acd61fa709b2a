"""`--autoindex` listings carry a validator and answer conditional GETs (issue 12).

A listing went out with `Cache-Control: no-cache` and no ETag or
Last-Modified, so every revalidation was a full page (REDbot warns). It now
has a strong ETag made from the page: If-None-Match with it is a 304, and
anything that changes the page (a new file, a file that became a folder)
changes the tag. No Last-Modified: the folder's mtime does not follow every
change of the page.
"""

from __future__ import annotations

import os

import pytest
from helpers import Client

from wsgiserver.testing import live_server


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "root"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "a.txt").write_bytes(b"a")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "f.txt").write_bytes(b"f")
    return root


@pytest.fixture
def client(root):
    # follow_symlinks: the retargeted-link test points outside the root.
    with live_server(None, static_root=str(root), autoindex=True,
                     follow_symlinks=True) as server, Client.to(server) as client:
        yield client


def listing(client, *headers, method="GET"):
    return client.request("/docs/", headers=headers, method=method)


def test_a_listing_has_a_strong_etag_and_no_last_modified(client):
    page = listing(client)
    assert page.status == 200 and b"a.txt" in page.body
    etag = page.header("ETag")
    assert etag and etag.startswith('"') and etag.endswith('"')
    assert page.header("Last-Modified") is None
    assert page.header("Cache-Control") == "no-cache"
    assert listing(client).header("ETag") == etag  # the same page, the same tag
    assert listing(client, method="HEAD").header("ETag") == etag


def test_if_none_match_with_the_tag_is_a_304(client):
    etag = listing(client).header("ETag")
    for value in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = listing(client, ("If-None-Match", value))
        assert again.status == 304, value
        assert again.body == b""
        assert again.header("ETag") == etag
        assert again.header("Cache-Control") == "no-cache"
    assert listing(client, ("If-None-Match", '"other"')).status == 200


def test_if_match_with_another_tag_is_a_412(client):
    etag = listing(client).header("ETag")
    assert listing(client, ("If-Match", '"other"')).status == 412
    assert listing(client, ("If-Match", etag)).status == 200


def test_dates_are_ignored_without_a_last_modified(client):
    far_future = "Fri, 01 Jan 2100 00:00:00 GMT"
    assert listing(client, ("If-Modified-Since", far_future)).status == 200
    assert listing(client, ("If-Unmodified-Since", "Thu, 01 Jan 1970 00:00:00 GMT")).status \
        == 200


def test_adding_a_file_changes_the_tag(client, root):
    etag = listing(client).header("ETag")
    (root / "docs" / "b.txt").write_bytes(b"b")
    changed = listing(client, ("If-None-Match", etag))
    assert changed.status == 200 and b"b.txt" in changed.body
    assert changed.header("ETag") != etag


def test_a_child_that_becomes_a_folder_changes_the_tag(client, root, tmp_path):
    # Retargeting the link in place leaves docs/ itself (and its mtime) untouched.
    (tmp_path / "elsewhere" / "dir").mkdir()
    link = root / "docs" / "link"
    os.symlink(tmp_path / "elsewhere" / "f.txt", link)
    etag = listing(client).header("ETag")
    docs_mtime = os.stat(root / "docs").st_mtime_ns
    os.unlink(tmp_path / "elsewhere" / "f.txt")
    os.rename(tmp_path / "elsewhere" / "dir", tmp_path / "elsewhere" / "f.txt")
    assert os.stat(root / "docs").st_mtime_ns == docs_mtime
    changed = listing(client, ("If-None-Match", etag))
    assert changed.status == 200 and b'href="link/"' in changed.body
