"""Fixtures every TUI test file shares: the language reset, and an empty store in tmp_path (each
file builds its own Services on it: the case world's or the queue world's settings)."""

from __future__ import annotations

import pytest

from shopdesk.store import open_store
from shopdesk.tui import i18n


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
