"""The notes app: signed-cookie login, a JSON API and file uploads."""

import pytest
from webtest import TestApp

from apps.notes import create_app

PASSWORD = "correct horse"


def register(client, username="ann", password=PASSWORD, status=201):
    return client.post_json("/api/register", {"username": username, "password": password},
                            status=status)


def add_note(client, title="Groceries", body="milk"):
    return client.post_json("/api/notes", {"title": title, "body": body}, status=201).json


def test_home_page_explains_the_api(notes):
    page = notes.get("/")
    assert page.content_type == "text/html" and "/api/notes" in page.text


def test_register_logs_in_with_a_signed_httponly_cookie(notes):
    response = register(notes)
    assert response.json == {"username": "ann"}
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert notes.get("/api/me").json == {"username": "ann"}


def test_logout_then_login_again(notes):
    register(notes)
    assert "Max-Age=0" in notes.post("/api/logout", status=204).headers["Set-Cookie"]
    notes.get("/api/me", status=401)
    assert notes.post_json("/api/login", {"username": "ann", "password": PASSWORD}).json == {
        "username": "ann"}
    assert notes.get("/api/me").json == {"username": "ann"}


@pytest.mark.parametrize("username, password", [("ann", "wrong password"), ("bob", PASSWORD)])
def test_wrong_credentials_are_401(notes, username, password):
    register(notes)
    notes.post("/api/logout", status=204)
    body = notes.post_json("/api/login", {"username": username, "password": password},
                           status=401).json
    assert body["error"] == "Wrong username or password."
    notes.get("/api/me", status=401)


@pytest.mark.parametrize("payload", [
    {"username": "a", "password": PASSWORD},
    {"username": "ann bob", "password": PASSWORD},
    {"username": "ann", "password": "short"},
    {"username": "ann"},
    {"username": 5, "password": PASSWORD},
])
def test_invalid_registration_is_400(notes, payload):
    notes.post_json("/api/register", payload, status=400)
    notes.get("/api/me", status=401)


def test_taken_username_is_409(notes):
    register(notes)
    register(TestApp(notes.app), status=409)


def test_forged_or_foreign_cookies_are_not_a_session(notes, tmp_path):
    register(notes)
    notes.set_cookie("session", notes.cookies["session"][:-4] + "AAAA")
    notes.get("/api/me", status=401)
    other = TestApp(create_app(tmp_path / "other.sqlite3"))
    register(other, "ann")
    notes.set_cookie("session", other.cookies["session"])  # signed with another key
    notes.get("/api/me", status=401)


def test_everything_but_login_needs_a_session(notes):
    for path in ("/api/me", "/api/notes", "/api/notes/1", "/api/notes/1/files/1"):
        assert notes.get(path, status=401).json["status"] == 401
    notes.post_json("/api/notes", {"title": "x"}, status=401)


def test_note_lifecycle(notes):
    register(notes)
    created = notes.post_json("/api/notes", {"title": " Groceries ", "body": "milk"}, status=201)
    note_id = created.json["id"]
    assert created.json == {"id": note_id, "title": "Groceries", "body": "milk", "files": []}
    assert created.location.endswith(f"/api/notes/{note_id}")
    assert notes.get("/api/notes").json == {"notes": [
        {"id": note_id, "title": "Groceries", "body": "milk"}]}
    updated = notes.put_json(f"/api/notes/{note_id}", {"title": "Shopping", "body": "eggs"})
    assert updated.json["title"] == "Shopping"
    notes.delete(f"/api/notes/{note_id}", status=204)
    notes.get(f"/api/notes/{note_id}", status=404)


@pytest.mark.parametrize("payload, fields", [
    ({}, {"title"}), ({"title": "  "}, {"title"}), ({"title": "x" * 201}, {"title"}),
    ({"title": "ok", "body": 3}, {"body"}), ({"title": 1, "body": "x" * 10_001}, {"title", "body"}),
])
def test_invalid_notes_are_400(notes, payload, fields):
    register(notes)
    body = notes.post_json("/api/notes", payload, status=400).json
    assert set(body["detail"]["errors"]) == fields


def test_other_users_notes_are_invisible(notes):
    register(notes)
    note_id = add_note(notes)["id"]
    bob = TestApp(notes.app)
    register(bob, "bob")
    bob.get(f"/api/notes/{note_id}", status=404)
    bob.put_json(f"/api/notes/{note_id}", {"title": "mine"}, status=404)
    bob.delete(f"/api/notes/{note_id}", status=404)
    assert bob.get("/api/notes").json == {"notes": []}


def test_upload_and_download_a_file(notes):
    register(notes)
    note_id = add_note(notes)["id"]
    uploaded = notes.post(f"/api/notes/{note_id}/files",
                          upload_files=[("file", "C:\\Users\\ann\\list été.txt", b"milk\neggs\n")],
                          status=201).json
    assert uploaded["filename"] == "list été.txt" and uploaded["size"] == 10
    download = notes.get(uploaded["url"])
    assert download.body == b"milk\neggs\n"
    assert download.content_type == "text/plain"
    assert "filename*=UTF-8''list%20%C3%A9t%C3%A9.txt" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "no-store"
    assert notes.get(f"/api/notes/{note_id}").json["files"][0]["id"] == uploaded["id"]


def test_oversized_upload_is_413_and_stores_nothing(notes):
    register(notes)
    note_id = add_note(notes)["id"]
    response = notes.post(f"/api/notes/{note_id}/files",
                          upload_files=[("file", "big.bin", b"x" * 17_000)], status=413)
    assert response.json["status"] == 413
    assert notes.get(f"/api/notes/{note_id}").json["files"] == []


def test_upload_without_a_file_is_400(notes):
    register(notes)
    note_id = add_note(notes)["id"]
    notes.post(f"/api/notes/{note_id}/files", {"file": "just text"}, status=400)


def test_upload_to_a_missing_note_is_404(notes):
    register(notes)
    notes.post("/api/notes/99/files", upload_files=[("file", "a.txt", b"a")], status=404)


def test_unknown_file_is_404(notes):
    register(notes)
    note_id = add_note(notes)["id"]
    notes.get(f"/api/notes/{note_id}/files/99", status=404)


def test_deleting_a_note_removes_its_files(notes, tmp_path):
    register(notes)
    note_id = add_note(notes)["id"]
    url = notes.post(f"/api/notes/{note_id}/files", upload_files=[("file", "a.txt", b"a")],
                     status=201).json["url"]
    files_dir = tmp_path / "notes-files"
    assert len(list(files_dir.iterdir())) == 1
    notes.delete(f"/api/notes/{note_id}", status=204)
    assert list(files_dir.iterdir()) == []
    notes.get(url, status=404)


@pytest.mark.parametrize("method, path", [("get", "/api/login"), ("delete", "/api/notes"),
                                          ("put", "/api/notes/1/files")])
def test_wrong_method_is_405(notes, method, path):
    assert getattr(notes, method)(path, status=405).json["status"] == 405


def test_login_needs_a_json_body(notes):
    notes.post("/api/login", {"username": "ann"}, status=415)
    notes.post("/api/login", "[1]", content_type="application/json", status=400)
