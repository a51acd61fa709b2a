"""The notes API handlers. Every route but register/login needs a session."""

from __future__ import annotations

import re
from typing import Any

from miniframe import App, Request, Response, abort

SESSION_COOKIE = "session"
SESSION_MAX_AGE = 7 * 24 * 3600
USERNAME = re.compile(r"[A-Za-z0-9_.-]{3,32}")
MIN_PASSWORD_LENGTH = 8
MAX_TITLE_LENGTH = 200
MAX_BODY_LENGTH = 10_000
HOME_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Notes</title>
<link rel="stylesheet" href="/static/css/site.css"></head>
<body><main><h1>Notes</h1>
<p>A JSON API: register or log in with <code>POST /api/register</code> or
<code>POST /api/login</code> (<code>{"username": ..., "password": ...}</code>), then use
<code>/api/notes</code> and upload files to <code>/api/notes/&lt;id&gt;/files</code>.</p>
<p>Who am I: <a href="/api/me">/api/me</a>; my notes: <a href="/api/notes">/api/notes</a>.</p>
</main></body></html>
"""


class NotesApi:
    def __init__(self, store: Any):
        self.store = store

    def register(self, app: App) -> None:
        app.before_request(self.load_user)
        app.after_request(self.no_store)
        app.route("/")(self.home)
        app.route("/api/register", methods=["POST"])(self.register_user)
        app.route("/api/login", methods=["POST"])(self.login)
        app.route("/api/logout", methods=["POST"])(self.logout)
        app.route("/api/me")(self.me)
        app.route("/api/notes")(self.list_notes)
        app.route("/api/notes", methods=["POST"])(self.create_note)
        app.route("/api/notes/<note_id:int>")(self.get_note)
        app.route("/api/notes/<note_id:int>", methods=["PUT"])(self.update_note)
        app.route("/api/notes/<note_id:int>", methods=["DELETE"])(self.delete_note)
        app.route("/api/notes/<note_id:int>/files", methods=["POST"])(self.upload)
        app.route("/api/notes/<note_id:int>/files/<file_id:int>")(self.download)

    def load_user(self, request: Request) -> None:
        """Before each request: who is logged in (``request.user_id``, or None)."""
        session = request.get_signed_cookie(SESSION_COOKIE, self.store.secret_key(),
                                            max_age=SESSION_MAX_AGE)
        user_id = session.get("user_id") if isinstance(session, dict) else None
        request.user_id = user_id if isinstance(user_id, int) else None

    def no_store(self, request: Request, response: Response) -> None:
        """After each request: API answers are private to the user."""
        response.set_header("Cache-Control", "no-store")

    def home(self) -> str:
        return HOME_PAGE

    def register_user(self, request: Request) -> Response:
        username, password = _credentials(request)
        if not USERNAME.fullmatch(username) or len(password) < MIN_PASSWORD_LENGTH:
            abort(400, "Invalid username or password.", detail={"errors": {
                "username": "3 to 32 letters, digits, '_', '.' or '-'",
                "password": f"at least {MIN_PASSWORD_LENGTH} characters"}})
        user_id = self.store.add_user(username, password)
        if user_id is None:
            abort(409, f"The username {username!r} is taken.")
        return self._logged_in(user_id, username, 201)

    def login(self, request: Request) -> Response:
        username, password = _credentials(request)
        user_id = self.store.authenticate(username, password)
        if user_id is None:
            abort(401, "Wrong username or password.")
        return self._logged_in(user_id, username, 200)

    def _logged_in(self, user_id: int, username: str, status: int) -> Response:
        response = Response.json({"username": username}, status)
        response.set_signed_cookie(SESSION_COOKIE, {"user_id": user_id},
                                   self.store.secret_key(), max_age=SESSION_MAX_AGE)
        return response

    def logout(self) -> Response:
        response = Response(b"", 204)
        response.delete_cookie(SESSION_COOKIE)
        return response

    def me(self, request: Request) -> dict[str, Any]:
        return {"username": self.store.username(_user(request))}

    def list_notes(self, request: Request) -> dict[str, Any]:
        return {"notes": self.store.notes(_user(request))}

    def create_note(self, request: Request) -> Response:
        title, body = _note_fields(request)
        note_id = self.store.add_note(_user(request), title, body)
        response = Response.json(self.store.note(_user(request), note_id), 201)
        response.set_header("Location", request.url_for("get_note", note_id=note_id))
        return response

    def get_note(self, request: Request, note_id: int) -> dict[str, Any]:
        return self._note(request, note_id)

    def update_note(self, request: Request, note_id: int) -> dict[str, Any]:
        self._note(request, note_id)
        self.store.update_note(note_id, *_note_fields(request))
        return self._note(request, note_id)

    def delete_note(self, request: Request, note_id: int) -> Response:
        self._note(request, note_id)
        self.store.delete_note(note_id)
        return Response(b"", 204)

    def upload(self, request: Request, note_id: int) -> Response:
        self._note(request, note_id)
        part = request.files.get("file")
        if part is None or not part.filename:
            abort(400, "Send the file as multipart/form-data in a field called 'file'.")
        file_id = self.store.add_file(note_id, _safe_filename(part.filename),
                                      part.content_type or "application/octet-stream", part)
        url = request.url_for("download", note_id=note_id, file_id=file_id)
        response = Response.json({**self.store.file(note_id, file_id), "url": url}, 201)
        response.set_header("Location", url)
        return response

    def download(self, request: Request, note_id: int, file_id: int) -> Response:
        self._note(request, note_id)
        file = self.store.file(note_id, file_id)
        if file is None:
            abort(404, "No such file.")
        return Response.file(self.store.file_path(file_id), file["content_type"],
                             download_name=file["filename"])

    def _note(self, request: Request, note_id: int) -> dict[str, Any]:
        note = self.store.note(_user(request), note_id)
        if note is None:
            abort(404, f"You have no note {note_id}.")
        return note


def _user(request: Request) -> int:
    if request.user_id is None:
        abort(401, "Log in first.")
    return request.user_id


def _credentials(request: Request) -> tuple[str, str]:
    payload = request.json
    fields = payload if isinstance(payload, dict) else {}
    username, password = fields.get("username"), fields.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        abort(400, "Send a JSON object with string fields username and password.")
    return username, password


def _note_fields(request: Request) -> tuple[str, str]:
    payload = request.json
    fields = payload if isinstance(payload, dict) else {}
    title, body = fields.get("title"), fields.get("body", "")
    errors = {}
    if not isinstance(title, str) or not 1 <= len(title.strip()) <= MAX_TITLE_LENGTH:
        errors["title"] = f"required: text of 1 to {MAX_TITLE_LENGTH} characters"
    if not isinstance(body, str) or len(body) > MAX_BODY_LENGTH:
        errors["body"] = f"text of at most {MAX_BODY_LENGTH} characters"
    if errors:
        abort(400, "The note has invalid fields.", detail={"errors": errors})
    return title.strip(), body


def _safe_filename(name: str) -> str:
    # Browsers may send a full client path; keep the last part, without controls.
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(char for char in base if char.isprintable()).strip()
    return cleaned[:200] or "upload"
