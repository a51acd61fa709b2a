"""PasteDeploy: --paste FILE.ini loads [app:main]; `use = egg:wsgiserver` in a
[server:main] serves it through the paste.server_runner entry point."""

from __future__ import annotations

import configparser
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from tests.helpers import REPO, Client, free_port, port_open, run_cli, server_process, wait_until
from wsgiserver import pastedeploy
from wsgiserver.errors import ConfigError

pytest.importorskip("paste.deploy")  # the test extra installs it

APP = '''
def make_app(global_conf, greeting="hi"):
    body = greeting.encode()

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", str(len(body)))])
        return [body]
    return app
'''


def write_ini(folder, port: int) -> str:
    (folder / "pasteapp.py").write_text(APP)
    ini = folder / "app.ini"
    ini.write_text(textwrap.dedent(f"""\
        [app:main]
        use = call:pasteapp:make_app
        greeting = hello from paste

        [server:main]
        use = egg:wsgiserver
        host = 127.0.0.1
        port = {port}
        threads = 2
        """))
    return str(ini)


def get(port: int) -> bytes:
    with Client("127.0.0.1", port) as client:
        response = client.request("/")
    assert response.status == 200
    return response.body


def test_paste_loads_the_app_of_an_ini_file(tmp_path):
    port = free_port()
    ini = write_ini(tmp_path, free_port())
    with server_process(["--paste", ini, "-b", f"127.0.0.1:{port}"], cwd=str(tmp_path),
                        env={"PYTHONPATH": f"{REPO}{os.pathsep}{tmp_path}"}) as server:
        server.wait_for_port(port)
        assert get(port) == b"hello from paste"
        assert f"app: {ini}" in server.stderr_text


def test_paste_mistakes_are_one_line(tmp_path):
    result = run_cli(["--paste", "no.ini"], cwd=str(tmp_path))
    assert (result.returncode, result.stderr.strip()) == (
        2, "wsgiserver: error: --paste: no such file 'no.ini'")
    ini = write_ini(tmp_path, free_port())
    result = run_cli(["--paste", ini, "apps.hello:application"], cwd=str(tmp_path))
    assert (result.returncode, result.stderr.strip()) == (
        2, "wsgiserver: error: give either MODULE:APP or --paste, not both")


def test_paste_without_pastedeploy_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "paste.deploy", None)  # import fails as if absent
    with pytest.raises(ConfigError, match=r"^--paste needs PasteDeploy: pip install "
                                          r"'wsgiserver\[paste\]'$"):
        pastedeploy.load_paste_app(write_ini(tmp_path, 1))


def test_a_server_section_is_settings_with_gunicorns_names():
    options = pastedeploy.server_options(
        {"__file__": "app.ini"}, {"host": "127.0.0.1", "port": "8123", "threads": "2",
                                  "accesslog": "-"})
    assert options == {"bind": ["127.0.0.1:8123"], "threads": 2, "access_logfile": "-"}
    with pytest.raises(ConfigError, match=r"^app.ini \[server\]: unknown setting 'wrokers' "
                                          r"\(did you mean 'workers'\?\)$"):
        pastedeploy.server_options({"__file__": "app.ini"}, {"wrokers": "2"})


def fake_distribution(folder) -> str:
    """wsgiserver's metadata with the entry points setup.cfg declares, found before the
    installed copy (which may predate them), so egg:wsgiserver resolves through them."""
    setup = configparser.ConfigParser()
    setup.read(os.path.join(REPO, "setup.cfg"))
    runners = setup["options.entry_points"]["paste.server_runner"].strip()
    info = folder / "dist" / "wsgiserver-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: wsgiserver\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(f"[paste.server_runner]\n{runners}\n")
    return str(folder / "dist")


PSERVE = """
import sys
from paste.deploy import loadapp, loadserver
ini = "config:" + sys.argv[1]
loadserver(ini)(loadapp(ini))  # what pserve does
"""


def test_use_egg_wsgiserver_serves_a_server_section(tmp_path):
    port = free_port()
    ini = write_ini(tmp_path, port)
    path = os.pathsep.join([fake_distribution(tmp_path), REPO, str(tmp_path)])
    proc = subprocess.Popen([sys.executable, "-c", PSERVE, ini], cwd=str(tmp_path),
                            env={**os.environ, "PYTHONPATH": path},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        assert wait_until(lambda: port_open(port) or proc.poll() is not None, 10)
        assert proc.poll() is None, proc.stderr.read().decode()
        assert get(port) == b"hello from paste"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        proc.stderr.close()
