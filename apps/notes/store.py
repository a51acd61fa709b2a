"""SQLite storage for the notes app: users, their notes, and uploaded files.

Passwords are kept as PBKDF2-SHA256 hashes; uploaded files are stored on disk
under their attachment id (never under the name the client sent).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any, Optional

PASSWORD_ITERATIONS = 100_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL
);
"""


def hash_password(password: str, salt: Optional[bytes] = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, PASSWORD_ITERATIONS)
    return f"pbkdf2_sha256${PASSWORD_ITERATIONS}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    _, iterations, salt, digest = stored.split("$")
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"),
                                    bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(candidate.hex(), digest)


class NotesStore:
    def __init__(self, db_path: str, files_dir: str):
        self.db_path = db_path
        self.files_dir = files_dir
        self._ready = False
        self._secret_key: Optional[str] = None
        self._setup_lock = threading.Lock()

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        self._ensure_ready()
        with closing(sqlite3.connect(self.db_path, timeout=10)) as connection, connection:
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA foreign_keys = ON")
            yield connection

    def _ensure_ready(self) -> None:
        with self._setup_lock:
            if not self._ready:
                os.makedirs(self.files_dir, exist_ok=True)
                with closing(sqlite3.connect(self.db_path)) as connection:
                    connection.executescript(SCHEMA)
                self._ready = True

    def secret_key(self) -> str:
        """The cookie-signing key, made on first use and kept in the database so
        that every worker process (and every restart) shares it."""
        if self._secret_key is None:
            with self._connection() as connection:
                connection.execute("INSERT OR IGNORE INTO settings VALUES ('secret_key', ?)",
                                   (secrets.token_urlsafe(32),))
                self._secret_key = connection.execute(
                    "SELECT value FROM settings WHERE key = 'secret_key'").fetchone()[0]
        return self._secret_key

    def add_user(self, username: str, password: str) -> Optional[int]:
        """The new user's id, or None if the name is taken."""
        with self._connection() as connection:
            cursor = connection.execute(
                "INSERT OR IGNORE INTO users (username, password) VALUES (?, ?)",
                (username, hash_password(password)))
            return cursor.lastrowid if cursor.rowcount == 1 else None

    def authenticate(self, username: str, password: str) -> Optional[int]:
        """The user's id if the password is right, else None."""
        with self._connection() as connection:
            row = connection.execute("SELECT id, password FROM users WHERE username = ?",
                                     (username,)).fetchone()
        if row is None or not check_password(password, row["password"]):
            return None
        return row["id"]

    def username(self, user_id: int) -> Optional[str]:
        with self._connection() as connection:
            row = connection.execute("SELECT username FROM users WHERE id = ?",
                                     (user_id,)).fetchone()
        return None if row is None else row["username"]

    def notes(self, user_id: int) -> list[dict[str, Any]]:
        with self._connection() as connection:
            rows = connection.execute("SELECT id, title, body FROM notes WHERE user_id = ?"
                                      " ORDER BY id", (user_id,)).fetchall()
        return [dict(row) for row in rows]

    def note(self, user_id: int, note_id: int) -> Optional[dict[str, Any]]:
        """One of the user's notes with its files; None for other users' notes too."""
        with self._connection() as connection:
            row = connection.execute("SELECT id, title, body FROM notes WHERE id = ? AND "
                                     "user_id = ?", (note_id, user_id)).fetchone()
            if row is None:
                return None
            files = connection.execute("SELECT id, filename, content_type, size FROM files "
                                       "WHERE note_id = ? ORDER BY id", (note_id,)).fetchall()
        return {**dict(row), "files": [dict(file) for file in files]}

    def add_note(self, user_id: int, title: str, body: str) -> int:
        with self._connection() as connection:
            return connection.execute("INSERT INTO notes (user_id, title, body) VALUES (?, ?, ?)",
                                      (user_id, title, body)).lastrowid

    def update_note(self, note_id: int, title: str, body: str) -> None:
        with self._connection() as connection:
            connection.execute("UPDATE notes SET title = ?, body = ? WHERE id = ?",
                               (title, body, note_id))

    def delete_note(self, note_id: int) -> None:
        with self._connection() as connection:
            file_ids = [row[0] for row in connection.execute(
                "SELECT id FROM files WHERE note_id = ?", (note_id,))]
            connection.execute("DELETE FROM notes WHERE id = ?", (note_id,))
        for file_id in file_ids:
            self._remove_file(file_id)

    def add_file(self, note_id: int, filename: str, content_type: str, part: Any) -> int:
        """Record an uploaded ``multipart`` part and move its bytes into place."""
        with self._connection() as connection:
            file_id = connection.execute(
                "INSERT INTO files (note_id, filename, content_type, size) VALUES (?, ?, ?, ?)",
                (note_id, filename, content_type, part.size)).lastrowid
            part.save_as(self.file_path(file_id))
        return file_id

    def file(self, note_id: int, file_id: int) -> Optional[dict[str, Any]]:
        with self._connection() as connection:
            row = connection.execute("SELECT id, filename, content_type, size FROM files "
                                     "WHERE id = ? AND note_id = ?", (file_id, note_id)).fetchone()
        return None if row is None else dict(row)

    def file_path(self, file_id: int) -> str:
        return os.path.join(self.files_dir, str(file_id))

    def _remove_file(self, file_id: int) -> None:
        try:
            os.remove(self.file_path(file_id))
        except FileNotFoundError:
            pass
