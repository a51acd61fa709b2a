"""Clean virtualenvs, copies of the clone, and servers run in their own process group.

The packaging tests install the project the way a user on a fresh machine would,
so nothing here may lean on the environment running pytest: each virtualenv is
made with `python -m venv` (no system site-packages), and the environment given to
its processes drops the variables that would let the clone or the outer
site-packages leak in.
"""

from __future__ import annotations

import contextlib
import fnmatch
import http.client
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import pytest
from helpers import REPO, port_open, wait_until

# Build output, caches and databases a working clone may hold and a fresh clone
# does not (as in .gitignore), matched against each file or folder name.
JUNK_NAMES = (".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
              ".ruff_cache", ".benchmarks", ".venv", "*.sqlite3", "*.db")
JUNK_PATHS = ("bench/results",)

# PYTHONPATH or PYTHONHOME would put the clone or another Python in the venv;
# PYTHONSAFEPATH would stop `-m` from importing apps/ from the current folder;
# PIP_USER / PIP_TARGET / PIP_PREFIX would install somewhere other than the venv.
LEAKY_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "PYTHONSAFEPATH", "PYTHONUSERBASE",
                   "PYTHONSTARTUP", "PIP_USER", "PIP_TARGET", "PIP_PREFIX", "VIRTUAL_ENV")

INSTALL_TIMEOUT = 300.0  # pip may download from PyPI
HTTP_TIMEOUT = 10.0


def _junk(folder: str, names: list[str]) -> set[str]:
    relative = Path(folder).relative_to(REPO)
    return {name for name in names
            if any(fnmatch.fnmatch(name, pattern) for pattern in JUNK_NAMES)
            or (relative / name).as_posix() in JUNK_PATHS}


def copy_clone(target: Path, parts: Optional[tuple[str, ...]] = None) -> Path:
    """Copy the clone (or only `parts` of it) to `target`, as a fresh clone would be.

    The tests build and run from the copy: pip and build write build/ and
    *.egg-info into the source folder, and the demo writes its database there.
    """
    if parts is None:
        shutil.copytree(REPO, target, ignore=_junk)
        return target
    target.mkdir(parents=True)
    for part in parts:
        shutil.copytree(Path(REPO, part), target / part, ignore=_junk)
    return target


def clean_env(**extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in LEAKY_VARIABLES}
    env.update(extra)
    return env


@dataclass
class Venv:
    root: Path

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    @property
    def python(self) -> str:
        return str(self.bin / "python")

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a shell in which this venv is activated."""
        path = str(self.bin) + os.pathsep + os.environ.get("PATH", "")
        return clean_env(PATH=path, VIRTUAL_ENV=str(self.root), **extra)

    def run(self, args: list[str], cwd: Path, timeout: float = 60.0
            ) -> subprocess.CompletedProcess:
        return subprocess.run(args, cwd=cwd, env=self.env(), capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def pip_install(self, *requirements: str, cwd: Path) -> None:
        result = self.run([self.python, "-m", "pip", "install", "-q",
                           "--disable-pip-version-check", *requirements],
                          cwd=cwd, timeout=INSTALL_TIMEOUT)
        assert result.returncode == 0, f"pip install {requirements} failed:\n{result.stderr}"

    def can_import(self, module: str, cwd: Path) -> bool:
        return self.run([self.python, "-c", f"import {module}"], cwd=cwd).returncode == 0


def make_venv(root: Path) -> Venv:
    """A brand-new virtualenv, checked to see none of the outer site-packages."""
    if importlib.util.find_spec("venv") is None or importlib.util.find_spec("ensurepip") is None:
        pytest.skip("this Python cannot make virtualenvs (no venv/ensurepip module)")
    subprocess.run([sys.executable, "-m", "venv", str(root)], env=clean_env(), check=True,
                   capture_output=True, timeout=120)
    venv = Venv(root)
    # The outer environment has httptools (the tests need it); if the venv saw it,
    # a missing runtime dependency would go unnoticed.
    assert not venv.can_import("httptools", cwd=root), "the venv sees outer site-packages"
    return venv


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    """GET `path` from 127.0.0.1:`port`: (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


def stop_group(process: subprocess.Popen, grace: float = 15.0) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left of it.

    The process was started with start_new_session=True, so its pid is the group
    id and the group holds everything it started (pip, bash, the server).
    """
    _signal_group(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(grace)
    # Unconditionally: a child that outlived the leader must not be left behind.
    _signal_group(process.pid, signal.SIGKILL)
    process.wait(5)


@contextlib.contextmanager
def serving(args: list[str], *, cwd: Path, env: dict[str, str], port: int, log: Path,
            ready_timeout: float = 60.0) -> Iterator[subprocess.Popen]:
    """Run a server until the block ends; yield once `port` accepts connections.

    Output goes to `log` (a file, so a chatty server never blocks on a full pipe),
    and is quoted when the server does not come up.
    """
    with open(log, "wb") as out:
        process = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until(lambda: process.poll() is not None or port_open(port), ready_timeout, 0.1)
        code = process.poll()
        state = f"exited with status {code}" if code is not None else \
            f"did not listen within {ready_timeout} s"
        assert code is None and port_open(port), (
            f"{args} {state}:\n" + log.read_text(errors="replace")[-4000:])
        yield process
    finally:
        stop_group(process)
