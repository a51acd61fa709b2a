"""A small notes service: a JSON API with signed-cookie login and file uploads.

    python -m wsgiserver apps.notes:application 7891 --static-url /static/

The app owns every path, ``/`` included, so it is served with the static
files confined to ``/static/``: in the default files-first mode the site's
``html/index.html`` would answer ``/`` and the app's home page could not be
reached. Its home page takes the site's stylesheet from
``/static/css/site.css``.

It shows what the stocks app does not: users (``/api/register``,
``/api/login``, ``/api/logout``, ``/api/me``), a session in a signed cookie,
before/after hooks, multipart uploads with a size limit, and file downloads
through ``wsgi.file_wrapper``. Data lives in ``$NOTES_DB`` (default
``apps/notes/notes.sqlite3``), files in a ``files`` folder beside it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional, Union

from miniframe import App

from .api import NotesApi
from .store import NotesStore

HERE = Path(__file__).resolve().parent
DEFAULT_DB = HERE / "notes.sqlite3"
DEFAULT_MAX_UPLOAD = 5 * 1024 * 1024


def create_app(db_path: Optional[Union[str, os.PathLike]] = None,
               max_upload: int = DEFAULT_MAX_UPLOAD, **options: Any) -> App:
    """A notes app on ``db_path`` (default $NOTES_DB, then DEFAULT_DB); uploads
    larger than ``max_upload`` bytes are refused with 413."""
    path = Path(db_path or os.environ.get("NOTES_DB") or DEFAULT_DB)
    store = NotesStore(os.fspath(path), os.fspath(path.with_name(path.stem + "-files")))
    app = App(json_errors=True, max_body_size=max_upload, **options)
    NotesApi(store).register(app)
    return app


application = create_app()
