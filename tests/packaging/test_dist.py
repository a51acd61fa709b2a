"""The distributions: `python -m build` makes an sdist and a wheel that twine
accepts, and the wheel, installed alone in a clean virtualenv, is a working server.

`python -m build` builds the wheel from the sdist, so a file the build needs but
the sdist lacks (README.md is the long description) fails the `dist` fixture.
Building once per module keeps the cost to one build and one install.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import free_port
from venv_helpers import INSTALL_TIMEOUT, Venv, clean_env, copy_clone, get, make_venv, serving

from wsgiserver import __version__

PACKAGES = ("wsgiserver", "miniframe")


@dataclass
class Dist:
    clone: Path
    sdist: Path
    wheel: Path


def only(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {folder}, got {found}"
    return found[0]


def package_modules(clone: Path) -> set[str]:
    """Every .py file of the installed packages, relative to the clone."""
    return {path.relative_to(clone).as_posix()
            for package in PACKAGES for path in (clone / package).rglob("*.py")
            if "__pycache__" not in path.parts}


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    clone = copy_clone(tmp_path_factory.mktemp("build") / "clone")
    out = clone.parent / "dist"
    result = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(clone)],
                            cwd=clone, env=clean_env(), capture_output=True, text=True,
                            timeout=INSTALL_TIMEOUT)
    assert result.returncode == 0, f"python -m build failed:\n{result.stdout}\n{result.stderr}"
    return Dist(clone, only(out, "*.tar.gz"), only(out, "*.whl"))


@pytest.fixture(scope="module")
def wheel_venv(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    venv = make_venv(tmp_path_factory.mktemp("wheel") / "venv")
    venv.pip_install(str(dist.wheel), cwd=venv.root)
    return venv


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo apps and site without the packages, so only the wheel's copy can be imported."""
    return copy_clone(tmp_path_factory.mktemp("site") / "site", parts=("apps", "html"))


def test_twine_accepts_sdist_and_wheel(dist: Dist) -> None:
    result = subprocess.run([sys.executable, "-m", "twine", "check", "--strict",
                             str(dist.sdist), str(dist.wheel)],
                            env=clean_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2, result.stdout


def test_dist_names_carry_the_version(dist: Dist) -> None:
    assert dist.sdist.name == f"wsgiserver-{__version__}.tar.gz"
    assert dist.wheel.name == f"wsgiserver-{__version__}-py3-none-any.whl"


def test_sdist_holds_the_build_inputs_and_every_module(dist: Dist) -> None:
    with tarfile.open(dist.sdist) as archive:
        top = f"wsgiserver-{__version__}/"
        names = {name.removeprefix(top) for name in archive.getnames()}
    needed = {"README.md", "setup.cfg", "pyproject.toml"} | package_modules(dist.clone)
    assert needed <= names, f"missing from the sdist: {sorted(needed - names)}"


def test_wheel_holds_every_module_and_nothing_else(dist: Dist) -> None:
    # A subpackage folder without __init__.py is skipped by `packages = find:`;
    # comparing with the source tree catches it.
    with zipfile.ZipFile(dist.wheel) as archive:
        names = set(archive.namelist())
        entry_points = archive.read(f"wsgiserver-{__version__}.dist-info/entry_points.txt")
    modules = {name for name in names if not name.startswith("wsgiserver-")}
    assert modules == package_modules(dist.clone)
    assert b"wsgiserver = wsgiserver.cli:main" in entry_points
    # PasteDeploy's `use = egg:wsgiserver` finds the server runner here.
    assert b"[paste.server_runner]\nmain = wsgiserver.pastedeploy:server_runner" in entry_points


def test_wheel_console_script_prints_version(wheel_venv: Venv, site: Path) -> None:
    result = wheel_venv.run([str(wheel_venv.bin / "wsgiserver"), "--version"], cwd=site)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wsgiserver {__version__}"


def test_wheel_is_what_gets_imported(wheel_venv: Venv, site: Path) -> None:
    code = "import wsgiserver, miniframe; print(wsgiserver.__file__); print(miniframe.__file__)"
    result = wheel_venv.run([wheel_venv.python, "-c", code], cwd=site)
    assert result.returncode == 0, result.stderr
    for location in result.stdout.split():
        assert Path(location).is_relative_to(wheel_venv.root), location


# apps.hello is plain WSGI; apps.stocks also needs miniframe and multipart from the wheel.
@pytest.mark.parametrize("app, path, text", [
    ("apps.hello:application", "/hello", b"Hello, World!\n"),
    ("apps.stocks:application", "/stocks", b'<table class="stocks">'),
], ids=["hello", "stocks"])
def test_wheel_serves_site_and_app(wheel_venv: Venv, site: Path, tmp_path: Path,
                                   app: str, path: str, text: bytes) -> None:
    port = free_port()
    env = wheel_venv.env(STOCKS_DB=str(tmp_path / "stocks.sqlite3"))
    args = [wheel_venv.python, "-m", "wsgiserver", app, "-b", f"127.0.0.1:{port}"]
    with serving(args, cwd=site, env=env, port=port, log=tmp_path / "server.log"):
        status, _, body = get(port, "/")
        assert status == 200 and body == (site / "html/index.html").read_bytes()
        status, _, body = get(port, path)
        assert status == 200 and text in body, body[:500]
