"""The stocks JSON API, in-process and through the real server."""

from urllib.parse import urlsplit

import pytest

STOCK_FIELDS = {"code", "name", "change", "turnover", "price", "highs", "date", "followed",
                "note"}


def test_stock_list_is_paged(stocks):
    first = stocks.get("/api/stocks").json
    assert (first["total"], first["limit"], first["offset"]) == (80, 50, 0)
    assert len(first["stocks"]) == 50 and set(first["stocks"][0]) == STOCK_FIELDS
    rest = stocks.get("/api/stocks", params={"offset": 50, "limit": 200}).json["stocks"]
    assert len(rest) == 30
    all_codes = [stock["code"] for stock in first["stocks"] + rest]
    assert len(set(all_codes)) == 80


def test_stock_list_search(stocks):
    found = stocks.get("/api/stocks", params={"q": "银行"}).json
    assert found["total"] == len(found["stocks"]) > 0
    assert all("银行" in stock["name"] for stock in found["stocks"])


@pytest.mark.parametrize("query, field", [
    ("limit=0", "limit"), ("limit=201", "limit"), ("limit=ten", "limit"),
    ("offset=-1", "offset"), ("limit=5&offset=x", "offset"),
])
def test_bad_paging_is_a_400_naming_the_field(stocks, query, field):
    body = stocks.get(f"/api/stocks?{query}", status=400).json
    assert body["status"] == 400 and field in body["detail"]["errors"]


def test_one_stock(stocks):
    stock = stocks.get("/api/stocks/000016").json
    assert stock == {"code": "000016", "name": "天宇银行", "change": 1.74, "turnover": 2.7,
                     "price": 12.26, "highs": 16.82, "date": "2024-05-17", "followed": False,
                     "note": ""}


@pytest.mark.parametrize("path", ["/api/stocks/999999", "/api/stocks/x", "/api/nothing"])
def test_unknown_stock_is_a_json_404(stocks, path):
    response = stocks.get(path, status=404)
    assert response.content_type == "application/json" and response.json["status"] == 404


def test_focus_lifecycle(stocks):
    assert stocks.get("/api/focus").json == {"focus": []}
    created = stocks.post_json("/api/focus", {"code": "000016", "note": " watch "}, status=201)
    assert urlsplit(created.location).path == "/api/focus/000016"
    assert created.json["followed"] is True and created.json["note"] == "watch"
    assert stocks.get("/api/focus/000016").json["note"] == "watch"
    updated = stocks.put_json("/api/focus/000016", {"note": "sell"}).json
    assert updated["note"] == "sell"
    assert [stock["code"] for stock in stocks.get("/api/focus").json["focus"]] == ["000016"]
    assert stocks.delete("/api/focus/000016", status=204).body == b""
    stocks.get("/api/focus/000016", status=404)
    assert stocks.get("/api/focus").json == {"focus": []}


def test_code_may_be_a_number(stocks):
    assert stocks.post_json("/api/focus", {"code": 16}, status=201).json["code"] == "000016"


def test_following_twice_is_a_409(stocks):
    stocks.post_json("/api/focus", {"code": "000016"}, status=201)
    assert stocks.post_json("/api/focus", {"code": "000016"}, status=409).json["status"] == 409


def test_following_an_unknown_stock_is_a_404(stocks):
    stocks.post_json("/api/focus", {"code": "999999"}, status=404)


@pytest.mark.parametrize("payload, fields", [
    ({}, {"code"}),
    ({"code": ""}, {"code"}),
    ({"code": "12345"}, {"code"}),
    ({"code": "abcdef"}, {"code"}),
    ({"code": True}, {"code"}),
    ({"code": -1}, {"code"}),
    ({"code": ["000016"]}, {"code"}),
    ({"code": "000016", "note": 5}, {"note"}),
    ({"code": "000016", "note": "x" * 501}, {"note"}),
    ({"note": None, "code": None}, {"code"}),
])
def test_invalid_focus_is_a_400_naming_the_fields(stocks, payload, fields):
    body = stocks.post_json("/api/focus", payload, status=400).json
    assert set(body["detail"]["errors"]) == fields
    assert stocks.get("/api/focus").json == {"focus": []}


@pytest.mark.parametrize("body, content_type, status", [
    ('{"code": "000016"', "application/json", 400),
    ('["000016"]', "application/json", 400),
    ("code=000016", "application/x-www-form-urlencoded", 415),
])
def test_malformed_bodies(stocks, body, content_type, status):
    response = stocks.post("/api/focus", body, content_type=content_type, status=status)
    assert response.json["status"] == status


def test_updating_a_stock_not_followed_is_a_404(stocks):
    stocks.put_json("/api/focus/000016", {"note": "x"}, status=404)
    stocks.delete("/api/focus/000016", status=404)


@pytest.mark.parametrize("payload", [{}, {"note": None}, {"note": ["x"]}, {"note": "x" * 501}])
def test_invalid_note_update_is_a_400(stocks, payload):
    stocks.post_json("/api/focus", {"code": "000016", "note": "kept"}, status=201)
    body = stocks.put_json("/api/focus/000016", payload, status=400).json
    assert set(body["detail"]["errors"]) == {"note"}
    assert stocks.get("/api/focus/000016").json["note"] == "kept"
