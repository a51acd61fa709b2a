"""The HTML pages: stock list with search, one stock, followed stocks, and the
follow / unfollow / edit-note forms (POST, then a 303 redirect to a page).

The form URLs keep the tutorial's shape (``/add/600519.html``) and show
miniframe's raw regular-expression routes; the pages use typed routes.
"""

from __future__ import annotations

from typing import Any

from miniframe import App, HTTPError, Markup, Request, Response, TemplateFolder, abort, redirect

from .db import NOTE_MAX_LENGTH, StockStore
from .lookup import followed_or_404, stock_or_404

_CODE = r"(\d{6})"


def _percent(value: float, signed: bool = False) -> str:
    return f"{value:+.2f}%" if signed else f"{value:.2f}%"


def _trend(change: float) -> str:
    return "up" if change > 0 else "down" if change < 0 else "flat"


class StockPages:
    """The page handlers, bound to one store and one template folder."""

    def __init__(self, store: StockStore, templates: TemplateFolder):
        self.store = store
        self.templates = templates

    def register(self, app: App) -> None:
        app.route("/")(self.home)
        app.route("/stocks")(self.stock_list)
        app.route("/stocks/<code:int>")(self.stock_page)
        app.route("/focus")(self.focus_page)
        app.route(rf"/add/{_CODE}\.html", methods=["POST"])(self.follow)
        app.route(rf"/del/{_CODE}\.html", methods=["POST"])(self.unfollow)
        app.route(rf"/update/{_CODE}\.html")(self.edit_note)
        app.route(rf"/update/{_CODE}\.html", methods=["POST"])(self.save_note)
        app.error(404)(self.not_found)
        app.error(400)(self.bad_request)

    def home(self, request: Request) -> Response:
        return redirect(request.url_for("stock_list"))

    def stock_list(self, request: Request) -> Response:
        query = request.args.get("q", "").strip()
        stocks = self.store.search(query)
        rows = self.templates.get("stock_row.html").render_each(
            self._stock_values(request, stock) for stock in stocks)
        summary = f"{len(stocks)} stocks" + (f" matching “{query}”" if query else "")
        content = self.templates.render("stocks.html", summary=summary, rows=rows)
        title = "Search results" if query else "All stocks"
        return self._page(request, title, content, query=query)

    def stock_page(self, request: Request, code: int) -> Response:
        stock = stock_or_404(self.store, code)
        values = self._stock_values(request, stock)
        content = self.templates.render("stock.html", values)
        return self._page(request, f"{stock['code']} {stock['short']}", content)

    def focus_page(self, request: Request) -> Response:
        stocks = self.store.followed()
        if not stocks:
            content = self.templates.render("focus_empty.html",
                                            stocks_url=request.url_for("stock_list"))
        else:
            rows = self.templates.get("focus_row.html").render_each(
                self._stock_values(request, stock) for stock in stocks)
            content = self.templates.render("focus.html", rows=rows)
        return self._page(request, "My stocks", content)

    def follow(self, request: Request, code: str) -> Response:
        stock_or_404(self.store, code)
        self.store.follow(code)  # following twice is harmless: it stays followed
        return redirect(request.url_for("focus_page"))

    def unfollow(self, request: Request, code: str) -> Response:
        stock_or_404(self.store, code)
        self.store.unfollow(code)
        return redirect(request.url_for("focus_page"))

    def edit_note(self, request: Request, code: str) -> Response:
        stock = followed_or_404(self.store, code)
        return self._note_form(request, stock, stock["note"])

    def save_note(self, request: Request, code: str) -> Response:
        stock = followed_or_404(self.store, code)
        note = request.form.get("note")
        if note is None:
            abort(400, "The form has no “note” field.")
        note = note.strip().replace("\r\n", "\n")
        if len(note) > NOTE_MAX_LENGTH:
            error = f"The note is {len(note)} characters long; at most {NOTE_MAX_LENGTH} fit."
            return self._note_form(request, stock, note, error, status=400)
        self.store.set_note(code, note)
        return redirect(request.url_for("focus_page"))

    def not_found(self, error: HTTPError, request: Request) -> Response:
        return self._message_page(request, "Not found", error, 404)

    def bad_request(self, error: HTTPError, request: Request) -> Response:
        return self._message_page(request, "Bad request", error, 400)

    def _message_page(self, request: Request, title: str, error: HTTPError,
                      status: int) -> Response:
        content = self.templates.render("message.html", message=error.description)
        return self._page(request, title, content, status=status)

    def _note_form(self, request: Request, stock: dict[str, Any], note: str,
                   error: str = "", status: int = 200) -> Response:
        error_html = self.templates.render("message.html", message=error) if error else ""
        content = self.templates.render(
            "note.html", self._stock_values(request, stock), note=note,
            error=Markup(error_html), max_length=NOTE_MAX_LENGTH,
            save_url=f"{request.script_name}/update/{stock['code']}.html",
            focus_url=request.url_for("focus_page"))
        return self._page(request, "Edit note", content, status=status)

    def _page(self, request: Request, title: str, content: Markup, query: str = "",
              status: int = 200) -> Response:
        html = self.templates.render(
            "layout.html", title=title, content=content, query=query,
            stocks_url=request.url_for("stock_list"), focus_url=request.url_for("focus_page"))
        return Response(html, status)

    def _stock_values(self, request: Request, stock: dict[str, Any]) -> dict[str, Any]:
        """The template values for one stock row or page."""
        code, root = stock["code"], request.script_name
        action_url = f"{root}/{'del' if stock['followed'] else 'add'}/{code}.html"
        action = self.templates.render("button_form.html", url=action_url,
                                       label="Unfollow" if stock["followed"] else "Follow")
        return {**stock, "chg": _percent(stock["chg"], signed=True), "trend": _trend(stock["chg"]),
                "turnover": _percent(stock["turnover"]), "price": f"{stock['price']:.2f}",
                "highs": f"{stock['highs']:.2f}", "action": action,
                "stock_url": request.url_for("stock_page", code=code),
                "edit_url": f"{root}/update/{code}.html"}
