"""The tutorial's stock-watching app, rebuilt on miniframe.

    python -m wsgiserver apps.stocks:application 7890
    gunicorn apps.stocks:application -b :7890

The SQLite file is ``$STOCKS_DB`` or ``apps/stocks/stocks.sqlite3``; it is
created and seeded with sample stocks on the first request.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Union

from miniframe import App, TemplateFolder

from .api import create_api
from .db import StockStore
from .pages import StockPages

HERE = Path(__file__).resolve().parent
DEFAULT_DB = HERE / "stocks.sqlite3"


def create_app(db_path: Optional[Union[str, os.PathLike]] = None, debug: bool = False) -> App:
    """A stocks app on the database at ``db_path`` (default: $STOCKS_DB, then DEFAULT_DB)."""
    path = db_path or os.environ.get("STOCKS_DB") or DEFAULT_DB
    store = StockStore(os.fspath(path))
    app = App(debug=debug)
    StockPages(store, TemplateFolder(HERE / "templates")).register(app)
    app.mount("/api", create_api(store))
    return app


application = create_app()
