"""--reload without a server: which files are watched, the two engines, the reloader's choices."""

from __future__ import annotations

import logging
import os
import signal
import time

import pytest

from tests.helpers import wait_until
from wsgiserver.errors import ConfigError
from wsgiserver.process import watch
from wsgiserver.process.reloader import Reloader, app_sources, syntax_error
from wsgiserver.process.watch import InotifyWatcher, PollWatcher, Watched, make_watcher

ENGINES = ["poll", pytest.param("inotify", marks=pytest.mark.skipif(
    not watch.inotify_available(), reason="inotify_simple is not installed"))]


class FakeArbiter:
    def __init__(self) -> None:
        self.signals: list[int] = []

    def queue_signal(self, signum: int) -> None:
        self.signals.append(signum)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A folder with a package `webapp` (and a subpackage) and a lone module `solo`."""
    (tmp_path / "webapp" / "views").mkdir(parents=True)
    (tmp_path / "webapp" / "__init__.py").write_text("from .views import app as application\n")
    (tmp_path / "webapp" / "views" / "__init__.py").write_text("app = None\n")
    (tmp_path / "webapp" / "notes.txt").write_text("not code\n")
    (tmp_path / "solo.py").write_text("application = None\n")
    (tmp_path / "helper.py").write_text("X = 1\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text("<p>\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_package_app_watches_its_whole_package_without_importing_it(project):
    watched = app_sources("webapp.views:app()")
    assert watched.code_dirs == [str(project / "webapp")]
    assert sorted(watched.files()) == [str(project / "webapp" / "__init__.py"),
                                       str(project / "webapp" / "views" / "__init__.py")]
    import sys
    assert "webapp" not in sys.modules


def test_a_lone_module_watches_the_modules_beside_it(project):
    watched = app_sources("solo", [str(project / "templates")])
    assert watched.code_files == [str(project / "helper.py"), str(project / "solo.py")]
    assert str(project / "templates" / "page.html") in set(watched.files())


def test_an_app_that_cannot_be_found_watches_only_the_extras(project, caplog):
    with caplog.at_level(logging.WARNING, logger="wsgiserver.error"):
        watched = app_sources("no_such_module:app", ["x.cfg"])
    assert (watched.code_dirs, watched.code_files) == ([], [])
    assert watched.extras == [str(project / "x.cfg")]
    assert "cannot find module 'no_such_module'" in caplog.text


def _watcher(engine: str, watched: Watched):
    return PollWatcher(watched, interval=0.05) if engine == "poll" else InotifyWatcher(watched)


def _changes(watcher, act) -> set[str]:
    """What the watcher reports after act(), gathered for up to 2 s."""
    act()
    seen: set[str] = set()
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and not seen:
        seen |= watcher.wait(0.2)
    return seen


@pytest.mark.parametrize("engine", ENGINES)
def test_an_edit_a_new_module_and_a_deletion_are_seen(project, engine):
    watched = app_sources("webapp", [str(project / "templates" / "*.html")])
    watcher = _watcher(engine, watched)
    try:
        views = project / "webapp" / "views" / "__init__.py"
        assert _changes(watcher, lambda: views.write_text("app = 1\n")) == {str(views)}
        new = project / "webapp" / "views" / "extra.py"
        assert _changes(watcher, lambda: new.write_text("Y = 2\n")) == {str(new)}
        assert _changes(watcher, new.unlink) == {str(new)}
        page = project / "templates" / "new.html"
        assert _changes(watcher, lambda: page.write_text("<b>\n")) == {str(page)}
    finally:
        watcher.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_files_that_are_not_code_are_not_changes(project, engine):
    watcher = _watcher(engine, app_sources("webapp"))
    try:
        (project / "webapp" / "notes.txt").write_text("still not code\n")
        (project / "elsewhere.py").write_text("Z = 3\n")
        assert watcher.wait(0.3) == set()
    finally:
        watcher.close()


def test_a_new_subpackage_is_watched_by_inotify_too(project):
    if not watch.inotify_available():
        pytest.skip("inotify_simple is not installed")
    watcher = InotifyWatcher(app_sources("webapp"))
    try:
        (project / "webapp" / "api").mkdir()
        watcher.wait(0.2)  # the folder's creation: now watched
        module = project / "webapp" / "api" / "v1.py"
        assert _changes(watcher, lambda: module.write_text("V = 1\n")) == {str(module)}
    finally:
        watcher.close()


def test_auto_polls_when_inotify_is_not_installed_and_inotify_says_so(project, monkeypatch):
    monkeypatch.setattr(watch, "inotify_available", lambda: False)
    assert isinstance(make_watcher("auto", Watched()), PollWatcher)
    with pytest.raises(ConfigError, match=r"pip install 'wsgiserver\[reload\]'"):
        make_watcher("inotify", Watched())


def test_syntax_error_is_the_compilers_message(project):
    bad = project / "webapp" / "broken.py"
    bad.write_text("def f(:\n")
    assert "SyntaxError" in syntax_error(str(bad)) and "broken.py" in syntax_error(str(bad))
    assert syntax_error(str(project / "solo.py")) is None
    assert syntax_error(str(project / "templates" / "page.html")) is None


def test_a_syntax_error_is_logged_once_and_reloads_nothing_until_fixed(project, caplog):
    arbiter = FakeArbiter()
    reloader = Reloader("webapp")
    reloader._arbiter = arbiter
    views = str(project / "webapp" / "views" / "__init__.py")
    with caplog.at_level(logging.INFO, logger="wsgiserver.error"):
        assert reloader.on_change({views})
        (project / "webapp" / "views" / "__init__.py").write_text("app = (\n")
        assert not reloader.on_change({views})
        assert not reloader.on_change({views})  # saved again, still broken
        assert not reloader.on_change({str(project / "webapp" / "__init__.py")})
        (project / "webapp" / "views" / "__init__.py").write_text("app = 2\n")
        assert reloader.on_change({views})
    assert arbiter.signals == [signal.SIGHUP, signal.SIGHUP]
    assert caplog.text.count("does not compile") == 1
    assert caplog.text.count("SyntaxError") == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_the_reloader_thread_queues_sighup_after_an_edit(project, engine):
    arbiter = FakeArbiter()
    reloader = Reloader("webapp", engine=engine)
    reloader.start(arbiter)
    try:
        (project / "webapp" / "__init__.py").write_text("application = 3\n")
        assert wait_until(lambda: arbiter.signals, timeout=3)
        assert arbiter.signals == [signal.SIGHUP]
    finally:
        reloader.stop()
    assert not reloader._thread.is_alive()


def test_a_file_edited_in_the_same_second_with_the_same_size_is_still_seen(project):
    # mtime_ns, not whole seconds: two quick saves of the same length both count.
    module = project / "solo.py"
    watcher = PollWatcher(app_sources("solo"), interval=0.05)
    stat = os.stat(module)
    os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1000))
    assert watcher.wait(0.3) == {str(module)}
