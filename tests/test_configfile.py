"""The config file (-c, gunicorn's names), where each value comes from, and the
precedence defaults < config file < $WSGISERVER_CMD_ARGS < command line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.helpers import REPO, free_port, run_cli, server_process
from wsgiserver.errors import ConfigError
from wsgiserver.settings import Config, source
from wsgiserver.settings.gunicorn import GUNICORN_BY_NAME

CLEAN_ENV = {"WSGISERVER_CMD_ARGS": "", "WEB_CONCURRENCY": "", "PORT": ""}


def write(folder, name: str, text: str) -> str:
    path = os.path.join(str(folder), name)
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)
    return path


GUNICORN_CONF = '''
import multiprocessing
import os
import subprocess

_cores = multiprocessing.cpu_count()
bind = ["127.0.0.1:8123", "unix:/tmp/x.sock"]
workers = 2
threads = 3
timeout = 40
graceful_timeout = 7
keepalive = 4
max_requests = 1000
max_requests_jitter = 50
worker_connections = 500
preload_app = True
accesslog = "-"
loglevel = "DEBUG"
forwarded_allow_ips = ["10.0.0.1", "10.0.0.2"]
limit_request_line = 2048
limit_request_fields = 50
limit_request_field_size = 4096
reuse_port = True
sendfile = False

def when_ready(server):
    server.log.info("ready")

def number_of_workers():
    return _cores * 2 + 1
'''


def test_a_gunicorn_conf_py_becomes_our_settings(tmp_path):
    loaded = source.load_location(write(tmp_path, "gunicorn.conf.py", GUNICORN_CONF))
    assert loaded.errors == [] and loaded.warnings == []
    options = dict(loaded.options)
    assert callable(options.pop("when_ready"))
    assert options == {
        "bind": ["127.0.0.1:8123", "unix:/tmp/x.sock"], "workers": 2, "threads": 3,
        "timeout": 40, "graceful_timeout": 7, "keepalive": 4, "max_requests": 1000,
        "max_requests_jitter": 50, "worker_connections": 500, "preload_app": True,
        "access_logfile": "-", "log_level": "debug",
        "forwarded_allow_ips": "10.0.0.1,10.0.0.2", "limit_request_line": 2048,
        "limit_request_fields": 50, "limit_request_field_size": 4096,
        "reuse_port": True, "sendfile": False}


def test_gunicorns_names_of_our_settings_are_aliases_in_the_api_too():
    config = Config.from_options(accesslog="-", loglevel="WARNING")
    assert (config.access_logfile, config.log_level) == ("-", "warning")


def test_a_misspelt_name_is_an_error_with_a_suggestion():
    loaded = source.from_names({"wrokers": 4, "acceslog": "-", "def_when_redy": 1}, "g.py")
    assert loaded.errors == [
        "g.py: unknown setting 'wrokers' (did you mean 'workers'?)",
        "g.py: unknown setting 'acceslog' (did you mean 'accesslog'?)",
        "g.py: unknown setting 'def_when_redy' (did you mean 'when_ready'?)"]
    with pytest.raises(ConfigError) as raised:
        loaded.raise_errors()
    assert len(str(raised.value).splitlines()) == 3


def test_a_misspelt_hook_is_an_error_too_but_helpers_are_left_alone():
    def when_redy(server):
        pass

    def number_of_workers():
        return 3

    loaded = source.from_names({"when_redy": when_redy, "number_of_workers": number_of_workers,
                                "environ": os.environ, "os": os, "_cores": 4}, "g.py")
    assert loaded.errors == ["g.py: unknown setting 'when_redy' (did you mean 'when_ready'?)"]


def test_a_plain_value_that_is_no_setting_anywhere_is_an_error():
    loaded = source.from_names({"colour": "blue"}, "g.py")
    assert loaded.errors == ["g.py: unknown setting 'colour': no such setting in wsgiserver "
                             "or gunicorn (name a helper variable _like_this)"]


@pytest.mark.parametrize("name, value, message", [
    ("workers", "four", "g.py: workers: expected a whole number, got 'four'"),
    ("workers", 2.5, "g.py: workers: expected a whole number, got 2.5"),
    ("timeout", -1, "g.py: timeout: expected a number >= 0, got -1"),
    ("bind", 8000, "g.py: bind: expected text or a list of text, got 8000"),
    ("preload_app", "maybe", "g.py: preload_app: expected yes or no, got 'maybe'"),
    ("loglevel", "loud", "g.py: loglevel: log level must be one of debug, info, warning, "
                         "error, critical, got 'loud'"),
    ("when_ready", 3, "g.py: when_ready: expected a callable or 'module:name', got 3"),
])
def test_a_wrong_type_names_the_setting_the_value_and_the_expectation(name, value, message):
    assert source.from_names({name: value}, "g.py").errors == [message]


def test_an_unsupported_gunicorn_setting_is_one_warning_with_the_reason():
    loaded = source.from_names({"worker_class": "gevent", "keyfile": "k.pem"}, "g.py")
    assert loaded.errors == [] and loaded.options == {}
    assert loaded.warnings == [
        "g.py: gunicorn's setting 'worker_class' is not supported, ignored: "
        + GUNICORN_BY_NAME["worker_class"].why_not,
        "g.py: gunicorn's setting 'keyfile' is not supported, ignored: "
        + GUNICORN_BY_NAME["keyfile"].why_not]


def test_a_broken_file_is_one_line_with_its_line_number(tmp_path):
    bad_syntax = write(tmp_path, "a.py", "workers = 2\nthreads = (\n")
    with pytest.raises(ConfigError, match=r"^.*a\.py line 2: syntax error: "):
        source.load_location(bad_syntax)
    bad_name = write(tmp_path, "b.py", "workers = 2\n\nthreads = cores * 2\n")
    with pytest.raises(ConfigError, match=r"b\.py line 3: NameError: name 'cores' is not"):
        source.load_location(bad_name)
    with pytest.raises(ConfigError, match=r"^cannot read config file .*nope\.py: No such"):
        source.load_location(str(tmp_path / "nope.py"))


def test_a_config_module_is_named_with_python_prefix(tmp_path, monkeypatch):
    write(tmp_path, "my_server_conf.py", "workers = 3\nloglevel = 'error'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    loaded = source.load_location("python:my_server_conf")
    assert loaded.options == {"workers": 3, "log_level": "error"}
    with pytest.raises(ConfigError, match="cannot import config module 'no_such_conf'"):
        source.load_location("python:no_such_conf")
    sys.modules.pop("my_server_conf", None)


def test_the_default_file_is_ours_then_gunicorns(tmp_path):
    assert source.default_location(str(tmp_path)) is None
    write(tmp_path, "gunicorn.conf.py", "")
    assert source.default_location(str(tmp_path)).endswith("/gunicorn.conf.py")
    write(tmp_path, "wsgiserver.conf.py", "")
    assert source.default_location(str(tmp_path)).endswith("/wsgiserver.conf.py")


def test_a_later_layer_wins_and_each_value_keeps_its_origin():
    options, origins = source.merge([
        ("default", {"threads": 4, "bind": ["0.0.0.0:8000"]}),
        ("file", {"threads": 3, "accesslog": "-"}), ("env", {"threads": 5}),
        ("cli", {"bind": ["127.0.0.1:1"]})])
    assert options == {"threads": 5, "bind": ["127.0.0.1:1"], "access_logfile": "-"}
    assert origins == {"threads": "env", "bind": "cli", "access_logfile": "file"}


def test_web_concurrency_is_the_default_number_of_workers():
    assert source.environment_defaults({"WEB_CONCURRENCY": "3"}).options == {"workers": 3}
    assert source.environment_defaults({}).options == {}
    assert source.environment_defaults({"WEB_CONCURRENCY": "x"}).errors == [
        "$WEB_CONCURRENCY: expected a whole number, got 'x'"]


# -- the command line ---------------------------------------------------------------

def print_config(args, cwd, **env) -> dict[str, tuple[str, str]]:
    result = run_cli(["--print-config", *args], cwd=str(cwd), env={**CLEAN_ENV, **env})
    assert result.returncode == 0, result.stderr
    lines = {}
    for line in result.stdout.splitlines():
        name, _, rest = line.partition(" = ")
        value, _, origin = rest.partition("  # ")
        lines[name] = (value, origin)
    return lines


def test_print_config_shows_every_setting_and_where_its_value_came_from(tmp_path):
    write(tmp_path, "wsgiserver.conf.py", "threads = 3\naccesslog = '-'\n"
                                          "def when_ready(server):\n    pass\n")
    shown = print_config(["--keep-alive", "9"], tmp_path, WEB_CONCURRENCY="2", PORT="8765",
                         WSGISERVER_CMD_ARGS="--backlog 64")
    from wsgiserver.settings import SETTINGS
    assert list(shown) == [s.name for s in SETTINGS]
    assert shown["threads"] == ("3", "file ./wsgiserver.conf.py")
    assert shown["access_logfile"] == ("'-'", "file ./wsgiserver.conf.py")
    assert shown["when_ready"] == ("'__config__:when_ready'", "file ./wsgiserver.conf.py")
    assert shown["backlog"] == ("64", "env $WSGISERVER_CMD_ARGS")
    assert shown["keepalive"] == ("9", "cli")
    assert shown["workers"] == ("2", "default ($WEB_CONCURRENCY)")
    assert shown["bind"] == ("['0.0.0.0:8765']", "default ($PORT)")
    assert shown["read_timeout"] == ("60", "default")


def test_the_precedence_chain_for_one_setting(tmp_path):
    def threads(*args, **env):
        return print_config(list(args), tmp_path, **env)["threads"]

    assert threads() == ("4", "default")
    write(tmp_path, "gunicorn.conf.py", "threads = 3\n")
    assert threads() == ("3", "file ./gunicorn.conf.py")
    assert threads(WSGISERVER_CMD_ARGS="--threads 5") == ("5", "env $WSGISERVER_CMD_ARGS")
    assert threads("--threads", "6", WSGISERVER_CMD_ARGS="--threads 5") == ("6", "cli")
    other = write(tmp_path, "other.py", "threads = 7\n")
    assert threads(WSGISERVER_CMD_ARGS=f"-c {other}") == ("7", f"file {other}")
    assert threads("-c", other, WSGISERVER_CMD_ARGS="-c gunicorn.conf.py") == (
        "7", f"file {other}")


def test_workers_from_web_concurrency_yield_to_the_file(tmp_path):
    assert print_config([], tmp_path, WEB_CONCURRENCY="3")["workers"][0] == "3"
    write(tmp_path, "wsgiserver.conf.py", "workers = 2\n")
    assert print_config([], tmp_path, WEB_CONCURRENCY="3")["workers"] == (
        "2", "file ./wsgiserver.conf.py")


def test_a_port_argument_beats_the_files_bind(tmp_path):
    write(tmp_path, "wsgiserver.conf.py", "bind = '127.0.0.1:9001'\n")
    assert print_config(["9002"], tmp_path)["bind"] == ("['0.0.0.0:9002']", "cli")
    assert print_config([], tmp_path)["bind"][0] == "['127.0.0.1:9001']"


def test_the_precedence_chain_takes_effect_in_a_running_server(tmp_path):
    """file threads=3 and bind, $WSGISERVER_CMD_ARGS --threads 2: the server runs with 2."""
    port = free_port()
    write(tmp_path, "gunicorn.conf.py", f"bind = '127.0.0.1:{port}'\nthreads = 3\n")
    env = {**CLEAN_ENV, "WSGISERVER_CMD_ARGS": "--threads 2"}
    with server_process(["--static-root", REPO + "/html"], cwd=str(tmp_path),
                        env=env) as server:
        server.wait_for_port(port)
        assert server.wait_for_stderr("threads: 2"), server.stderr_text
        assert f"127.0.0.1:{port}" in server.stderr_text
        assert server.wait_for_stderr("config file: ./gunicorn.conf.py")


@pytest.mark.parametrize("conf, message", [
    ("wrokers = 2\n", "wsgiserver: error: ./gunicorn.conf.py: unknown setting 'wrokers' "
                      "(did you mean 'workers'?)"),
    ("workers = 'four'\n", "wsgiserver: error: ./gunicorn.conf.py: workers: expected a whole "
                           "number, got 'four'"),
    ("import os\nworkers = os.cpu_count(\n",
     "wsgiserver: error: ./gunicorn.conf.py line 2: syntax error: '(' was never closed"),
])
def test_a_config_mistake_is_one_line_and_exit_2(tmp_path, conf, message):
    write(tmp_path, "gunicorn.conf.py", conf)
    result = run_cli(["apps.hello:application"], cwd=str(tmp_path), env=CLEAN_ENV)
    assert (result.returncode, result.stderr.splitlines()) == (2, [message])


def test_a_missing_config_file_and_a_bad_env_flag_are_one_line(tmp_path):
    result = run_cli(["-c", "nope.py"], cwd=str(tmp_path), env=CLEAN_ENV)
    assert (result.returncode, result.stderr.strip()) == (
        2, "wsgiserver: error: cannot read config file nope.py: No such file or directory")
    result = run_cli([], cwd=str(tmp_path), env={**CLEAN_ENV, "WSGISERVER_CMD_ARGS": "--no-such 2"})
    assert result.returncode == 2
    assert result.stderr.startswith("wsgiserver: error: $WSGISERVER_CMD_ARGS: ")
    assert len(result.stderr.splitlines()) == 1


def test_check_config_loads_the_settings_and_the_app(tmp_path):
    write(tmp_path, "gunicorn.conf.py", "workers = 2\nworker_class = 'gevent'\n"
                                        "wsgi_app = 'apps.hello:application'\n")
    good = run_cli(["--check-config"], cwd=str(tmp_path), env=CLEAN_ENV)
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == ("wsgiserver: config OK (./gunicorn.conf.py; "
                                   "app: apps.hello:application)")
    assert good.stderr.splitlines() == [
        "wsgiserver: warning: ./gunicorn.conf.py: gunicorn's setting 'worker_class' is not "
        "supported, ignored: " + GUNICORN_BY_NAME["worker_class"].why_not]
    bad_app = run_cli(["--check-config", "apps.no_such_app"], cwd=str(tmp_path),
                      env=CLEAN_ENV)
    assert bad_app.returncode == 2 and "no module named 'apps.no_such_app'" in bad_app.stderr
    write(tmp_path, "gunicorn.conf.py", "workers = 'two'\nthreds = 3\n")
    bad_file = run_cli(["--check-config"], cwd=str(tmp_path), env=CLEAN_ENV)
    assert bad_file.returncode == 2 and bad_file.stdout == ""
    assert bad_file.stderr.splitlines() == [
        "wsgiserver: error: ./gunicorn.conf.py: workers: expected a whole number, got 'two'",
        "wsgiserver: error: ./gunicorn.conf.py: unknown setting 'threds' "
        "(did you mean 'threads'?)"]


def test_check_config_reports_an_app_that_fails_to_import_in_one_line(tmp_path):
    write(tmp_path, "broken_app.py", "raise RuntimeError('no database')\n")
    result = run_cli(["--check-config", "broken_app:app"], cwd=str(tmp_path), env=CLEAN_ENV)
    assert (result.returncode, result.stderr.strip()) == (
        2, "wsgiserver: error: cannot load the app: RuntimeError: no database")


def test_print_config_into_a_pipe_closed_early_is_no_traceback():
    # `wsgiserver --print-config | head -3`: here the reader is gone before the first line.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run([sys.executable, "-m", "wsgiserver", "--print-config"],
                                cwd=REPO, stdout=write_end, stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(write_end)
    assert b"Traceback" not in result.stderr and result.returncode == 0
