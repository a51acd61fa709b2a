"""SQLite storage for the stocks app: the tutorial's ``info`` and ``focus`` tables.

Every statement takes its values as parameters. Each call opens its own short
connection, so the store can be shared by a threaded server's workers.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any, Optional, Union

from .seed import generate_stocks

NOTE_MAX_LENGTH = 500

SCHEMA = """
CREATE TABLE IF NOT EXISTS info (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE CHECK (length(code) = 6),
    short TEXT NOT NULL,
    chg REAL NOT NULL,
    turnover REAL NOT NULL,
    price REAL NOT NULL,
    highs REAL NOT NULL,
    date TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS focus (
    id INTEGER PRIMARY KEY,
    info_id INTEGER NOT NULL UNIQUE REFERENCES info(id) ON DELETE CASCADE,
    note TEXT NOT NULL DEFAULT ''
);
"""
_STOCK_COLUMNS = ("i.code, i.short, i.chg, i.turnover, i.price, i.highs, i.date, "
                  "f.id IS NOT NULL AS followed, coalesce(f.note, '') AS note")
_FROM = "FROM info AS i LEFT JOIN focus AS f ON f.info_id = i.id"
_MATCHES = "(i.code LIKE :pattern ESCAPE '\\' OR i.short LIKE :pattern ESCAPE '\\')"


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class StockStore:
    """The stock list and the followed stocks, in one SQLite file."""

    def __init__(self, path: str):
        self.path = path
        self._ready = False
        self._setup_lock = threading.Lock()

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """A connection inside one transaction, committed on success."""
        self._ensure_ready()
        with closing(self._connect()) as connection, connection:
            yield connection

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=10)
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA foreign_keys = ON")
        return connection

    def _ensure_ready(self) -> None:
        # Created and seeded on first use, not on import, so that importing
        # the app (e.g. in tests) never writes a database file.
        with self._setup_lock:
            if not self._ready:
                self.create_and_seed()
                self._ready = True

    def create_and_seed(self) -> None:
        """Create the tables if needed and fill an empty ``info`` table."""
        with closing(self._connect()) as connection:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.executescript(SCHEMA)
            with connection:
                if connection.execute("SELECT count(*) FROM info").fetchone()[0] == 0:
                    connection.executemany(
                        "INSERT OR IGNORE INTO info (code, short, chg, turnover, price, highs,"
                        " date) VALUES (:code, :short, :chg, :turnover, :price, :highs, :date)",
                        generate_stocks())

    def search(self, query: str = "", limit: int = -1, offset: int = 0) -> list[dict[str, Any]]:
        """Stocks whose code or name contains ``query``, by code (``limit`` -1: all)."""
        sql = (f"SELECT {_STOCK_COLUMNS} {_FROM} WHERE {_MATCHES} "
               "ORDER BY i.code LIMIT :limit OFFSET :offset")
        params = {"pattern": _like_pattern(query), "limit": limit, "offset": offset}
        with self._connection() as connection:
            return [dict(row) for row in connection.execute(sql, params)]

    def count(self, query: str = "") -> int:
        sql = f"SELECT count(*) FROM info AS i WHERE {_MATCHES}"
        with self._connection() as connection:
            return connection.execute(sql, {"pattern": _like_pattern(query)}).fetchone()[0]

    def get(self, code: str) -> Optional[dict[str, Any]]:
        sql = f"SELECT {_STOCK_COLUMNS} {_FROM} WHERE i.code = ?"
        with self._connection() as connection:
            row = connection.execute(sql, (code,)).fetchone()
        return None if row is None else dict(row)

    def followed(self) -> list[dict[str, Any]]:
        """The followed stocks with their notes, in the order they were followed."""
        sql = f"SELECT {_STOCK_COLUMNS} {_FROM} WHERE f.id IS NOT NULL ORDER BY f.id"
        with self._connection() as connection:
            return [dict(row) for row in connection.execute(sql)]

    def follow(self, code: str, note: str = "") -> bool:
        """Follow ``code``; False if it was already followed or does not exist."""
        sql = ("INSERT OR IGNORE INTO focus (info_id, note) "
               "SELECT id, ? FROM info WHERE code = ?")
        with self._connection() as connection:
            return connection.execute(sql, (note, code)).rowcount == 1

    def unfollow(self, code: str) -> bool:
        """Stop following ``code``; False if it was not followed."""
        sql = "DELETE FROM focus WHERE info_id = (SELECT id FROM info WHERE code = ?)"
        with self._connection() as connection:
            return connection.execute(sql, (code,)).rowcount == 1

    def set_note(self, code: str, note: str) -> bool:
        """Replace the note of a followed stock; False if ``code`` is not followed."""
        sql = "UPDATE focus SET note = ? WHERE info_id = (SELECT id FROM info WHERE code = ?)"
        with self._connection() as connection:
            return connection.execute(sql, (note, code)).rowcount == 1


def canonical_code(code: Union[int, str]) -> Optional[str]:
    """A stock code as stored (six digits, e.g. ``"000014"``), or None if it cannot be one."""
    text = f"{code:06d}" if isinstance(code, int) else str(code)
    return text if len(text) == 6 and text.isdigit() else None
