"""Request's gunicorn-named views (uri, path, query), which hooks written for gunicorn read."""

from wsgiserver.http.request import Request


def make(target: bytes) -> Request:
    return Request("GET", target, "HTTP/1.1", [("Host", "x")], True)


def test_path_and_query_split_the_target_and_keep_its_encoding():
    request = make(b"/a%20b/c?x=1&y=%2F")
    assert (request.uri, request.path, request.query) == ("/a%20b/c?x=1&y=%2F", "/a%20b/c",
                                                          "x=1&y=%2F")


def test_a_target_without_a_query_has_an_empty_one():
    assert (make(b"/only").path, make(b"/only").query) == ("/only", "")


def test_an_absolute_form_target_gives_its_path():
    assert (make(b"http://x:80/p?q").path, make(b"http://x").path) == ("/p", "/")
