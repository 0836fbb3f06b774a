"""No input gives a 5xx: arbitrary bytes and JSON, signed or not, at every POST route."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from api_helpers import (
    BASE_URL,
    GENERIC_SECRET,
    SHOPIFY_SECRET,
    WOO_SECRET,
    generic_headers,
    shopify_headers,
    woo_headers,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient

from shopdesk.api.app import create_app
from shopdesk.services import Services
from shopdesk.store import open_store

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(
        ["id", "type", "order", "total", "items", "price", "currency", "report", "kind", "level",
         "quantity", "line_items", "test", "status", "order_id", "date_modified_gmt", "text"]
    ) | st.text(max_size=8), children, max_size=6),
    max_leaves=20,
)
bodies = st.binary(max_size=300) | json_values.map(lambda value: json.dumps(value).encode())
content_types = st.sampled_from([
    "application/json", "application/json; charset=utf-8", "text/plain",
    "application/x-www-form-urlencoded", "", "multipart/form-data; boundary=x",
])


def test_arbitrary_input_never_gives_a_5xx(tmp_path: Path):
    loop = asyncio.new_event_loop()
    state: dict = {}

    async def setup():
        state["store_cm"] = open_store(tmp_path / "fuzz.db")
        store = await state["store_cm"].__aenter__()
        services = Services(store)
        await services.sources.add("shop", "generic", GENERIC_SECRET)
        await services.sources.add("woo", "woocommerce", WOO_SECRET)
        await services.sources.add("shopify", "shopify", SHOPIFY_SECRET)
        _, token = await services.tokens.create("fuzz")
        state["token"] = token
        state["client_cm"] = AsyncTestClient(create_app(services), base_url=BASE_URL)
        state["client"] = await state["client_cm"].__aenter__()

    async def teardown():
        await state["client_cm"].__aexit__(None, None, None)
        await state["store_cm"].__aexit__(None, None, None)

    loop.run_until_complete(setup())

    @settings(max_examples=300, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(
        target=st.sampled_from(["shop", "woo", "shopify", "nobody", "cases", "note", "escalate",
                                "resolve"]),
        body=bodies,
        content_type=content_types,
        signed=st.booleans(),
        topic=st.sampled_from(["order.created", "order.deleted", "orders/create",
                               "fulfillments/update", "refunds/create", "x"]),
    )
    def post(target, body, content_type, signed, topic):
        headers: dict[str, str] = {}
        if target == "shop" and signed:
            headers = generic_headers(body)
        elif target == "woo" and signed:
            headers = woo_headers(body, topic)
        elif target == "shopify" and signed:
            headers = shopify_headers(body, topic, webhook_id=str(hash(body)))
        headers["Content-Type"] = content_type
        if target in ("shop", "woo", "shopify", "nobody"):
            url = f"/webhooks/{target}"
        else:
            headers["Authorization"] = f"Bearer {state['token']}"
            url = "/api/v1/cases" if target == "cases" else f"/api/v1/cases/C-000001/{target}"
        state["posted"] = state.get("posted", 0) + 1
        response = loop.run_until_complete(state["client"].post(url, content=body, headers=headers))
        assert response.status_code < 500, (url, body, response.text)
        assert response.headers["content-type"].startswith("application/json")
        if response.status_code >= 400:
            assert set(response.json()) == {"detail", "field"}

    try:
        post()
        assert state["posted"] >= 100, state["posted"]
    finally:
        loop.run_until_complete(teardown())
        loop.close()
