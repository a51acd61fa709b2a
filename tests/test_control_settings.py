"""The Control and reload settings: validators, and which master services they start."""

import pytest

from wsgiserver.errors import ConfigError
from wsgiserver.process.control import ControlServer
from wsgiserver.process.reloader import Reloader, master_services
from wsgiserver.settings import Config


def test_the_socket_mode_is_octal_and_keeps_the_owner_in():
    assert Config.from_options(control_socket_mode="0660").control_socket_mode == 0o660
    assert Config.from_options(control_socket_mode=0o600).control_socket_mode == 0o600
    assert str(Config().control_socket_mode) == "0600"
    with pytest.raises(ConfigError, match="the owner needs read and write"):
        Config.from_options(control_socket_mode="0400")
    with pytest.raises(ConfigError, match="expected an octal mode like 0600, got '9'"):
        Config.from_options(control_socket_mode="9")


def test_the_reload_engine_is_one_of_three():
    assert Config.from_options(reload_engine="POLL").reload_engine == "poll"
    with pytest.raises(ConfigError, match="reload engine must be one of auto, poll, inotify"):
        Config.from_options(reload_engine="fsevents")


def test_no_service_unless_asked_for():
    assert master_services(Config(), "apps.hello") == []
    config = Config.from_options(control_socket="/tmp/x.ctl", reload=True,
                                 reload_extra_files=["a.html"], reload_engine="poll")
    control, reloader = master_services(config, "apps.hello")
    assert isinstance(control, ControlServer) and control.mode == 0o600
    assert isinstance(reloader, Reloader) and reloader.extra_files == ["a.html"]
    assert (reloader.spec, reloader.engine) == ("apps.hello", "poll")
