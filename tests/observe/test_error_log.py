"""The error log and logging configs: --error-logfile, --capture-output, --log-config,
--log-config-json, logconfig_dict, syslog, and USR1 reopening every log file."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys

import pytest

from tests.helpers import REPO, Client, free_port, run_cli, server_process, wait_until
from wsgiserver.errors import ConfigError
from wsgiserver.observe import log
from wsgiserver.settings import Config

APP = "tests.observe.log_app:application"
NO_STATIC = ["--static-root", "/nonexistent"]


def read(path) -> str:
    return open(path, encoding="utf-8").read() if os.path.exists(path) else ""


def get(port: int, target: str = "/") -> int:
    with Client("127.0.0.1", port) as client:
        return client.request(target).status


@pytest.fixture
def our_loggers():
    """setup_logging run in this process: our loggers as they were afterwards."""
    saved = [(lg, list(lg.handlers), lg.level, lg.propagate)
             for lg in (log.error_log, log.access_log)]
    yield
    for logger, handlers, level, propagate in saved:
        for handler in logger.handlers:
            if handler not in handlers:
                handler.close()
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


@pytest.mark.parametrize("flag", ["--error-logfile", "--log-file"])
def test_the_error_log_goes_to_a_file(tmp_path, flag):
    path = tmp_path / "error.log"
    port = free_port()
    with server_process([APP, str(port), flag, str(path), *NO_STATIC]) as server:
        server.wait_for_port(port)
        assert wait_until(lambda: "listening at" in read(path))
    assert "listening at" not in server.stderr_text
    assert "[INFO] wsgiserver" in read(path)


def test_capture_output_sends_the_apps_prints_to_the_error_log(tmp_path):
    path = tmp_path / "error.log"
    port = free_port()
    with server_process([APP, str(port), "--error-logfile", str(path), "--capture-output",
                         *NO_STATIC]) as server:
        server.wait_for_port(port)
        assert get(port, "/print") == 200
        assert wait_until(lambda: "to stderr by the app" in read(path)
                          and "printed by the app" in read(path))
    assert "printed by the app" not in "".join(server.stdout)


INI = """
[loggers]
keys=root,access
[handlers]
keys=file
[formatters]
keys=plain
[logger_root]
handlers=
[logger_access]
qualname=wsgiserver.access
level=INFO
handlers=file
propagate=0
[handler_file]
class=FileHandler
formatter=plain
args=('%(here)s/access-from-ini.log',)
[formatter_plain]
format=INI %(message)s
"""


def test_log_config_ini_configures_the_access_log(tmp_path):
    (tmp_path / "logging.ini").write_text(INI)
    port = free_port()
    with server_process([APP, str(port), "--log-config", str(tmp_path / "logging.ini"),
                         *NO_STATIC]) as server:
        server.wait_for_port(port)
        assert get(port, "/from-ini") == 200
        path = tmp_path / "access-from-ini.log"
        assert wait_until(lambda: '"GET /from-ini HTTP/1.1" 200' in read(path))
    assert read(path).startswith("INI 127.0.0.1 - - [")


def file_logging_dict(path) -> dict:
    return {"handlers": {"file": {"class": "logging.FileHandler", "filename": str(path),
                                  "formatter": "plain"}},
            "formatters": {"plain": {"format": "DICT %(name)s %(message)s"}},
            "loggers": {"wsgiserver.access": {"level": "INFO", "handlers": ["file"],
                                              "propagate": False},
                        "wsgiserver.error": {"level": "INFO", "handlers": ["file"]}}}


def test_log_config_json_configures_both_logs(tmp_path):
    path = tmp_path / "both.log"
    (tmp_path / "logging.json").write_text(json.dumps(file_logging_dict(path)))
    port = free_port()
    with server_process([APP, str(port), "--log-config-json", str(tmp_path / "logging.json"),
                         *NO_STATIC]) as server:
        server.wait_for_port(port)
        assert get(port, "/from-json") == 200
        assert wait_until(lambda: '"GET /from-json HTTP/1.1" 200' in read(path))
    assert "DICT wsgiserver.error wsgiserver" in read(path)
    assert "DICT wsgiserver.access 127.0.0.1" in read(path)


def test_logconfig_dict_is_applied_over_the_defaults(tmp_path, our_loggers):
    path = tmp_path / "dict.log"
    log.setup_logging(Config.from_options(logconfig_dict=file_logging_dict(path)))
    assert log.access_enabled()
    log.access_log.info("one line")
    assert "DICT wsgiserver.access one line" in read(path)


def test_logconfig_dict_alone_keeps_the_default_handlers(our_loggers, capsys):
    formatters = {"generic": {"format": "MINE %(message)s"}}  # replaces the default's
    log.setup_logging(Config.from_options(logconfig_dict={"formatters": formatters}))
    assert log.access_enabled()  # the defaults send it to stdout, as gunicorn's
    log.access_log.info("to stdout")
    log.error_log.info("to stderr")
    out, err = capsys.readouterr()
    assert "MINE to stdout" in out and "MINE to stderr" in err


def test_without_an_access_log_nothing_is_enabled(our_loggers):
    log.setup_logging(Config.from_options())
    assert not log.access_enabled()


@pytest.mark.parametrize(("options", "message"), [
    ({"logconfig_dict": {"handlers": {"h": {"class": "no.such.Handler"}}}},
     "cannot apply the logging config logconfig_dict"),
    ({"errorlog": "/nonexistent/dir/error.log"}, "cannot open log file"),
    ({"access_logfile": "/nonexistent/dir/access.log"}, "cannot open log file"),
])
def test_a_logging_mistake_is_one_config_error(options, message, our_loggers):
    with pytest.raises(ConfigError, match=message) as raised:
        log.setup_logging(Config.from_options(**options))
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("args", [
    ["--log-syslog-to", "http://x"], ["--log-syslog-to", "udp://h:port"],
    ["--log-syslog-facility", "nope"], ["--log-config", "/nonexistent.ini"],
    ["--log-config-json", "/nonexistent.json"], ["--access-logformat", "%(h"],
    ["--error-logfile", "/nonexistent/dir/e.log"],
])
def test_mistakes_on_the_command_line_are_one_line_and_exit_2(args):
    result = run_cli([APP, str(free_port()), *args])
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("wsgiserver: error: ")


def test_a_broken_ini_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "bad.ini").write_text("[loggers]\nkeys=root\n")
    result = run_cli([APP, str(free_port()), "--log-config", str(tmp_path / "bad.ini")])
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "cannot apply the logging config" in result.stderr


def test_syslog_gets_both_logs_with_the_prefix_and_facility():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as syslog:
        syslog.bind(("127.0.0.1", 0))
        syslog.settimeout(10)
        address = f"udp://127.0.0.1:{syslog.getsockname()[1]}"
        port = free_port()
        with server_process([APP, str(port), "--log-syslog", "--log-syslog-to", address,
                             "--log-syslog-prefix", "shop", "--log-syslog-facility", "local3",
                             *NO_STATIC]) as server:
            server.wait_for_port(port)
            assert get(port, "/via-syslog") == 200
            lines = _receive_until(syslog, b"/via-syslog")
    info = 19 * 8 + 6  # local3, informational (RFC 5424 §6.2.1)
    assert any(line.startswith(b"<%d>wsgiserver.shop.error: [" % info) for line in lines), lines
    access = [line for line in lines if b"/via-syslog" in line]
    # [pid] is the worker's that served it (a child of the master since issue 10).
    assert re.match(rb"<%d>wsgiserver\.shop\.access: \[\d+\] 127\.0\.0\.1 - - \[" % info,
                    access[0]), access[0]


def _receive_until(sock: socket.socket, marker: bytes) -> list[bytes]:
    lines: list[bytes] = []
    while not any(marker in line for line in lines) and len(lines) < 100:
        lines.append(sock.recv(65536))
    return lines


def test_usr1_reopens_the_log_files_after_they_are_moved_away(tmp_path):
    access, error = tmp_path / "access.log", tmp_path / "error.log"
    port = free_port()
    with server_process([APP, str(port), "--access-logfile", str(access), "--error-logfile",
                         str(error), "--capture-output", *NO_STATIC]) as server:
        server.wait_for_port(port)
        assert get(port, "/before") == 200
        assert wait_until(lambda: "/before" in read(access))
        os.rename(access, tmp_path / "access.log.1")  # what logrotate does
        os.rename(error, tmp_path / "error.log.1")
        server.signal(signal.SIGUSR1)
        assert wait_until(lambda: access.exists() and error.exists())
        assert get(port, "/print") == 200
        assert wait_until(lambda: "/print" in read(access)
                          and "printed by the app" in read(error))
        assert server.proc.poll() is None
    assert "/before" in read(tmp_path / "access.log.1")
    assert "/print" not in read(tmp_path / "access.log.1")
    assert "printed by the app" not in read(tmp_path / "error.log.1")


def test_reconfigure_logging_sets_the_loggers_up_from_the_new_settings(tmp_path, our_loggers):
    first = Config.from_options(errorlog=str(tmp_path / "a.log"))
    log.setup_logging(first)
    log.reconfigure_logging(first, Config.from_options(errorlog=str(tmp_path / "b.log"),
                                                        log_level="debug"))
    log.error_log.debug("to b")
    assert "to b" in (tmp_path / "b.log").read_text()
    assert "to b" not in (tmp_path / "a.log").read_text()


def test_reconfigure_logging_that_fails_puts_the_old_set_up_back(tmp_path, our_loggers):
    first = Config.from_options(errorlog=str(tmp_path / "a.log"))
    log.setup_logging(first)
    with pytest.raises(ConfigError, match="cannot open log file"):
        log.reconfigure_logging(first, Config.from_options(errorlog="/nonexistent/d/e.log"))
    log.error_log.warning("still to a")
    assert "still to a" in (tmp_path / "a.log").read_text()


def test_a_logging_config_is_replaced_not_added_to(tmp_path, our_loggers):
    dict_config = {"handlers": {
        "console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout"},
        "error_console": {"class": "logging.FileHandler",
                          "filename": str(tmp_path / "dict.log")}}}
    log.setup_logging(Config.from_options(logconfig_dict=dict_config))
    log.setup_logging(Config.from_options(errorlog=str(tmp_path / "plain.log")))
    assert len(log.error_log.handlers) == 1  # the dict's handler went with the dict
    log.error_log.warning("once")
    assert "once" not in (tmp_path / "dict.log").read_text()


CAPTURE_THEN_RELEASE = """
import os, sys
from wsgiserver.observe import log
from wsgiserver.settings import Config
log.setup_logging(Config.from_options(errorlog=sys.argv[1], capture_output=True))
print("captured", flush=True)
log.setup_logging(Config.from_options())  # a HUP that turned --capture-output off
print("released", flush=True)
os.write(2, b"stderr is back\\n")
"""


def test_capture_output_turned_off_gives_fds_1_and_2_back(tmp_path):
    path = tmp_path / "error.log"
    result = subprocess.run([sys.executable, "-c", CAPTURE_THEN_RELEASE, str(path)],
                            capture_output=True, text=True, timeout=30,
                            env={**os.environ, "PYTHONPATH": REPO})
    assert result.returncode == 0, result.stderr
    assert "captured" in path.read_text() and "captured" not in result.stdout
    assert "released" in result.stdout and "released" not in path.read_text()
    assert "stderr is back" in result.stderr


def test_handlers_others_added_stay_through_a_new_set_up(tmp_path, our_loggers):
    """A hook's handler, or the statsd error counter, on our error log."""
    log.setup_logging(Config.from_options())
    theirs = logging.NullHandler()
    log.error_log.addHandler(theirs)
    dict_config = {"handlers": {
        "console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout"},
        "error_console": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}}}
    for options in ({"errorlog": str(tmp_path / "a.log")}, {"logconfig_dict": dict_config},
                    {}):
        log.setup_logging(Config.from_options(**options))
        assert log.error_log.handlers.count(theirs) == 1, options


def test_a_reload_that_changes_nothing_of_logging_leaves_it_alone(our_loggers):
    """Not even a syslog that has gone away fails it."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        options = {"syslog": True, "syslog_addr": f"tcp://127.0.0.1:{listener.getsockname()[1]}"}
        log.setup_logging(Config.from_options(**options))
    handlers = list(log.error_log.handlers)
    log.reconfigure_logging(Config.from_options(**options),
                            Config.from_options(workers=3, **options))
    assert log.error_log.handlers == handlers


def test_an_edited_logging_config_file_is_read_again(tmp_path, our_loggers):
    config_file = tmp_path / "logging.json"

    def write(level: str) -> None:
        config_file.write_text(json.dumps({"version": 1, "disable_existing_loggers": False,
                                           "loggers": {"wsgiserver.error": {"level": level}}}))
    write("WARNING")
    config = Config.from_options(logconfig_json=str(config_file))
    log.setup_logging(config)
    assert log.error_log.level == logging.WARNING
    write("DEBUG")
    log.reconfigure_logging(config, Config.from_options(logconfig_json=str(config_file)))
    assert log.error_log.level == logging.DEBUG
