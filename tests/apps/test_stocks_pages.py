"""The stock pages as a user clicks through them, in-process and on the real server."""

from urllib.parse import urlsplit

import pytest

SEEDED_STOCKS = 80


def path_of(url):
    return urlsplit(url).path


def rows(page):
    return page.html.select("tbody tr")


def codes(page):
    return [row.select_one("td a").text for row in rows(page)]


def follow_from_list(stocks, position=0):
    """Press the Follow button on one row of the stock list; return the page it leads to."""
    page = stocks.get("/stocks")
    code = codes(page)[position]
    form = next(form for form in page.forms.values() if form.action.endswith(f"/add/{code}.html"))
    return code, form.submit(status=303)


def test_home_redirects_to_the_stock_list(stocks):
    response = stocks.get("/", status=303)
    assert path_of(response.location) == "/stocks"
    assert len(rows(response.follow())) == SEEDED_STOCKS


def test_stock_list_shows_every_seeded_stock_with_the_site_style(stocks):
    page = stocks.get("/stocks")
    assert page.content_type == "text/html" and page.charset == "utf-8"
    assert page.html.select_one('link[rel="stylesheet"]')["href"] == "/css/site.css"
    assert len(rows(page)) == SEEDED_STOCKS
    assert codes(page) == sorted(codes(page))
    first = [cell.text.strip() for cell in rows(page)[0].select("td")]
    assert first[:7] == ["000014", "远洋物流", "+4.89%", "13.19%", "34.83", "45.30", "2024-05-17"]


def test_search_box_finds_by_name_and_by_code(stocks):
    form = stocks.get("/stocks").forms[0]
    form["q"] = "银行"
    by_name = form.submit()
    assert by_name.html.title.text.startswith("Search results")
    assert rows(by_name) and all("银行" in row.text for row in rows(by_name))
    by_code = stocks.get("/stocks", params={"q": "000016"})
    assert codes(by_code) == ["000016"]
    assert by_code.forms[0]["q"].value == "000016"


def test_search_without_results_and_with_markup_is_escaped(stocks):
    page = stocks.get("/stocks", params={"q": "<script>%_"})
    assert rows(page) == []
    assert "<script>" not in page.text
    assert "0 stocks matching “&lt;script&gt;%_”" in page.text


def test_stock_page_shows_one_stock(stocks):
    page = stocks.get("/stocks/000016")
    assert page.html.h1.text == "000016 天宇银行"
    assert page.html.select_one("dd.up").text == "+1.74%"


@pytest.mark.parametrize("path", ["/stocks/999999", "/stocks/1234567", "/stocks/abc"])
def test_unknown_stock_is_a_404_page_in_the_site_layout(stocks, path):
    page = stocks.get(path, status=404)
    assert page.html.h1.text == "Not found"
    assert page.html.select_one('link[rel="stylesheet"]')["href"] == "/css/site.css"


def test_follow_then_see_it_on_my_stocks(stocks):
    code, response = follow_from_list(stocks)
    assert path_of(response.location) == "/focus"
    focus = response.follow()
    assert codes(focus) == [code]
    listed = stocks.get("/stocks")
    assert "Unfollow" in rows(listed)[0].text


def test_following_twice_keeps_one_entry(stocks):
    code, _ = follow_from_list(stocks)
    stocks.post(f"/add/{code}.html", status=303)
    assert codes(stocks.get("/focus")) == [code]


def test_follow_and_unfollow_from_the_stock_page(stocks):
    page = stocks.get("/stocks/000016")
    page = page.forms[1].submit(status=303).follow()
    assert codes(page) == ["000016"]
    page = stocks.get("/stocks/000016")
    assert page.forms[1].action.endswith("/del/000016.html")
    page = page.forms[1].submit(status=303).follow()
    assert rows(page) == []
    assert "You follow no stocks yet" in page.text


def test_my_stocks_starts_empty_with_a_link_to_the_list(stocks):
    page = stocks.get("/focus")
    assert page.click("the stock list").request.path == "/stocks"


def test_unfollow_from_my_stocks(stocks):
    follow_from_list(stocks, 0)
    follow_from_list(stocks, 1)
    focus = stocks.get("/focus")
    first, second = codes(focus)
    unfollow = next(form for form in focus.forms.values() if f"/del/{first}" in form.action)
    assert codes(unfollow.submit(status=303).follow()) == [second]


def test_edit_note_flow_escapes_the_note(stocks):
    code, response = follow_from_list(stocks)
    edit = response.follow().click("Edit note")
    assert path_of(edit.request.url) == f"/update/{code}.html"
    form = edit.forms[1]
    form["note"] = "  buy <below> 30 & hold  "
    focus = form.submit(status=303).follow()
    assert focus.html.select_one("td.note").text == "buy <below> 30 & hold"
    assert "buy &lt;below&gt; 30 &amp; hold" in focus.text
    assert stocks.get(f"/update/{code}.html").forms[1]["note"].value == "buy <below> 30 & hold"


def test_too_long_note_is_refused_and_kept_in_the_form(stocks):
    code, _ = follow_from_list(stocks)
    form = stocks.get(f"/update/{code}.html").forms[1]
    form["note"] = "x" * 501
    page = form.submit(status=400)
    assert "at most 500" in page.html.select_one(".message").text
    assert page.forms[1]["note"].value == "x" * 501
    assert stocks.get("/focus").html.select_one("td.note").text == ""


def test_note_form_without_note_field_is_400(stocks):
    code, _ = follow_from_list(stocks)
    page = stocks.post(f"/update/{code}.html", {"other": "x"}, status=400)
    assert page.html.h1.text == "Bad request"


def test_note_of_a_stock_not_followed_is_404(stocks):
    stocks.get("/update/000016.html", status=404)
    stocks.post("/update/000016.html", {"note": "x"}, status=404)


@pytest.mark.parametrize("path", ["/add/999999.html", "/del/999999.html"])
def test_following_an_unknown_stock_is_404(stocks, path):
    stocks.post(path, status=404)


def test_unfollowing_a_stock_not_followed_is_harmless(stocks):
    response = stocks.post("/del/000016.html", status=303)
    assert path_of(response.location) == "/focus"


@pytest.mark.parametrize("method, path, allowed", [
    ("get", "/add/000016.html", "OPTIONS, POST"),
    ("get", "/del/000016.html", "OPTIONS, POST"),
    ("post", "/stocks", "GET, HEAD, OPTIONS"),
    ("delete", "/focus", "GET, HEAD, OPTIONS"),
    ("put", "/update/000016.html", "GET, HEAD, OPTIONS, POST"),
    ("delete", "/api/stocks", "GET, HEAD, OPTIONS"),
    ("post", "/api/stocks/000016", "GET, HEAD, OPTIONS"),
    ("put", "/api/focus", "GET, HEAD, OPTIONS, POST"),
    ("patch", "/api/focus/000016", "DELETE, GET, HEAD, OPTIONS, PUT"),
])
def test_wrong_method_is_405_with_allow(stocks, method, path, allowed):
    response = getattr(stocks, method)(path, status=405)
    assert response.headers["Allow"] == allowed
    expected_type = "application/json" if path.startswith("/api/") else "text/html"
    assert response.content_type == expected_type


def test_head_of_the_list_has_length_and_no_body(stocks):
    get, head = stocks.get("/stocks"), stocks.head("/stocks")
    assert head.body == b"" and head.headers["Content-Length"] == get.headers["Content-Length"]


def test_pages_and_api_share_the_database(stocks):
    stocks.post_json("/api/focus", {"code": "000016", "note": "from the API"}, status=201)
    focus = stocks.get("/focus")
    assert codes(focus) == ["000016"]
    assert focus.html.select_one("td.note").text == "from the API"
