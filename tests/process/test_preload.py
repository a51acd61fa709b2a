"""--preload imports the app once in the master before forking; without it each worker
imports the app after fork (which is what lets HUP load new code)."""

from __future__ import annotations

import signal
import textwrap

import pytest

from tests.helpers import Client, free_port, server_process, wait_until

APP = textwrap.dedent('''
    import os

    with open(os.environ["IMPORTS_FILE"], "a") as imports:
        imports.write(f"{os.getpid()}\\n")


    def application(environ, start_response):
        body = str(os.getpid()).encode()
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]
''')


def _imports(path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def _start(tmp_path, preload: bool):
    (tmp_path / "counted.py").write_text(APP)
    port = free_port()
    args = ["counted:application", "-b", f"127.0.0.1:{port}", "-w", "2",
            "--static-root", str(tmp_path)] + (["--preload"] if preload else [])
    return port, server_process(args, cwd=str(tmp_path),
                                env={"IMPORTS_FILE": str(tmp_path / "imports")})


@pytest.mark.parametrize("preload", [True, False], ids=["preload", "after-fork"])
def test_where_the_app_is_imported(tmp_path, preload):
    port, process = _start(tmp_path, preload)
    imports = tmp_path / "imports"
    with process as server:
        server.wait_for_port(port)
        assert wait_until(lambda: len(_imports(imports)) >= (1 if preload else 2), 10)
        with Client("127.0.0.1", port) as client:
            worker = int(client.request("/").body)
        master = server.proc.pid
        if preload:
            assert _imports(imports) == [master]  # once, in the master, none in the workers
        else:
            assert master not in _imports(imports) and len(_imports(imports)) == 2
            assert worker in _imports(imports)  # the worker that answered imported it itself
        server.signal(signal.SIGTERM)
        assert server.wait() == 0


def test_a_broken_app_with_preload_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "broken.py").write_text("import no_such_dependency_xyz\n")
    port = free_port()
    with server_process(["broken:application", "-b", f"127.0.0.1:{port}", "--preload"],
                        cwd=str(tmp_path)) as server:
        assert server.wait() == 2
        lines = [line for line in server.stderr if line.strip()]
        assert len(lines) == 1 and "no_such_dependency_xyz" in lines[0], lines
