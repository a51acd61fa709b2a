import json

import pytest

from miniframe.errors import HTTPError, abort, html_error_page, json_error_body, status_line


def test_status_line_uses_the_standard_phrase():
    assert status_line(404) == "404 Not Found"
    assert status_line(599) == "599 Error"


def test_http_error_defaults_to_the_phrase():
    error = HTTPError(409)
    assert (error.status, error.description, error.headers) == (409, "Conflict", [])


def test_abort_raises_with_description_and_detail():
    with pytest.raises(HTTPError) as caught:
        abort(400, "bad", detail={"field": "why"})
    assert (caught.value.status, caught.value.description) == (400, "bad")
    assert caught.value.detail == {"field": "why"}


def test_html_page_escapes_the_description_and_traceback():
    page = html_error_page(HTTPError(400, "<b>no</b>"), traceback_text="x < y")
    assert "<title>400 Bad Request</title>" in page
    assert "&lt;b&gt;no&lt;/b&gt;" in page and "<pre>x &lt; y</pre>" in page


def test_html_page_has_no_traceback_unless_given():
    assert "<pre>" not in html_error_page(HTTPError(500))


def test_json_body_includes_detail_only_when_present():
    assert json.loads(json_error_body(HTTPError(404))) == {"error": "Not Found", "status": 404}
    body = json.loads(json_error_body(HTTPError(400, "bad", detail={"a": "b"})))
    assert body["detail"] == {"a": "b"}
