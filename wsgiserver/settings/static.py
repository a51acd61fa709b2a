"""The static files under --static-root."""

from __future__ import annotations

from .base import STATIC, Setting
from .validators import boolean, file_suffix, non_negative_int, text_value, url_prefix

SETTINGS = (
    Setting("static_root", STATIC, ("--static-root",), text_value, "./html",
            "folder whose files are served as static files", "DIR"),
    Setting("static_url", STATIC, ("--static-url",), url_prefix, None,
            "serve static files only under this URL prefix (e.g. /static/); every "
            "other path goes to the app", "PREFIX"),
    Setting("dynamic_suffix", STATIC, ("--dynamic-suffix",), file_suffix, None,
            "paths ending in SUFFIX (e.g. .py) always go to the app and every other "
            "path is a static file; repeatable", "SUFFIX", repeatable=True),
    Setting("static_max_age", STATIC, ("--static-max-age",), non_negative_int, 0,
            "Cache-Control max-age for static files (0 = no-cache: always revalidate); "
            "names with a content hash (app.3f2a9c1e.css) are cached for a year", "SECONDS"),
    Setting("static_cache_seconds", STATIC, ("--static-cache-seconds",), non_negative_int, 1,
            "seconds static file lookups and metadata are cached (0 = no cache)", "SECONDS"),
    Setting("autoindex", STATIC, ("--autoindex",), boolean, False,
            "list the files of a static folder that has no index.html", flag=True),
    Setting("follow_symlinks", STATIC, ("--follow-symlinks",), boolean, False,
            "serve symlinks that point outside the static root", flag=True),
)
