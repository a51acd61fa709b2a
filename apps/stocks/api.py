"""The JSON API, a miniframe App of its own mounted under ``/api``.

    GET    /api/stocks?q=&limit=&offset=   the stock list (paged, searchable)
    GET    /api/stocks/<code>              one stock
    GET    /api/focus                      the followed stocks with their notes
    POST   /api/focus                      follow: {"code": "600519", "note": "..."}
    GET    /api/focus/<code>               one followed stock
    PUT    /api/focus/<code>               change the note: {"note": "..."}
    DELETE /api/focus/<code>               unfollow

Errors are JSON: 400 with ``detail.errors`` per field for invalid input, 404
for unknown or unfollowed stocks, 409 for following twice, 415 for non-JSON.
"""

from __future__ import annotations

from typing import Any, Optional

from miniframe import App, Request, Response, abort

from .db import NOTE_MAX_LENGTH, StockStore, canonical_code
from .lookup import followed_or_404, stock_or_404

MAX_PAGE_SIZE = 200


def stock_json(stock: dict[str, Any]) -> dict[str, Any]:
    """The public shape of a stock (friendlier names than the tutorial's columns)."""
    return {"code": stock["code"], "name": stock["short"], "change": stock["chg"],
            "turnover": stock["turnover"], "price": stock["price"], "highs": stock["highs"],
            "date": stock["date"], "followed": bool(stock["followed"]), "note": stock["note"]}


def create_api(store: StockStore) -> App:
    api = App(json_errors=True)
    StockApi(store).register(api)
    return api


class StockApi:
    def __init__(self, store: StockStore):
        self.store = store

    def register(self, app: App) -> None:
        app.route("/stocks")(self.list_stocks)
        app.route("/stocks/<code:int>")(self.get_stock)
        app.route("/focus")(self.list_focus)
        app.route("/focus", methods=["POST"])(self.add_focus)
        app.route("/focus/<code:int>")(self.get_focus)
        app.route("/focus/<code:int>", methods=["PUT"])(self.update_focus)
        app.route("/focus/<code:int>", methods=["DELETE"])(self.delete_focus)

    def list_stocks(self, request: Request) -> dict[str, Any]:
        errors: dict[str, str] = {}
        limit = _int_arg(request, "limit", 50, 1, MAX_PAGE_SIZE, errors)
        offset = _int_arg(request, "offset", 0, 0, None, errors)
        _reject(errors)
        query = request.args.get("q", "").strip()
        stocks = self.store.search(query, limit, offset)
        return {"stocks": [stock_json(stock) for stock in stocks], "total": self.store.count(query),
                "limit": limit, "offset": offset}

    def get_stock(self, code: int) -> dict[str, Any]:
        return stock_json(stock_or_404(self.store, code))

    def list_focus(self) -> dict[str, Any]:
        return {"focus": [stock_json(stock) for stock in self.store.followed()]}

    def add_focus(self, request: Request) -> Response:
        payload = _json_object(request)
        errors: dict[str, str] = {}
        code = _code_field(payload, errors)
        note = _note_field(payload, errors, required=False)
        _reject(errors)
        stock_or_404(self.store, code)
        if not self.store.follow(code, note or ""):
            abort(409, f"You already follow {code}.")
        response = Response.json(stock_json(self.store.get(code)), 201)
        response.set_header("Location", request.url_for("get_focus", code=code))
        return response

    def get_focus(self, code: int) -> dict[str, Any]:
        return stock_json(followed_or_404(self.store, code))

    def update_focus(self, request: Request, code: int) -> dict[str, Any]:
        stock = followed_or_404(self.store, code)
        errors: dict[str, str] = {}
        note = _note_field(_json_object(request), errors, required=True)
        _reject(errors)
        self.store.set_note(stock["code"], note)
        return stock_json(self.store.get(stock["code"]))

    def delete_focus(self, code: int) -> Response:
        self.store.unfollow(followed_or_404(self.store, code)["code"])
        return Response(b"", 204)


def _reject(errors: dict[str, str]) -> None:
    if errors:
        abort(400, "The request has invalid fields.", detail={"errors": errors})


def _json_object(request: Request) -> dict[str, Any]:
    payload = request.json
    if not isinstance(payload, dict):
        abort(400, "The body must be a JSON object.")
    return payload


def _int_arg(request: Request, name: str, default: int, low: int, high: Optional[int],
             errors: dict[str, str]) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    value = int(raw) if raw.isdigit() else -1
    if value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"of {low} or more"
        errors[name] = f"must be a whole number {bounds}"
        return default
    return value


def _code_field(payload: dict[str, Any], errors: dict[str, str]) -> Optional[str]:
    code = payload.get("code")
    is_code_type = isinstance(code, (str, int)) and not isinstance(code, bool)
    text = canonical_code(code) if is_code_type else None
    if text is None:
        errors["code"] = "required: a six-digit stock code such as \"600519\""
    return text


def _note_field(payload: dict[str, Any], errors: dict[str, str], required: bool) -> Optional[str]:
    note = payload.get("note")
    if note is None and not required:
        return None
    if not isinstance(note, str):
        errors["note"] = "required: a string" if required else "must be a string"
    elif len(note) > NOTE_MAX_LENGTH:
        errors["note"] = f"at most {NOTE_MAX_LENGTH} characters"
    else:
        return note.strip()
    return None
