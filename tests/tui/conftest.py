"""Fixtures the TUI test files share: the language reset, an empty store in tmp_path (each file
builds its own Services on it: the case world's or the queue world's settings), and the report
world's week of cases."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from case_world import FakeClock  # noqa: E402
from report_world import build_week  # noqa: E402

from shopdesk.store import open_store  # noqa: E402
from shopdesk.tui import i18n  # noqa: E402


@pytest.fixture(autouse=True)
def english():
    """Every test starts in English and leaves English behind (a test may switch to Chinese)."""
    i18n.set_language("en")
    yield
    i18n.set_language("en")


@pytest.fixture
async def store(tmp_path):
    async with open_store(tmp_path / "desk.db") as store:
        yield store


@pytest.fixture
def clock() -> FakeClock:
    """The case world's clock, for a test that moves time (a file's `services` may take it)."""
    return FakeClock()


@pytest.fixture
async def week(tmp_path):
    """A store holding the report world's week of cases (tests/services/report_world.py)."""
    async with open_store(tmp_path / "shop.db") as store:
        services, _ = await build_week(store)
        yield services

