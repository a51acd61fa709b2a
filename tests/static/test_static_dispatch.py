"""Which requests static files answer, and how: dispatch modes, methods, folders, 404 page.

Modes: files first (the default), `--dynamic-suffix` (the tutorial's), and
`--static-url` (a URL prefix); plus static-only when no app is given.
"""

from __future__ import annotations

import os

import pytest
from helpers import Client, run_cli

from wsgiserver.cli import build_parser, options_from
from wsgiserver.errors import ConfigError
from wsgiserver.settings import Config
from wsgiserver.testing import live_server

NOT_FOUND_PAGE = b"<!doctype html><title>Not found</title><p>custom 404</p>"


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "root"
    for folder in ("sub", "empty", "a b", "caf\u00e9", 'q"<x>', "static"):
        (root / folder).mkdir(parents=True)
    (root / "index.html").write_bytes(b"home")
    (root / "style.css").write_bytes(b"body{}")
    (root / "hello.py").write_bytes(b"print('source, never served in suffix mode')")
    (root / "page.html").write_bytes(b"a page")
    (root / "sub" / "index.html").write_bytes(b"sub index")
    (root / "sub" / "file.txt").write_bytes(b"sub file")
    (root / "static" / "inner.txt").write_bytes(b"root/static/inner.txt")
    (root / "empty" / "a.txt").write_bytes(b"a")
    (root / "404.html").write_bytes(NOT_FOUND_PAGE)
    return root


def app(environ, start_response):
    body = f"app: {environ['REQUEST_METHOD']} {environ['PATH_INFO']}".encode("latin-1")
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]


def request(server, path, method="GET", **kwargs):
    with Client.to(server) as client:
        return client.request(path, method=method, **kwargs)


def is_app(response) -> bool:
    return response.status == 200 and response.body.startswith(b"app: ")


# -- files first (default) --

def test_files_first_serves_files_and_passes_the_rest_to_the_app(root):
    with live_server(app, static_root=str(root)) as server:
        assert request(server, "/style.css").body == b"body{}"
        assert request(server, "/").body == b"home"
        assert request(server, "/sub/").body == b"sub index"
        assert request(server, "/hello.py").body.startswith(b"print(")
        assert request(server, "/missing").body == b"app: GET /missing"
        assert request(server, "/sub/missing").body == b"app: GET /sub/missing"


def test_files_first_folder_without_index_goes_to_the_app(root):
    with live_server(app, static_root=str(root)) as server:
        assert request(server, "/empty/").body == b"app: GET /empty/"
        assert request(server, "/empty").body == b"app: GET /empty"  # no redirect to nothing


def test_files_first_other_methods_go_to_the_app_and_options_is_answered(root):
    with live_server(app, static_root=str(root)) as server:
        assert request(server, "/style.css", "POST", body=b"x").body == b"app: POST /style.css"
        assert request(server, "/style.css", "DELETE").body == b"app: DELETE /style.css"
        options = request(server, "/style.css", "OPTIONS")
        assert options.status == 200
        assert options.header("Allow") == "GET, HEAD, OPTIONS"
        assert options.header("Content-Length") == "0"
        assert request(server, "/dynamic", "OPTIONS").body == b"app: OPTIONS /dynamic"


def test_files_first_404_page_is_only_for_static_misses(root):
    with live_server(app, static_root=str(root)) as server:
        assert request(server, "/missing.html").body == b"app: GET /missing.html"


# -- no app: everything is static --

@pytest.mark.parametrize("threads", [4, 0])
def test_no_app_uses_the_custom_404_page(root, threads):
    with live_server(None, static_root=str(root), threads=threads) as server:
        for path in ("/missing", "/sub/missing.css", "/empty/", "/%2e%2e/secret"):
            response = request(server, path)
            assert response.status == 404, path
            assert response.body == NOT_FOUND_PAGE
            assert response.header("Content-Type") == "text/html; charset=utf-8"
            assert response.header("X-Content-Type-Options") == "nosniff"
            assert response.header("Cache-Control") is None
        post = request(server, "/missing", "POST", body=b"data")
        assert post.status == 404 and post.body == NOT_FOUND_PAGE
        head = request(server, "/missing", "HEAD")
        assert head.status == 404 and head.header("Content-Length") == str(len(NOT_FOUND_PAGE))


def test_no_app_without_404_page_gives_plain_404(root):
    os.remove(root / "404.html")
    with live_server(None, static_root=str(root)) as server:
        response = request(server, "/missing")
        assert response.status == 404
        assert response.body == b"404 Not Found\n"
        assert response.header("Content-Type") == "text/plain; charset=utf-8"


def test_404_page_is_itself_served_with_200(root):
    with live_server(None, static_root=str(root)) as server:
        response = request(server, "/404.html")
        assert response.status == 200 and response.body == NOT_FOUND_PAGE


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "TRACE", "PROPFIND"])
def test_no_app_other_methods_on_a_file_give_405(root, method):
    with live_server(None, static_root=str(root)) as server, Client.to(server) as client:
        response = client.request("/style.css", method=method, body=b"x" * 10)
        assert response.status == 405
        assert response.header("Allow") == "GET, HEAD, OPTIONS"
        assert not response.closes
        assert client.request("/style.css").body == b"body{}"  # the body was skipped


def test_no_app_options(root):
    with live_server(None, static_root=str(root)) as server:
        for path in ("/style.css", "/", "/sub"):
            response = request(server, path, "OPTIONS")
            assert response.status == 200, path
            assert response.header("Allow") == "GET, HEAD, OPTIONS"
            assert response.body == b""
        assert request(server, "/missing", "OPTIONS").status == 404


def test_405_before_a_100_continue_body_closes_the_connection(root):
    # With threads the request is dispatched before its body; we never ask for it
    # (no 100 Continue), so where the next request would start is unknown: close.
    with live_server(None, static_root=str(root), threads=4) as server, \
            Client.to(server) as client:
        client.send(b"PUT /style.css HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                    b"Expect: 100-continue\r\n\r\n")
        response = client.read_response()
        assert response.status == 405
        assert response.closes


# -- --dynamic-suffix (the tutorial's mode) --

def test_dynamic_suffix_sends_suffix_paths_to_the_app_and_the_rest_are_files(root):
    with live_server(app, static_root=str(root), dynamic_suffix=".py") as server:
        assert request(server, "/hello.py").body == b"app: GET /hello.py"  # never the source
        assert request(server, "/hello%2Epy").body == b"app: GET /hello.py"
        assert request(server, "/other.py?x=1").body == b"app: GET /other.py"
        assert request(server, "/x.py", "POST", body=b"1").body == b"app: POST /x.py"
        assert request(server, "/style.css").body == b"body{}"
        assert request(server, "/").body == b"home"
        missing = request(server, "/missing")
        assert missing.status == 404 and missing.body == NOT_FOUND_PAGE
        assert request(server, "/style.css", "POST", body=b"1").status == 405
        assert request(server, "/missing", "POST", body=b"1").status == 404


def test_several_dynamic_suffixes(root):
    with live_server(app, static_root=str(root), dynamic_suffix=[".py", ".html"]) as server:
        assert request(server, "/page.html").body == b"app: GET /page.html"
        assert request(server, "/hello.py").body == b"app: GET /hello.py"
        assert request(server, "/style.css").body == b"body{}"


# -- --static-url (prefix mode) --

def test_static_url_prefix(root):
    with live_server(app, static_root=str(root), static_url="/static/") as server:
        assert request(server, "/static/style.css").body == b"body{}"
        assert request(server, "/static/").body == b"home"
        assert request(server, "/static/sub/file.txt").body == b"sub file"
        assert request(server, "/static/static/inner.txt").body == b"root/static/inner.txt"
        assert request(server, "/st%61tic/style.css").body == b"body{}"
        redirect = request(server, "/static")
        assert redirect.status == 301 and redirect.header("Location") == "/static/"
        sub = request(server, "/static/sub")
        assert sub.status == 301 and sub.header("Location") == "/static/sub/"
        missing = request(server, "/static/missing")
        assert missing.status == 404 and missing.body == NOT_FOUND_PAGE
        assert request(server, "/static/style.css", "POST", body=b"1").status == 405
        assert request(server, "/static/%2e%2e/index.html").status == 404
        for path in ("/style.css", "/", "/staticx/style.css", "/missing"):
            assert is_app(request(server, path)), path


def test_static_url_without_slashes_is_normalised(root):
    with live_server(app, static_root=str(root), static_url="/assets") as server:
        assert request(server, "/assets/style.css").body == b"body{}"
        assert is_app(request(server, "/assetsx"))


def test_precedence_dynamic_suffix_beats_static_url(root):
    with live_server(app, static_root=str(root), static_url="/static/",
                     dynamic_suffix=".py") as server:
        assert request(server, "/static/hello.py").body == b"app: GET /static/hello.py"
        assert request(server, "/static/style.css").body == b"body{}"
        assert is_app(request(server, "/style.css"))


# -- folders --

@pytest.mark.parametrize("path, location", [
    ("/sub", "/sub/"), ("/sub?a=1&b=%20", "/sub/?a=1&b=%20"), ("/a%20b", "/a%20b/"),
    ("/caf%C3%A9", "/caf%C3%A9/"), ("/q%22%3Cx%3E", "/q%22%3Cx%3E/"),
    ("/sub?x=%0d%0aSet-Cookie:1", "/sub/?x=%0d%0aSet-Cookie:1"),
])
def test_folder_without_slash_redirects_to_the_slash_form(root, path, location):
    with live_server(None, static_root=str(root)) as server:
        response = request(server, path)
        assert response.status == 301
        assert response.header("Location") == location
        assert "\r" not in response.header("Location")
        head = request(server, path, "HEAD")
        assert head.status == 301 and head.header("Location") == location


def test_encoded_slash_never_makes_an_open_redirect(root):
    with live_server(None, static_root=str(root)) as server:
        for path in ("/%2Fevil.example", "//evil.example", "/%5Cevil.example"):
            response = request(server, path)
            assert response.status == 404, path
            assert response.header("Location") is None


def test_folder_with_slash_and_no_index_is_404_without_autoindex(root):
    with live_server(None, static_root=str(root)) as server:
        response = request(server, "/empty/")
        assert response.status == 404
        assert b"a.txt" not in response.body


def test_file_with_a_trailing_slash_is_404(root):
    with live_server(None, static_root=str(root)) as server:
        assert request(server, "/style.css/").status == 404


def test_autoindex_lists_a_folder_safely(root, tmp_path):
    listed = root / "empty"
    (listed / '<img src=x onerror="alert(1)">.txt').write_bytes(b"x")
    (listed / "with space & amp.txt").write_bytes(b"x")
    (listed / ".hidden").write_bytes(b"x")
    (listed / "folder").mkdir()
    (tmp_path / "outside.txt").write_bytes(b"x")
    os.symlink(tmp_path / "outside.txt", listed / "escape.txt")
    with live_server(None, static_root=str(root), autoindex=True) as server:
        response = request(server, "/empty/")
        assert response.status == 200
        assert response.header("Content-Type") == "text/html; charset=utf-8"
        page = response.body.decode()
        assert "<img" not in page
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.txt" in page
        assert 'href="%3Cimg%20src=x%20onerror=%22alert(1)%22%3E.txt"' in page
        assert 'href="with%20space%20&amp;%20amp.txt"' in page
        assert "with space &amp; amp.txt" in page
        assert 'href="folder/"' in page
        assert 'href="a.txt"' in page
        assert 'href="../"' in page
        assert ".hidden" not in page and "escape.txt" not in page
        assert request(server, "/empty").header("Location") == "/empty/"
        assert request(server, "/sub/").body == b"sub index"  # index.html still wins


def test_autoindex_of_the_root_has_no_parent_link(root):
    os.remove(root / "index.html")
    with live_server(None, static_root=str(root), autoindex=True) as server:
        page = request(server, "/").body.decode()
        assert 'href="style.css"' in page and 'href="../"' not in page


def test_autoindex_with_an_app_lists_folders_instead_of_passing_them(root):
    with live_server(app, static_root=str(root), autoindex=True) as server:
        assert b'href="a.txt"' in request(server, "/empty/").body
        assert request(server, "/empty").status == 301


# -- settings: command line and API --

def test_static_options_from_the_command_line():
    args = build_parser().parse_args(
        ["--static-url", "/static", "--dynamic-suffix", ".py", "--dynamic-suffix", ".cgi",
         "--autoindex", "--follow-symlinks", "--static-max-age", "60",
         "--static-cache-seconds", "0"])
    config = Config.from_options(**options_from(args))
    assert config.static_url == "/static/"
    assert config.dynamic_suffix == [".py", ".cgi"]
    assert config.autoindex is True and config.follow_symlinks is True
    assert config.static_max_age == 60 and config.static_cache_seconds == 0


def test_static_option_defaults():
    config = Config.from_options()
    assert config.static_url is None and config.dynamic_suffix is None
    assert config.autoindex is False and config.follow_symlinks is False
    assert config.static_max_age == 0 and config.static_cache_seconds == 1


@pytest.mark.parametrize("options", [{"static_url": "static"}, {"static_url": "/a b/"},
                                     {"dynamic_suffix": ""}, {"dynamic_suffix": "a/b"},
                                     {"autoindex": "maybe"}, {"static_max_age": -1}])
def test_bad_static_options_are_refused(options):
    with pytest.raises(ConfigError):
        Config.from_options(**options)


def test_api_accepts_booleans_and_text():
    assert Config.from_options(autoindex="yes").autoindex is True
    assert Config.from_options(follow_symlinks=False).follow_symlinks is False


def test_bad_static_url_on_the_command_line_is_one_line(tmp_path):
    result = run_cli(["--static-url", "static", "--static-root", str(tmp_path)])
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "static URL" in result.stderr
