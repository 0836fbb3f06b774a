"""Outbound tests: a real store in tmp_path, Services with a movable clock and backoff in
hundredths of a second (so retries come at once)."""

from __future__ import annotations

import pytest
from operator_seats import seat_from_settings
from outbound_helpers import MONDAY_10, Clock

from shopdesk.config import Operator, Settings
from shopdesk.services import Services
from shopdesk.store import open_store


@pytest.fixture
def settings() -> Settings:
    return Settings(shop_name="Tea House", operators=[
        Operator(name="li.na", role="operator"), Operator(name="zhou.min", role="supervisor"),
        Operator(name="lin.feng", role="owner")])


@pytest.fixture
async def services(tmp_path, settings):
    async with open_store(tmp_path / "out.db") as store:
        services = Services(store, settings, clock=Clock(MONDAY_10))
        await seat_from_settings(services)  # roles live in the store
        services.outbound.retry_base = 0.01
        services.outbound.retry_cap = 0.05
        services.outbound.jitter = lambda: 0.5
        yield services
