"""Folder listings (`--autoindex`): every name HTML-escaped and %-encoded."""

from __future__ import annotations

import hashlib
import html
import os
import stat
from urllib.parse import unquote

from ..http.targets import split_target
from .lookup import Resolver, url_path


def decoded_path(target: bytes) -> str:
    return unquote(split_target(target)[0].decode("latin-1"), errors="replace")


def listing_etag(page: bytes) -> str:
    """A strong ETag for a listing: the same tag means the same bytes."""
    return f'"dir-{hashlib.blake2b(page, digest_size=12).hexdigest()}"'


def listing_page(directory: str, path: str, resolver: Resolver) -> bytes:
    """An HTML list of a folder (--autoindex); every name HTML-escaped and %-encoded."""
    at_root = directory == resolver.root
    rows = [] if at_root else ['<li><a href="../">../</a></li>']
    for name, is_dir in _listed_entries(directory, resolver):
        suffix = "/" if is_dir else ""
        href = url_path("", [name]) + suffix
        rows.append(f'<li><a href="{html.escape(href)}">{html.escape(name + suffix)}</a></li>')
    title = html.escape(f"Index of {path}")
    page = (f'<!doctype html>\n<html><head><meta charset="utf-8"><title>{title}</title>'
            f"</head>\n<body><h1>{title}</h1>\n<ul>\n" + "\n".join(rows)
            + "\n</ul>\n</body></html>\n")
    return page.encode("utf-8")


def _listed_entries(directory: str, resolver: Resolver) -> list[tuple[str, bool]]:
    """(name, is folder) of what a request could fetch: no dot-files, no escapes."""
    entries = []
    with os.scandir(directory) as scan:
        for entry in scan:
            if entry.name.startswith(".") or not _utf8(entry.name):
                continue
            found = resolver.real_stat(entry.path)
            mode = found[1].st_mode if found is not None else 0
            if stat.S_ISDIR(mode) or stat.S_ISREG(mode):
                entries.append((entry.name, stat.S_ISDIR(mode)))
    return sorted(entries, key=lambda item: (not item[1], item[0]))


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")  # undecodable names (surrogate escapes) can't be requested
    except UnicodeEncodeError:
        return False
    return True
