"""OrderService: snapshots keyed by (source, external id), their events, and refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shopdesk.domain.cases import Customer, Order, OrderItem
from shopdesk.domain.errors import NotFoundError, ValidationError
from shopdesk.services import Services
from shopdesk.store import open_store

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SHOPIFY_ID = "5493827712345678901"  # above 2^53: must survive as text


@pytest.fixture
async def services(tmp_path):
    async with open_store(tmp_path / "orders.db") as store:
        yield Services(store, clock=lambda: NOW)


def order(**fields) -> Order:
    base = dict(
        source="shopify", external_id=SHOPIFY_ID, number="#1001",
        customer=Customer(name="王芳", email="wangfang@163.com", phone="+86 139 1234 5678"),
        address="上海市浦东新区张江路 88 号", items=[OrderItem(name="紫砂壶", sku="POT-1", price_minor=58800)],
        total_minor=58800, paid_minor=58800, status="paid", placed_at=NOW - timedelta(hours=3),
    )
    base.update(fields)
    return Order(**base)


async def test_upsert_inserts_then_updates_the_same_order(services):
    changes = []
    services.changes.subscribe(changes.append)
    first_id = await services.orders.upsert(order())
    again_id = await services.orders.upsert(order(status="shipped", carrier="SF Express",
                                                  tracking_number="SF1234567890123"))
    assert again_id == first_id
    stored = await services.orders.get(first_id)
    assert stored.external_id == SHOPIFY_ID
    assert (stored.status, stored.carrier, stored.tracking_number) == ("shipped", "SF Express", "SF1234567890123")
    assert stored.customer.name == "王芳" and stored.items[0].name == "紫砂壶"
    assert stored.updated_at == NOW
    assert [change.what for change in changes] == ["order", "order"]
    other_id = await services.orders.upsert(order(source="woocommerce"))
    assert other_id != first_id  # the same external id from another source is another order


async def test_record_order_returns_the_stored_snapshot(services):
    stored = await services.orders.record_order(order(), at=NOW - timedelta(days=1))
    assert stored.id is not None and stored.updated_at == NOW - timedelta(days=1)
    assert await services.orders.find("shopify", SHOPIFY_ID) == stored
    assert await services.orders.find("shopify", "404") is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"source": " "}, "source"), ({"external_id": ""}, "external_id"), ({"total_minor": -1}, "total_minor")],
)
async def test_bad_orders_are_refused(services, fields, field):
    with pytest.raises(ValidationError) as caught:
        await services.orders.upsert(order(**fields))
    assert caught.value.field == field


async def test_events_in_time_order_and_refusals(services):
    order_id = await services.orders.upsert(order())
    await services.orders.add_event(order_id, "shipped", at=NOW - timedelta(hours=1), data={"carrier": "EMS"})
    await services.orders.add_event(order_id, "paid", at=NOW - timedelta(hours=2))
    events = await services.orders.events(order_id)
    assert [(event.type, event.data) for event in events] == [("paid", {}), ("shipped", {"carrier": "EMS"})]
    with pytest.raises(ValidationError) as caught:
        await services.orders.add_event(order_id, "teleported")
    assert caught.value.field == "type"
    with pytest.raises(NotFoundError):
        await services.orders.add_event(9999, "paid")
    with pytest.raises(NotFoundError, match="no order 9999"):
        await services.orders.get(9999)
    assert len(await services.orders.events(order_id)) == 2
