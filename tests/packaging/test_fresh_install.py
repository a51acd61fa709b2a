"""The README's demo command, `bash scripts/serve.sh`, on a fresh machine.

Each test copies the clone, makes a virtualenv with nothing from the outer
environment, puts it first on PATH (as `source venv/bin/activate` does) and runs
serve.sh from the copy; the demo must then answer its site, app and stylesheet.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import free_port
from venv_helpers import Venv, copy_clone, get, make_venv, serving

INSTALL_NOTICE = "serve.sh: installing"


def serve_demo(clone: Path, venv: Venv, tmp_path: Path, ready_timeout: float) -> str:
    """Run serve.sh, check its three kinds of page, and return what it printed."""
    port = free_port()
    database = tmp_path / "stocks.sqlite3"  # not in the copy: nothing written next to the code
    log = tmp_path / "serve.log"
    env = venv.env(PORT=str(port), STOCKS_DB=str(database))
    with serving(["bash", "scripts/serve.sh"], cwd=clone, env=env, port=port, log=log,
                 ready_timeout=ready_timeout):
        status, _, body = get(port, "/")
        assert status == 200 and body == (clone / "html/index.html").read_bytes()
        status, _, body = get(port, "/stocks")
        assert status == 200 and b'<table class="stocks">' in body, body[:500]
        status, headers, body = get(port, "/css/site.css")
        assert status == 200 and body == (clone / "html/css/site.css").read_bytes()
        assert headers["Content-Type"].startswith("text/css")
    assert database.exists(), "the stocks app did not use $STOCKS_DB"
    return log.read_text(errors="replace")


def test_serve_sh_after_pip_install(tmp_path: Path) -> None:
    """`pip install .` (no extras) is all the demo needs: install_requires is complete."""
    clone = copy_clone(tmp_path / "clone")
    venv = make_venv(tmp_path / "venv")
    venv.pip_install(".", cwd=clone)
    output = serve_demo(clone, venv, tmp_path, ready_timeout=60)
    # Everything was there, so serve.sh must not have gone to pip (and the network).
    assert INSTALL_NOTICE not in output


# An empty venv, and one left by the serve.sh that checked for httptools only.
@pytest.mark.parametrize("preinstalled", [(), ("httptools>=0.6",)], ids=["empty", "stale"])
def test_serve_sh_installs_what_is_missing(tmp_path: Path, preinstalled: tuple[str, ...]
                                           ) -> None:
    clone = copy_clone(tmp_path / "clone")
    venv = make_venv(tmp_path / "venv")
    if preinstalled:
        venv.pip_install(*preinstalled, cwd=tmp_path)
    # serve.sh runs pip before it listens, hence the longer wait.
    output = serve_demo(clone, venv, tmp_path, ready_timeout=240)
    assert INSTALL_NOTICE in output
