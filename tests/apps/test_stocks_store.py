"""The stocks app's storage and sample data, without HTTP."""

import sqlite3

import pytest
from webtest import TestApp

import apps.stocks
from apps.stocks.db import StockStore, canonical_code
from apps.stocks.seed import BOARD_PREFIXES, DAILY_LIMIT, generate_stocks


def test_seed_is_deterministic_realistic_and_large_enough():
    stocks = generate_stocks()
    assert stocks == generate_stocks()
    assert len(stocks) >= 50
    assert len({stock["code"] for stock in stocks}) == len(stocks)
    assert len({stock["short"] for stock in stocks}) == len(stocks)
    for stock in stocks:
        assert stock["code"][:3] in BOARD_PREFIXES and stock["code"].isdigit()
        assert stock["price"] > 0 and stock["highs"] >= stock["price"]
        assert -DAILY_LIMIT <= stock["chg"] <= DAILY_LIMIT
        assert 0 < stock["turnover"] < 100


def test_database_is_made_on_first_use_not_on_creation(tmp_path):
    path = tmp_path / "stocks.sqlite3"
    store = StockStore(str(path))
    assert not path.exists()
    assert store.count() == 80
    assert path.exists()


def test_seeding_happens_once(tmp_path):
    path = str(tmp_path / "stocks.sqlite3")
    StockStore(path).follow("000016", "n")
    reopened = StockStore(path)
    assert reopened.count() == 80
    assert reopened.get("000016")["note"] == "n"


def test_search_treats_wildcards_and_quotes_as_text(tmp_path):
    store = StockStore(str(tmp_path / "stocks.sqlite3"))
    assert store.count("%") == 0 and store.count("_") == 0
    assert store.count("'; DROP TABLE info; --") == 0
    assert store.count() == 80


def test_follow_unfollow_and_notes(tmp_path):
    store = StockStore(str(tmp_path / "stocks.sqlite3"))
    assert store.follow("000016") is True
    assert store.follow("000016") is False
    assert store.follow("999999") is False
    assert store.set_note("000016", "hi") is True
    assert store.set_note("000014", "not followed") is False
    assert [(stock["code"], stock["note"]) for stock in store.followed()] == [("000016", "hi")]
    assert store.unfollow("000016") is True and store.unfollow("000016") is False


def test_schema_keeps_codes_six_characters(tmp_path):
    store = StockStore(str(tmp_path / "stocks.sqlite3"))
    store.count()
    with sqlite3.connect(store.path) as connection, pytest.raises(sqlite3.IntegrityError):
        connection.execute("INSERT INTO info (code, short, chg, turnover, price, highs, date)"
                           " VALUES ('1', 'x', 0, 0, 1, 1, '2024-01-01')")


@pytest.mark.parametrize("code, expected", [
    (16, "000016"), ("000016", "000016"), (600519, "600519"),
    (1234567, None), ("12345", None), ("abcdef", None), (-1, None),
])
def test_canonical_code(code, expected):
    assert canonical_code(code) == expected


def test_database_path_comes_from_stocks_db(tmp_path, monkeypatch):
    path = tmp_path / "from-env.sqlite3"
    monkeypatch.setenv("STOCKS_DB", str(path))
    TestApp(apps.stocks.create_app()).get("/api/stocks/000016")
    assert path.exists()


def test_creating_the_app_writes_nothing_until_the_first_request(tmp_path):
    path = tmp_path / "stocks.sqlite3"
    client = TestApp(apps.stocks.create_app(path))
    assert not path.exists()
    client.get("/stocks")
    assert path.exists()
