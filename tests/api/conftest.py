"""API tests: AsyncTestClient(create_app(services)) on a real store in tmp_path, same loop."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_helpers import BASE_URL, GENERIC_SECRET, SHOPIFY_SECRET, WOO_SECRET
from litestar.testing import AsyncTestClient

from shopdesk.api.app import create_app
from shopdesk.services import Services
from shopdesk.store import open_store


@pytest.fixture
async def services(tmp_path: Path):
    async with open_store(tmp_path / "shop.db") as store:
        services = Services(store)
        await services.sources.add("shop", "generic", GENERIC_SECRET)
        await services.sources.add("woo", "woocommerce", WOO_SECRET)
        await services.sources.add("shopify", "shopify", SHOPIFY_SECRET)
        yield services


@pytest.fixture
async def client(services: Services):
    async with AsyncTestClient(create_app(services), base_url=BASE_URL) as client:
        yield client


@pytest.fixture
async def token(services: Services) -> str:
    _, token = await services.tokens.create("plugin", operator="plugin-bot")
    return token


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


