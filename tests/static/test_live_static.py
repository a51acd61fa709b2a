"""Static files through the live server, and path traversal that must never work."""

from __future__ import annotations

import os
from email.utils import formatdate, parsedate_to_datetime

import pytest
from helpers import Client, make_request

from wsgiserver.testing import live_server

SECRET = b"TOP-SECRET-CONTENT-42"


@pytest.fixture
def site(tmp_path):
    """tmp/root is the static root; tmp/secret and tmp/root-evil/file sit next to it."""
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "index.html").write_bytes(b"<!doctype html><title>home</title>")
    (root / "style.css").write_bytes(b"body { color: red }")
    (root / "data.json").write_bytes(b'{"a": 1}')
    (root / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10)
    (root / "sub" / "page.txt").write_bytes(b"a page in a folder")
    (root / "sub" / "index.html").write_bytes(b"sub index")
    (root / "with space.txt").write_bytes(b"spaced")
    (tmp_path / "secret").write_bytes(SECRET)
    (tmp_path / "root-evil").mkdir()
    (tmp_path / "root-evil" / "file").write_bytes(SECRET)
    os.symlink(tmp_path / "secret", root / "link-to-secret")
    os.symlink(tmp_path, root / "link-to-parent")
    os.symlink("../root-evil/file", root / "link-to-sibling")
    os.symlink("/etc/passwd", root / "passwd")
    return root


def app_for_the_rest(environ, start_response):
    body = b"app: " + environ["PATH_INFO"].encode("latin-1")
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]


@pytest.mark.parametrize("path, content_type", [
    ("/style.css", "text/css; charset=utf-8"),
    ("/data.json", "application/json; charset=utf-8"),
    ("/image.png", "image/png"),
    ("/sub/page.txt", "text/plain; charset=utf-8"),
    ("/index.html", "text/html; charset=utf-8"),
])
def test_static_file_is_served(site, threads, path, content_type):
    expected = (site / path.lstrip("/")).read_bytes()
    mtime = (site / path.lstrip("/")).stat().st_mtime
    with live_server(None, static_root=str(site), threads=threads) as server, \
            Client.to(server) as client:
        response = client.request(path)
        assert response.status == 200
        assert response.body == expected
        assert response.header("Content-Type") == content_type
        assert response.header("Content-Length") == str(len(expected))
        assert response.header("Last-Modified") == formatdate(mtime, usegmt=True)
        parsedate_to_datetime(response.header("Last-Modified"))
        assert not response.closes
        head = client.request(path, method="HEAD")
        assert head.status == 200
        assert head.body == b""
        assert head.header("Content-Length") == str(len(expected))
        assert head.header("Content-Type") == content_type
        assert client.request(path).body == expected  # nothing stray after the HEAD


def test_root_and_folders_serve_index_html(site):
    with live_server(None, static_root=str(site)) as server, Client.to(server) as client:
        assert client.request("/").body == (site / "index.html").read_bytes()
        assert client.request("/sub/").body == b"sub index"
        assert client.request("/?q=1").body == (site / "index.html").read_bytes()


def test_percent_encoded_name(site):
    with live_server(None, static_root=str(site)) as server, Client.to(server) as client:
        assert client.request("/with%20space.txt").body == b"spaced"


def test_static_only_mode_gives_404_for_the_rest(site, threads):
    with live_server(None, static_root=str(site), threads=threads) as server, \
            Client.to(server) as client:
        for path in ("/missing.html", "/sub/missing", "/x/y/z"):
            response = client.request(path)
            assert response.status == 404, path
        # issue 3: a folder without its trailing slash is redirected, as nginx does
        response = client.request("/sub")
        assert response.status == 301 and response.header("Location") == "/sub/"
        response = client.request("/missing", method="POST", body=b"data")
        assert response.status == 404
        assert client.request("/style.css").status == 200  # still alive


def test_static_files_before_the_app(site):
    with live_server(app_for_the_rest, static_root=str(site)) as server, \
            Client.to(server) as client:
        assert client.request("/style.css").body == b"body { color: red }"
        assert client.request("/dynamic").body == b"app: /dynamic"
        assert client.request("/style.css", method="POST", body=b"x").body == b"app: /style.css"


def test_many_static_requests_pipelined(site, threads):
    with live_server(None, static_root=str(site), threads=threads) as server, \
            Client.to(server) as client:
        paths = ["/style.css", "/nope", "/data.json", "/image.png", "/"] * 4
        client.send(b"".join(make_request(p) for p in paths))
        for path in paths:
            response = client.read_response()
            if path == "/nope":
                assert response.status == 404
            else:
                name = "index.html" if path == "/" else path.lstrip("/")
                assert response.body == (site / name).read_bytes()


TRAVERSALS = [
    "/../secret",
    "/%2e%2e/secret",
    "/%2E%2E/secret",
    "/%2e%2e%2fsecret",
    "/..%2fsecret",
    "/..%2Fsecret",
    "/%2e%2e%5csecret",
    "/..%5csecret",
    "/sub/../../secret",
    "/sub/%2e%2e/%2e%2e/secret",
    "/./../secret",
    "/.%2e/secret",
    "/a/%00",
    "/secret%00.html",
    "/%c0%ae%c0%ae/secret",
    "/%c0%ae%c0%ae%c0%afsecret",
    "/%25%32%65%25%32%65/secret",
    "/link-to-secret",
    "/link-to-parent/secret",
    "/link-to-sibling",
    "/passwd",
    "//etc/passwd",
    "/../../../../../../etc/passwd",
    "/..\\secret",
    "/../root-evil/file",
    "http://x/../secret",
    "http://x/%2e%2e/secret",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_traversal_never_leaks_a_file_outside_the_root(site, target):
    with live_server(None, static_root=str(site)) as server, Client.to(server) as client:
        client.send(make_request(target, host="x"))
        response = client.read_response()
        assert response.status in (400, 404), response
        assert SECRET not in response.body
        assert b"root:" not in response.body


@pytest.mark.parametrize("target", ["/link-to-secret", "/link-to-parent/secret",
                                    "/%2e%2e/secret", "//etc/passwd", "/passwd"])
def test_traversal_with_an_app_reaches_the_app_not_the_file(site, target):
    with live_server(app_for_the_rest, static_root=str(site)) as server, \
            Client.to(server) as client:
        response = client.request(target)
        assert SECRET not in response.body
        assert b"root:" not in response.body
        assert response.status in (200, 400, 404)
        if response.status == 200:
            assert response.body.startswith(b"app: ")


def test_symlink_inside_the_root_is_served(site):
    os.symlink("style.css", site / "alias.css")
    with live_server(None, static_root=str(site)) as server, Client.to(server) as client:
        assert client.request("/alias.css").body == b"body { color: red }"


def test_dot_files_are_not_served(site):
    (site / ".env").write_bytes(SECRET)
    with live_server(None, static_root=str(site)) as server, Client.to(server) as client:
        response = client.request("/.env")
        assert response.status == 404
        assert SECRET not in response.body


def test_missing_static_root_serves_the_app(tmp_path):
    with live_server(app_for_the_rest, static_root=str(tmp_path / "none")) as server, \
            Client.to(server) as client:
        assert client.request("/index.html").body == b"app: /index.html"


def test_large_static_file(tmp_path, threads):
    root = tmp_path / "root"
    root.mkdir()
    data = os.urandom(1 << 20) * 12
    (root / "big.bin").write_bytes(data)
    with live_server(None, static_root=str(root), threads=threads) as server, \
            Client.to(server) as client:
        response = client.request("/big.bin")
        assert response.header("Content-Type") == "application/octet-stream"
        assert response.body == data


@pytest.mark.parametrize("transport", ["tcp", "unix"])
def test_file_bodies_sent_after_their_head_arrive_whole(tmp_path, transport):
    # A head queued before a file is sent with MSG_MORE, so the kernel holds it
    # for the file's bytes. Nothing may stay held: not when the file is bigger
    # than a socket buffer, nor empty, nor for HEAD, nor between range parts.
    root = tmp_path / "root"
    root.mkdir()
    big = os.urandom(3 * 2**20)
    (root / "big.bin").write_bytes(big)
    (root / "empty.txt").write_bytes(b"")
    unix_path = str(tmp_path / "server.sock")
    with live_server(None, static_root=str(root),
                     bind=["127.0.0.1:0", f"unix:{unix_path}"]) as server, \
            (Client.to(server) if transport == "tcp" else Client(unix_path=unix_path)) as client:
        for _ in range(2):
            response = client.request("/big.bin")
            assert (response.status, response.body == big) == (200, True)
        response = client.request("/big.bin", method="HEAD")
        assert (response.body, response.header("Content-Length")) == (b"", str(len(big)))
        response = client.request("/big.bin", headers=[("Range", "bytes=0-9,2000000-2000009")])
        assert response.status == 206
        assert big[:10] in response.body and big[2000000:2000010] in response.body
        response = client.request("/empty.txt")  # the last response: nothing follows it
        assert (response.status, response.body, response.header("Content-Length")) == (
            200, b"", "0")
