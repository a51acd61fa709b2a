"""The notes app served as its docstring says, next to the site's html/ (issue 12).

`python -m wsgiserver apps.notes:application 7891` served html/index.html at
`/` (files first), so the app's home page could not be reached and that
page's links led to the app's JSON 404s. The documented command now confines
static files to `/static/`: `/` is the app's home page, every link on it
answers, and the README gives the same command.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from helpers import REPO, Client, free_port, server_process

import apps.notes

COMMAND = re.compile(r"python -m wsgiserver (apps\.notes:application .*)")


def documented_args() -> list[str]:
    """The arguments of the docstring's command, with its port."""
    match = COMMAND.search(apps.notes.__doc__)
    assert match, "the notes docstring gives no python -m wsgiserver command"
    return shlex.split(match.group(1))


def test_the_readme_gives_the_docstrings_command():
    readme = (Path(REPO) / "README.md").read_text("utf-8")
    assert "wsgiserver " + " ".join(documented_args()) in readme


def test_the_documented_command_serves_the_notes_home_page_and_its_links(tmp_path):
    port = free_port()
    # The documented port (0.0.0.0:7891) becomes a free one on loopback.
    args = [f"--bind=127.0.0.1:{port}" if arg == "7891" else arg for arg in documented_args()]
    assert f"--bind=127.0.0.1:{port}" in args, "the documented command names port 7891"
    env = {"NOTES_DB": str(tmp_path / "notes.sqlite3")}  # not the repository's database
    with server_process(args, env=env) as server:
        server.wait_for_port(port)
        with Client("127.0.0.1", port) as client:
            home = client.request("/")
            assert home.status == 200, home
            page = home.body.decode()
            assert "<h1>Notes</h1>" in page and "/api/notes" in page
            links = re.findall(r'(?:href|src)="(/[^"]*)"', page)
            assert "/static/css/site.css" in links
            for link in links:
                answer = client.request(link)
                assert answer.status != 404, (link, answer)
                if link.startswith("/api/"):  # the app's: JSON, asking for a login
                    assert answer.status == 401
                    assert answer.header("Content-Type").startswith("application/json")
            css = client.request("/static/css/site.css")
            assert css.header("Content-Type").startswith("text/css")
            assert css.body == (Path(REPO) / "html" / "css" / "site.css").read_bytes()
