"""Fixtures the TUI test files share: the language reset, an empty store in tmp_path, the file's
world's `services` on it, and the report world's week of cases.

A test file says which world it lives in with a module constant `WORLD`:
- "case" (the default): case_world's settings (olga and sam) and clock (the `clock` fixture);
- "queue": queue_world's settings (alice and sam) at its NOW;
- "seeded queue": the same with the queue's cases seeded (queue_world.seed_queue).
"""

from __future__ import annotations

import pytest
from case_world import FakeClock, seated, services_for
from queue_world import FakeClock as QueueClock
from queue_world import queue_settings, seed_queue
from report_world import build_week

from shopdesk.services import Services
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


@pytest.fixture
def clock() -> FakeClock:
    """The case world's clock, for a test that moves time."""
    return FakeClock()


@pytest.fixture
async def services(request, store, clock) -> Services:
    """The services of the test file's WORLD on the empty store (see above)."""
    world = getattr(request.module, "WORLD", "case")
    if world == "case":
        return await seated(services_for(store, clock))  # roles live in the store
    services = await seated(Services(store, queue_settings(), clock=QueueClock()))
    if world == "seeded queue":
        await seed_queue(services)
    else:
        assert world == "queue", f"unknown WORLD {world!r} in {request.module.__name__}"
    return services


@pytest.fixture
async def week(tmp_path):
    """A store holding the report world's week of cases (tests/services/report_world.py)."""
    async with open_store(tmp_path / "shop.db") as store:
        services, _ = await build_week(store)
        yield services
