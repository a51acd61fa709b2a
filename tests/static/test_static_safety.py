"""No file outside the static root, ever; and the caches and fds behind static files.

Every attack in the safety list is its own test case, in each mode where the
path belongs to the static files (no app, --static-url, --dynamic-suffix) and
in files-first mode with an app, where the app must get the request instead.
"""

from __future__ import annotations

import os
import socket
import time

import pytest
from helpers import Client, make_request, wait_until

from wsgiserver.static.cache import OpenFile
from wsgiserver.static.dispatch import StaticFiles
from wsgiserver.static.lookup import FILE
from wsgiserver.testing import live_server

SECRET = b"TOP-SECRET-CONTENT-42"


# Paths relative to tmp/: "root/" is the static root, everything else sits outside it.
FILES = {
    "root/index.html": b"home", "root/style.css": b"body{}", "root/sub/page.txt": b"page",
    "root/.env": SECRET, "root/.htpasswd": SECRET, "root/sub/.hidden": SECRET,
    "root/.git/config": SECRET,
    "root/.well-known/security.txt": b"Contact: mailto:security@example.com",
    "secret": SECRET, "outside/file.txt": SECRET, "root-evil/file": SECRET,
}
LINKS = {  # link in root/ -> its target
    "link-to-secret": "{tmp}/secret", "link-to-outside-dir": "{tmp}/outside",
    "link-to-sibling": "../root-evil/file", "alias.css": "style.css",
    "loop-a": "loop-b", "loop-b": "loop-a",
}


@pytest.fixture
def site(tmp_path):
    for name, content in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content)
    for name, target in LINKS.items():
        os.symlink(target.format(tmp=tmp_path), tmp_path / "root" / name)
    return tmp_path / "root"


def app(environ, start_response):
    body = b"app: " + environ["PATH_INFO"].encode("latin-1")
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]


MODES = {
    "no-app": (None, {}, ""),
    "prefix": (app, {"static_url": "/static/"}, "/static"),
    "suffix": (app, {"dynamic_suffix": ".py"}, ""),
    "files-first": (app, {}, ""),
}

ATTACKS = {
    "dot-dot": "/../secret",
    "dot-dot-deep": "/../../../../../../etc/passwd",
    "dot-dot-after-folder": "/sub/../../secret",
    "encoded-dot-dot": "/%2e%2e/secret",
    "encoded-dot-dot-upper": "/%2E%2E/secret",
    "half-encoded-dot-dot": "/.%2e/secret",
    "encoded-slash": "/..%2fsecret",
    "encoded-slash-upper": "/..%2Fsecret",
    "encoded-slash-joins-segments": "/sub%2fpage.txt",
    "encoded-backslash": "/..%5csecret",
    "raw-backslash": "/..\\secret",
    "nul-byte": "/style.css%00.txt",
    "nul-segment": "/sub/%00",
    "double-encoding": "/%252e%252e/secret",
    "double-encoded-slash": "/..%252fsecret",
    "overlong-utf8-dot": "/%c0%ae%c0%ae/secret",
    "overlong-utf8-slash": "/%c0%ae%c0%ae%c0%afsecret",
    "overlong-utf8-3-byte-dot": "/%e0%80%ae%e0%80%ae/secret",
    "invalid-utf8": "/%ff%fe",
    "double-slash": "//etc/passwd",
    "symlink-to-file-outside": "/link-to-secret",
    "symlink-to-folder-outside": "/link-to-outside-dir/file.txt",
    "symlink-to-sibling-named-like-root": "/link-to-sibling",
    "symlink-loop": "/loop-a",
    "dot-file": "/.env",
    "encoded-dot-file": "/%2eenv",
    "dot-file-in-folder": "/sub/.hidden",
    "dot-folder": "/.git/config",
    "htpasswd": "/.htpasswd",
    "absolute-form-dot-dot": "http://x/../secret",
}


def target_for(mode: str, attack: str) -> str:
    prefix = MODES[mode][2]
    path = ATTACKS[attack]
    if path.startswith("http://"):
        return "http://x" + prefix + path[len("http://x"):]
    return prefix + path


@pytest.mark.parametrize("attack", list(ATTACKS))
@pytest.mark.parametrize("mode", list(MODES))
def test_attack_never_reaches_a_file_outside_the_root(site, mode, attack):
    application, options, _ = MODES[mode]
    with live_server(application, static_root=str(site), **options) as server, \
            Client.to(server) as client:
        client.send(make_request(target_for(mode, attack), host="x"))
        response = client.read_response()
        assert SECRET not in response.body
        assert b"root:" not in response.body
        if response.status == 200:
            assert response.body.startswith(b"app: "), response  # only ever the app
        else:
            assert response.status in (400, 404), response


def test_symlink_inside_the_root_is_served(site):
    with live_server(None, static_root=str(site)) as server, Client.to(server) as client:
        assert client.request("/alias.css").body == b"body{}"


def test_follow_symlinks_serves_links_out_of_the_root(site):
    with live_server(None, static_root=str(site), follow_symlinks=True) as server, \
            Client.to(server) as client:
        assert client.request("/link-to-secret").body == SECRET
        assert client.request("/link-to-outside-dir/file.txt").body == SECRET
        # Still no way around the path checks:
        assert client.request("/%2e%2e/secret").status == 404
        assert client.request("/.env").status == 404
        assert client.request("/loop-a").status == 404


def test_follow_symlinks_never_serves_a_device(site):
    os.symlink("/dev/zero", site / "zero")
    with live_server(None, static_root=str(site), follow_symlinks=True) as server, \
            Client.to(server) as client:
        assert client.request("/zero").status == 404  # not a regular file: never endless


def test_fifo_is_not_served_and_never_blocks(site):
    os.mkfifo(site / "pipe")
    with live_server(None, static_root=str(site)) as server, Client.to(server) as client:
        assert client.request("/pipe").status == 404
        assert client.request("/style.css").status == 200


def test_well_known_is_the_one_visible_dot_folder(site):
    with live_server(None, static_root=str(site)) as server, Client.to(server) as client:
        assert client.request("/.well-known/security.txt").status == 200


@pytest.mark.parametrize("length", [256, 1000, 5000])
def test_over_long_name_is_404_not_500(site, length):
    with live_server(None, static_root=str(site), limit_request_line=0) as server, \
            Client.to(server) as client:
        response = client.request("/" + "a" * length)
        assert response.status == 404
        assert client.request("/sub/" + "%C3%A9" * (length // 2 + 1)).status == 404


def test_over_long_path_of_many_segments_is_404(site):
    with live_server(None, static_root=str(site), limit_request_line=0) as server, \
            Client.to(server) as client:
        assert client.request("/" + "/".join(["abcdefgh"] * 1000)).status == 404
        assert client.request("/style.css").status == 200


def test_longest_allowed_name_is_served(site):
    name = "n" * 251 + ".txt"
    (site / name).write_bytes(b"long")
    with live_server(None, static_root=str(site)) as server, Client.to(server) as client:
        assert client.request("/" + name).body == b"long"
        assert client.request("/" + name + ".gz").status == 404  # 260 bytes: no OSError


def test_over_long_sibling_name_does_not_break_the_file(site):
    name = "m" * 252 + ".js"  # 255 bytes: fine for the file, too long for name + ".br"
    (site / name).write_bytes(b"x")
    with live_server(None, static_root=str(site)) as server, Client.to(server) as client:
        response = client.request("/" + name, headers=[("Accept-Encoding", "br, gzip")])
        assert response.status == 200 and response.header("Content-Encoding") is None


# -- the lookup cache and file changes --

def test_deleted_file_is_404_at_once_even_when_cached(site):
    (site / "gone.bin").write_bytes(os.urandom(200_000))
    with live_server(None, static_root=str(site), static_cache_seconds=60) as server, \
            Client.to(server) as client:
        assert client.request("/gone.bin").status == 200
        os.remove(site / "gone.bin")
        assert client.request("/gone.bin").status == 404


def test_replaced_large_file_is_never_sent_with_old_headers(site):
    (site / "big.bin").write_bytes(b"a" * 200_000)
    with live_server(None, static_root=str(site), static_cache_seconds=60) as server, \
            Client.to(server) as client:
        assert client.request("/big.bin").body == b"a" * 200_000
        (site / "new.bin").write_bytes(b"b" * 100_000)
        os.replace(site / "new.bin", site / "big.bin")
        response = client.request("/big.bin")
        assert response.body == b"b" * 100_000
        assert response.header("Content-Length") == "100000"


def test_changed_small_file_shows_within_the_cache_time(site):
    with live_server(None, static_root=str(site), static_cache_seconds=1) as server, \
            Client.to(server) as client:
        assert client.request("/style.css").body == b"body{}"
        (site / "style.css").write_bytes(b"body{color:red}")
        assert wait_until(lambda: client.request("/style.css").body == b"body{color:red}",
                          timeout=3)


def test_no_cache_sees_every_change_at_once(site):
    with live_server(None, static_root=str(site), static_cache_seconds=0) as server, \
            Client.to(server) as client:
        assert client.request("/new.txt").status == 404
        (site / "new.txt").write_bytes(b"new")
        assert client.request("/new.txt").body == b"new"
        (site / "new.txt").write_bytes(b"newer!")
        assert client.request("/new.txt").body == b"newer!"


def test_lookup_cache_is_bounded(site):
    files = StaticFiles(str(site), cache_size=10)
    for i in range(100):
        files.lookup(f"/missing-{i}".encode())
    assert len(files._cache) <= 10
    assert files.lookup(b"/style.css").kind == FILE


def test_query_strings_share_one_cache_entry(site):
    files = StaticFiles(str(site))
    for i in range(50):
        files.lookup(f"/style.css?v={i}".encode())
    assert len(files._cache) == 1


# -- fds and memory --

def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_no_fd_leaks(site):
    big = os.urandom(3 << 20)
    (site / "big.bin").write_bytes(big)
    with live_server(None, static_root=str(site)) as server:
        with Client.to(server) as client:
            client.request("/big.bin")
        time.sleep(0.2)
        baseline = open_fds()
        with Client.to(server) as client:
            for headers in ([], [("Range", "bytes=0-10")], [("Range", "bytes=0-10,100-200,-5")],
                            [("Range", "bytes=99999999-")]):
                client.request("/big.bin", headers=headers)
                client.request("/big.bin", headers=headers, method="HEAD")
        for _ in range(5):  # clients that leave in the middle of a body
            sock = socket.create_connection((server.host, server.port))
            multipart = make_request("/big.bin", headers=[("Range", "bytes=0-1,5-")])
            sock.sendall(multipart + make_request("/big.bin"))
            sock.recv(1000)
            sock.close()
        assert wait_until(lambda: open_fds() <= baseline, timeout=5), (open_fds(), baseline)


def test_large_files_are_never_read_into_memory(site, monkeypatch):
    big = os.urandom(5 << 20)
    (site / "big.bin").write_bytes(big)
    reads = []
    real_pread, real_read = os.pread, os.read

    def pread(fd, size, offset):
        reads.append(size)
        return real_pread(fd, size, offset)

    def read(fd, size):
        reads.append(size)
        return real_read(fd, size)

    monkeypatch.setattr(os, "pread", pread)
    monkeypatch.setattr(os, "read", read)
    with live_server(None, static_root=str(site)) as server, Client.to(server) as client:
        assert client.request("/big.bin").body == big
        assert client.request("/big.bin", headers=[("Range", "bytes=0-9,-10")]).status == 206
    assert all(size <= 1 << 20 for size in reads), max(reads)


def test_body_of_a_large_file_is_an_open_file_and_small_ones_are_cached(site):
    (site / "big.bin").write_bytes(b"x" * 200_000)
    files = StaticFiles(str(site))
    big = files.body(files.lookup(b"/big.bin").resource.file)
    assert isinstance(big, OpenFile)
    big.release()
    small = files.lookup(b"/style.css").resource.file
    assert files.body(small) == b"body{}"
    assert files.contents.get(small.identity) == b"body{}"


def test_open_file_closes_after_the_last_segment(site):
    fd = os.open(site / "style.css", os.O_RDONLY)
    shared = OpenFile(fd)
    segments = [shared.segment(0, 1), shared.segment(1, 1)]
    shared.release()
    segments[0].done()
    os.fstat(fd)  # still open: a segment is left
    segments[1].done()
    with pytest.raises(OSError):
        os.fstat(fd)
