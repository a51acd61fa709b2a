"""The settings table: one entry per setting feeds the CLI, the API, the parser and the docs."""

import logging
import os
import subprocess
import sys

import pytest

from tests.data.hooks import READY, record_ready
from tests.helpers import REPO, Client
from wsgiserver.errors import ConfigError
from wsgiserver.http.parser import Limits
from wsgiserver.settings import DEFAULTS, SECTIONS, SETTINGS, Config
from wsgiserver.testing import live_server


def test_every_setting_is_complete():
    names = [setting.name for setting in SETTINGS]
    assert len(names) == len(set(names))
    for setting in SETTINGS:
        assert setting.section in SECTIONS, setting.name
        assert setting.description and callable(setting.validator), setting.name
        assert all(flag.startswith("-") for flag in setting.flags), setting.name


def test_the_parser_limits_default_to_the_table():
    limits = Limits()
    assert (limits.request_line, limits.fields, limits.field_size, limits.body) == (
        DEFAULTS["limit_request_line"], DEFAULTS["limit_request_fields"],
        DEFAULTS["limit_request_field_size"], DEFAULTS["limit_request_body"])


def test_the_reference_page_is_generated_from_the_table():
    result = subprocess.run([sys.executable, "scripts/settings_reference.py", "--check"],
                            cwd=REPO, capture_output=True, timeout=60)
    assert result.returncode == 0, "docs/settings.md is stale: run scripts/settings_reference.py"
    page = open(f"{REPO}/docs/settings.md", encoding="utf-8").read()
    for setting in SETTINGS:
        assert f"### `{setting.name}`" in page


def test_a_wrong_value_names_the_setting():
    with pytest.raises(ConfigError, match=r"^--threads: expected a whole number, got 'x'$"):
        Config.from_options(threads="x")
    with pytest.raises(ConfigError, match="unknown option 'thread'"):
        Config.from_options(thread=4)


def test_a_hook_can_be_named_as_module_and_attribute():
    config = Config.from_options(when_ready="tests.data.hooks:record_ready")
    assert config.when_ready is record_ready
    with pytest.raises(ConfigError, match="when_ready: cannot load hook 'os:no_such'"):
        Config.from_options(when_ready="os:no_such")
    with pytest.raises(ConfigError, match="when_ready: hook 'os:sep' is not callable"):
        Config.from_options(when_ready="os:sep")


def hello(environ, start_response):
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]


def test_when_ready_runs_once_before_serving():
    READY.clear()
    with live_server(hello, when_ready=record_ready) as live:
        with Client.to(live) as client:
            assert client.request("/").status == 200
        assert [server for server, _ in READY] == [live.server]
    assert len(READY) == 1


def test_a_failing_hook_is_logged_and_the_server_serves(caplog):
    def broken(server):
        raise RuntimeError("hook bug")

    with caplog.at_level(logging.ERROR, logger="wsgiserver.error"), \
            live_server(hello, when_ready=broken) as live, Client.to(live) as client:
        assert client.request("/").status == 200
    assert "error in the when_ready hook" in caplog.text and "hook bug" in caplog.text


def test_help_lists_the_settings_by_section():
    result = subprocess.run([sys.executable, "-m", "wsgiserver", "--help"], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for section in SECTIONS:
        if any(s.section == section and s.flags for s in SETTINGS):
            assert f"\n{section.lower()}:\n" in result.stdout
    assert "when_ready" not in result.stdout and "when-ready" not in result.stdout


def test_the_old_name_keep_alive_still_works_with_a_warning():
    with pytest.warns(DeprecationWarning, match="'keep_alive' is now called 'keepalive'"):
        config = Config.from_options(keep_alive=7)
    assert config.keepalive == 7


def test_the_readme_shows_the_current_help():
    env = {**os.environ, "COLUMNS": "80"}
    result = subprocess.run([sys.executable, "-m", "wsgiserver", "--help"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    readme = open(f"{REPO}/README.md", encoding="utf-8").read()
    assert result.stdout in readme, \
        "README's command-line reference is stale: run python scripts/readme_help.py"
