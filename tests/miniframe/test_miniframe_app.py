"""The whole framework through WebTest; its lint checks every response (PEP 3333)."""

import logging

import pytest
from webtest import TestApp

from apps.hello import application as hello_app
from miniframe import App, Markup, Response, abort, redirect


def add_return_type_routes(app):
    @app.route("/")
    def index():
        return "<p>home</p>"

    @app.route("/bytes")
    def raw():
        return b"\x00\x01"

    @app.route("/data")
    def data():
        return {"items": [1, 2]}

    @app.route("/list")
    def listing():
        return [1, 2, 3]

    @app.route("/stream")
    def stream():
        yield "a"
        yield b"b"

    @app.route("/nothing")
    def nothing():
        return None


def add_failing_routes(app):
    @app.route("/boom")
    def boom():
        raise RuntimeError("kaboom <secret>")

    @app.route("/teapot")
    def teapot():
        abort(418, "I'm short and stout")


def add_request_routes(app):
    @app.route("/stocks/<code:int>", methods=["GET", "POST"])
    def stock(request, code):
        return {"code": code, "method": request.method}

    @app.route(r"/add/(\d+)\.html", methods=["POST"])
    def add(code):
        return redirect(f"/stocks/{code}")

    @app.route("/upload", methods=["POST"])
    def upload(request):
        part = request.files["file"]
        return {"name": part.filename, "size": part.size, "note": request.form.get("note")}

    @app.route("/echo", methods=["POST"])
    def echo(request):
        return request.json


def add_session_routes(app):
    @app.route("/login", methods=["POST"])
    def login(request):
        response = redirect("/me")
        response.set_signed_cookie("session", {"user": request.form["user"]}, app.secret_key)
        return response

    @app.route("/me")
    def me(request):
        session = request.get_signed_cookie("session")
        return {"user": session["user"] if session else None}


@pytest.fixture
def app():
    app = App(secret_key="test-secret", max_body_size=2048)
    for add_routes in (add_return_type_routes, add_failing_routes, add_request_routes,
                       add_session_routes):
        add_routes(app)
    return app


@pytest.fixture
def client(app):
    return TestApp(app)


def test_str_is_html(client):
    response = client.get("/")
    assert response.content_type == "text/html" and response.text == "<p>home</p>"


def test_bytes_are_sent_as_they_are(client):
    assert client.get("/bytes").body == b"\x00\x01"


@pytest.mark.parametrize("path, expected", [("/data", {"items": [1, 2]}), ("/list", [1, 2, 3])])
def test_dicts_and_lists_are_json(client, path, expected):
    response = client.get(path)
    assert response.content_type == "application/json" and response.json == expected


def test_generators_are_streamed(client):
    assert client.get("/stream").body == b"ab"


def test_typed_route_gets_converted_value_and_request(client):
    assert client.post("/stocks/600519").json == {"code": 600519, "method": "POST"}


def test_tutorial_regex_route(client):
    response = client.post("/add/42.html", status=303)
    assert response.location.endswith("/stocks/42")
    assert response.follow().json == {"code": 42, "method": "GET"}


def test_unknown_path_is_404_html(client):
    response = client.get("/missing", status=404)
    assert response.content_type == "text/html" and "404 Not Found" in response.text


def test_errors_are_json_for_clients_that_ask_for_it(client):
    response = client.get("/missing", headers={"Accept": "application/json"}, status=404)
    assert response.json == {"error": "Not Found", "status": 404}


def test_json_errors_app_always_answers_json():
    api = App(json_errors=True)
    assert TestApp(api).get("/x", status=404).json["status"] == 404


def test_wrong_method_is_405_with_allow(client):
    response = client.delete("/stocks/1", status=405)
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS, POST"


def test_options_is_answered_automatically(client):
    response = client.options("/stocks/1", status=204)
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    assert response.body == b""


def test_options_on_unknown_path_is_404(client):
    client.options("/missing", status=404)


def test_explicit_options_route_is_used(app, client):
    @app.route("/cors", methods=["OPTIONS"])
    def cors():
        return Response(b"", 204, headers=[("Access-Control-Allow-Origin", "*")])

    assert client.options("/cors", status=204).headers["Access-Control-Allow-Origin"] == "*"


def test_head_runs_the_get_handler_without_a_body(client):
    get, head = client.get("/data"), client.head("/data")
    assert head.body == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"]


def test_abort_gives_the_status_and_description(client):
    response = client.get("/teapot", status=418)
    assert "short and stout" in response.text


def test_unhandled_exception_is_logged_and_hidden(client, caplog):
    with caplog.at_level(logging.ERROR, logger="miniframe"):
        response = client.get("/boom", status=500)
    assert "kaboom" not in response.text
    assert "GET /boom" in caplog.text and "kaboom" in caplog.text


def test_debug_shows_the_traceback_escaped(app, client):
    app.debug = True
    response = client.get("/boom", status=500)
    assert "RuntimeError: kaboom &lt;secret&gt;" in response.text


def test_bad_return_type_is_a_500(client):
    client.get("/nothing", status=500)


def test_error_handler_renders_the_error(app, client):
    @app.error(404)
    def not_found(error, request):
        return Markup(f"<h1>Nothing at {request.path}</h1>")

    response = client.get("/nowhere", status=404)
    assert response.text == "<h1>Nothing at /nowhere</h1>"


def test_error_handler_response_keeps_the_errors_headers(app, client):
    @app.error(405)
    def wrong_method(error):
        return "<p>Try another method.</p>"

    response = client.delete("/stocks/1", status=405)
    assert response.text == "<p>Try another method.</p>"
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS, POST"


def test_error_handler_without_request_and_with_own_status(app, client):
    @app.error(418)
    def teapot(error):
        return Response(error.description.upper(), 418, content_type="text/plain")

    assert client.get("/teapot", status=418).text == "I'M SHORT AND STOUT"


def test_error_handler_for_500_sees_crashes(app, client):
    @app.error(500)
    def crashed(error):
        return {"oops": error.status}

    assert client.get("/boom", status=500).json == {"oops": 500}


def test_failing_error_handler_falls_back_to_the_default_page(app, client, caplog):
    @app.error(404)
    def broken(error):
        raise ValueError("handler bug")

    with caplog.at_level(logging.ERROR, logger="miniframe"):
        assert "404 Not Found" in client.get("/nowhere", status=404).text
    assert "handler bug" in caplog.text


def test_before_hook_can_answer_instead_of_the_handler(app, client):
    @app.before_request
    def maintenance(request):
        if request.args.get("closed"):
            return Response("closed", 503)
        return None

    assert client.get("/?closed=1", status=503).text == "closed"
    assert client.get("/").text == "<p>home</p>"


def test_before_hook_can_abort(app, client):
    @app.before_request
    def deny(request):
        abort(403)

    client.get("/", status=403)


def test_after_hook_sees_every_response_including_errors(app, client):
    seen = []

    @app.after_request
    def stamp(request, response):
        seen.append(response.status)
        response.set_header("X-Seen", "1")

    assert client.get("/").headers["X-Seen"] == "1"
    assert client.get("/missing", status=404).headers["X-Seen"] == "1"
    assert seen == [200, 404]


def test_after_hook_may_replace_the_response(app, client):
    @app.after_request
    def replace(request, response):
        return Response("replaced")

    assert client.get("/data").text == "replaced"


def test_failing_after_hook_is_a_500(app, client):
    @app.after_request
    def broken(request, response):
        raise RuntimeError("after hook bug")

    client.get("/", status=500)


def test_url_for_builds_paths(app):
    assert app.url_for("stock", code=7) == "/stocks/7"
    assert app.url_for("index", page=2) == "/?page=2"


def test_mount_a_sub_app_and_a_plain_wsgi_app(app, client):
    api = App(json_errors=True)

    @api.route("/where/<n:int>")
    def where(request, n):
        return {"script_name": request.script_name, "path": request.path,
                "self": request.url_for("where", n=n)}

    app.mount("/api", api)
    app.mount("/hello", hello_app)
    assert client.get("/api/where/3").json == {
        "script_name": "/api", "path": "/where/3", "self": "/api/where/3"}
    assert client.get("/api/missing", status=404).json["status"] == 404
    assert client.get("/hello").text == "Hello, World!\n"
    client.get("/apix", status=404)  # a prefix matches whole segments only


@pytest.mark.parametrize("prefix", ["api", "/api/", ""])
def test_mount_prefix_must_be_a_clean_path(app, prefix):
    with pytest.raises(ValueError):
        app.mount(prefix, hello_app)


def test_signed_cookie_login_flow(client):
    assert client.get("/me").json == {"user": None}
    response = client.post("/login", {"user": "ann"}, status=303).follow()
    assert response.json == {"user": "ann"}


def test_forged_cookie_is_ignored(client):
    client.set_cookie("session", "eyJ1c2VyIjoiZXZlIn0.forged")
    assert client.get("/me").json == {"user": None}


def test_upload_within_the_limit(client):
    response = client.post("/upload", {"note": "hi"}, upload_files=[("file", "a.txt", b"abc")])
    assert response.json == {"name": "a.txt", "size": 3, "note": "hi"}


def test_upload_over_the_limit_is_413(client):
    client.post("/upload", upload_files=[("file", "big.bin", b"x" * 4096)], status=413)


def test_json_body_round_trip_and_errors(client):
    assert client.post_json("/echo", {"a": "ü"}).json == {"a": "ü"}
    client.post("/echo", "{oops", content_type="application/json", status=400)
    client.post("/echo", "a=1", status=415)
