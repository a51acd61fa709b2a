"""Finding the stock a request names, or answering 404 (shared by pages and API)."""

from __future__ import annotations

from typing import Any, Union

from miniframe import abort

from .db import StockStore, canonical_code


def stock_or_404(store: StockStore, code: Union[int, str]) -> dict[str, Any]:
    stock = store.get(canonical_code(code))
    if stock is None:
        abort(404, f"There is no stock with code {code}.")
    return stock


def followed_or_404(store: StockStore, code: Union[int, str]) -> dict[str, Any]:
    stock = stock_or_404(store, code)
    if not stock["followed"]:
        abort(404, f"You do not follow {stock['code']}.")
    return stock
