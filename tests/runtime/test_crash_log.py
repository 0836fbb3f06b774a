"""A crash of the desk leaves its traceback in the log file and one line on the terminal saying
where that log is (N23): over SSH the terminal, and what Textual printed on it, is gone."""

from __future__ import annotations

import logging

import pytest

from shopdesk.config import Settings
from shopdesk.serving import runtime
from shopdesk.store import open_store
from shopdesk.tui import i18n
from shopdesk.tui.app import ShopdeskApp


@pytest.fixture
def root_logging():
    """runtime.run points the root logger at its file; give pytest its handlers back after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    i18n.set_language("en")


async def run_desk(tmp_path):
    store = tmp_path / "shop.db"
    async with open_store(store):
        pass
    log_path = tmp_path / "shopdesk.log"
    code = await runtime.run(db_path=store, settings=Settings(), operator=None,
                             serve_api=False, log_path=log_path, headless=True)
    return code, log_path


async def test_an_unhandled_error_in_the_app_is_logged_with_its_traceback(
    tmp_path, monkeypatch, capsys, root_logging
):
    def crash(self) -> None:
        raise RuntimeError("boom in the desk")

    monkeypatch.setattr(ShopdeskApp, "startup_settled", crash)
    code, log_path = await run_desk(tmp_path)
    assert code == 1
    log = log_path.read_text()
    assert "the app ends on an unhandled error" in log
    assert "Traceback (most recent call last)" in log and "RuntimeError: boom in the desk" in log
    assert "exited with an error (code 1)" in log
    err = capsys.readouterr().err
    assert f"shopdesk: stopped on an error; the details are in {log_path}" in err


async def test_an_unhandled_error_around_the_app_is_logged_and_said_in_one_line(
    tmp_path, monkeypatch, capsys, root_logging
):
    async def broken(*args, **kwargs):
        raise OSError("disk gone")

    monkeypatch.setattr(runtime, "_run", broken)
    code, log_path = await run_desk(tmp_path)
    assert code == 1
    log = log_path.read_text()
    assert "shopdesk ends on an unhandled error" in log and "OSError: disk gone" in log
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        f"shopdesk: stopped on an error; the details are in {log_path}"
    ]


async def test_a_clean_quit_says_nothing(tmp_path, monkeypatch, capsys, root_logging):
    def quit_at_once(self) -> None:
        self.exit(0)

    monkeypatch.setattr(ShopdeskApp, "startup_settled", quit_at_once)
    code, log_path = await run_desk(tmp_path)
    assert code == 0
    assert "error" not in log_path.read_text()
    assert capsys.readouterr().err == ""
