import pytest

from miniframe.errors import HTTPError
from miniframe.routing import MethodNotAllowed, Route, Router, Rule


def handler_named(name):
    def handler(*args, **kwargs):
        return name, args, kwargs
    handler.__name__ = name
    return handler


def make_router(*rules):
    router = Router()
    for rule, methods, name in rules:
        router.add(rule, methods, handler_named(name), name)
    return router


def matched(router, method, path):
    route, args, kwargs = router.match(method, path)
    return route.name, args, kwargs


def test_static_rule_is_looked_up_without_a_regex():
    rule = Rule("/index.html")
    assert rule.is_static and rule.regex is None
    assert matched(make_router(("/index.html", ["GET"], "index")), "GET", "/index.html") == (
        "index", (), {})


def test_dot_in_a_static_rule_is_literal():
    router = make_router(("/index.html", ["GET"], "index"))
    with pytest.raises(HTTPError) as caught:
        router.match("GET", "/indexXhtml")
    assert caught.value.status == 404


@pytest.mark.parametrize("rule, path, expected", [
    ("/stocks/<code:int>", "/stocks/600519", {"code": 600519}),
    ("/price/<value:float>", "/price/12.5", {"value": 12.5}),
    ("/price/<value:float>", "/price/12", {"value": 12.0}),
    ("/files/<name:path>", "/files/a/b/c.txt", {"name": "a/b/c.txt"}),
    ("/users/<name>", "/users/ann", {"name": "ann"}),
    ("/users/<name:str>/notes/<n:int>", "/users/bob/notes/3", {"name": "bob", "n": 3}),
])
def test_typed_placeholders_convert_values(rule, path, expected):
    router = make_router((rule, ["GET"], "route"))
    assert matched(router, "GET", path) == ("route", (), expected)


@pytest.mark.parametrize("rule, path", [
    ("/stocks/<code:int>", "/stocks/abc"),
    ("/stocks/<code:int>", "/stocks/-1"),
    ("/stocks/<code:int>", "/stocks/12/extra"),
    ("/users/<name>", "/users/a/b"),
    ("/price/<value:float>", "/price/1.2.3"),
])
def test_typed_placeholders_reject_other_text(rule, path):
    router = make_router((rule, ["GET"], "route"))
    with pytest.raises(HTTPError) as caught:
        router.match("GET", path)
    assert caught.value.status == 404


def test_regex_groups_become_positional_arguments():
    router = make_router((r"/add/(\d+)\.html", ["POST"], "add"))
    assert matched(router, "POST", "/add/600519.html") == ("add", ("600519",), {})


def test_named_regex_groups_become_keyword_arguments():
    router = make_router((r"/update/(?P<code>\d+)/(?P<note>.*)\.html", ["GET"], "update"))
    assert matched(router, "GET", "/update/1/hello.html") == (
        "update", (), {"code": "1", "note": "hello"})


@pytest.mark.parametrize("path", ["/add/12.htmlx", "/x/add/12.html", "/add/12.html/"])
def test_regex_rules_match_the_whole_path_only(path):
    router = make_router((r"/add/(\d+)\.html", ["GET"], "add"))
    with pytest.raises(HTTPError) as caught:
        router.match("GET", path)
    assert caught.value.status == 404


def test_wrong_method_is_405_listing_allowed_methods():
    router = make_router(("/items", ["GET"], "list_items"), ("/items", ["POST"], "add_item"))
    with pytest.raises(MethodNotAllowed) as caught:
        router.match("DELETE", "/items")
    assert caught.value.status == 405
    assert caught.value.allowed == ["GET", "HEAD", "OPTIONS", "POST"]
    assert ("Allow", "GET, HEAD, OPTIONS, POST") in caught.value.headers


def test_head_is_answered_by_the_get_route():
    router = make_router(("/items", ["GET"], "list_items"))
    assert matched(router, "HEAD", "/items")[0] == "list_items"


def test_explicit_head_route_wins_over_get():
    router = make_router(("/items", ["GET"], "list_items"), ("/items", ["HEAD"], "head_items"))
    assert matched(router, "HEAD", "/items")[0] == "head_items"


def test_dynamic_route_is_found_when_static_path_lacks_the_method():
    router = make_router(("/stocks/new", ["GET"], "new_form"),
                         ("/stocks/<name>", ["POST"], "save"))
    assert matched(router, "POST", "/stocks/new") == ("save", (), {"name": "new"})


def test_rules_are_tried_in_the_order_they_were_added():
    router = make_router(("/a/<x>", ["GET"], "first"), ("/a/<y:path>", ["GET"], "second"))
    assert matched(router, "GET", "/a/b")[0] == "first"
    assert matched(router, "GET", "/a/b/c")[0] == "second"


def test_build_fills_placeholders_and_puts_the_rest_in_the_query():
    router = make_router(("/stocks/<code:int>", ["GET"], "stock"))
    assert router.build("stock", {"code": 7}) == "/stocks/7"
    assert router.build("stock", {"code": 7, "tab": "news", "q": "a b"}) == (
        "/stocks/7?tab=news&q=a+b")


def test_build_quotes_values():
    router = make_router(("/users/<name>", ["GET"], "user"), ("/files/<p:path>", ["GET"], "file"))
    assert router.build("user", {"name": "a/b c"}) == "/users/a%2Fb%20c"
    assert router.build("file", {"p": "dir/ä.txt"}) == "/files/dir/%C3%A4.txt"


def test_build_refuses_what_it_cannot_build():
    router = make_router(("/stocks/<code:int>", ["GET"], "stock"), (r"/add/(\d+)", ["GET"], "add"))
    with pytest.raises(ValueError, match="missing value"):
        router.build("stock", {})
    with pytest.raises(ValueError, match="regular expression"):
        router.build("add", {})
    with pytest.raises(KeyError):
        router.build("nowhere", {})


def test_a_name_cannot_be_reused_for_another_rule():
    router = make_router(("/a", ["GET"], "page"))
    router.add("/a", ["POST"], handler_named("page"), "page")  # same rule: fine
    with pytest.raises(ValueError, match="already used"):
        router.add("/b", ["GET"], handler_named("page"), "page")


def test_unknown_placeholder_type_is_an_error():
    with pytest.raises(ValueError, match="unknown type"):
        Rule("/x/<n:uuid>")


def test_route_passes_request_first_or_by_name():
    def request_first(request, code):
        return request, code

    def request_last(code, request):
        return request, code

    def no_request(code):
        return code

    rule = Rule(r"/x/(\d+)")
    assert Route(rule, "GET", request_first, "a").call("REQ", ("1",), {}) == ("REQ", "1")
    assert Route(rule, "GET", request_last, "b").call("REQ", ("1",), {}) == ("REQ", "1")
    assert Route(rule, "GET", no_request, "c").call("REQ", ("1",), {}) == "1"
