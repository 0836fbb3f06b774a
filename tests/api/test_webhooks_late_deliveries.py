"""A late delivery — older than the order snapshot shopdesk has — must not roll the order back:
status, carrier, tracking and ship date stay as the newer one left them; the delivery itself is
stored (N12). Generic, WooCommerce and Shopify."""

from __future__ import annotations

import copy
import json

from api_helpers import (
    encode,
    fixture_json,
    generic_event,
    generic_headers,
    shopify_headers,
    woo_headers,
)


async def _deliveries(services) -> int:
    async with services.store.reader.execute("SELECT count(*) FROM deliveries") as cursor:
        return (await cursor.fetchone())[0]


def shipped_generic() -> dict:
    event = generic_event(id="evt_ship", type="shipped", occurred_at="2026-11-23T15:00:00+08:00")
    event["order"].update(status="shipped", carrier="SF Express", tracking_number="SF1234567890",
                          shipped_at="2026-11-23T15:00:00+08:00")
    return event


async def test_generic_a_late_paid_event_keeps_the_shipped_order(client, services):
    shipped = encode(shipped_generic())
    first = await client.post("/webhooks/shop", content=shipped, headers=generic_headers(shipped))
    assert first.status_code == 200, first.text
    late = encode(generic_event())  # "paid" at 02:00Z (10:00 in Shanghai): sent first, came last
    response = await client.post("/webhooks/shop", content=late, headers=generic_headers(late))
    assert response.status_code == 200 and response.json()["status"] == "processed"
    assert "older than the order as shopdesk has it" in response.json()["detail"]
    order = await services.orders.get(first.json()["order_id"])
    assert (order.status, order.carrier, order.tracking_number) == (
        "shipped", "SF Express", "SF1234567890")
    assert order.shipped_at.isoformat() == "2026-11-23T07:00:00+00:00"
    assert order.changed_at.isoformat() == "2026-11-23T07:00:00+00:00"
    assert await _deliveries(services) == 2  # the late one is kept as a delivery
    events = await services.orders.events(order.id)
    assert sorted(event.type for event in events) == ["paid", "shipped"]  # both facts, once each


async def test_generic_a_newer_event_still_replaces_the_snapshot(client, services):
    shipped = encode(shipped_generic())
    await client.post("/webhooks/shop", content=shipped, headers=generic_headers(shipped))
    delivered = shipped_generic()
    delivered.update(id="evt_delivered", type="delivered", occurred_at="2026-11-25T09:00:00+08:00")
    delivered["order"].update(status="delivered", delivered_at="2026-11-25T09:00:00+08:00")
    body = encode(delivered)
    response = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert "detail" not in response.json()
    order = await services.orders.get(response.json()["order_id"])
    assert order.status == "delivered" and order.tracking_number == "SF1234567890"
    assert order.changed_at.isoformat() == "2026-11-25T01:00:00+00:00"


def woo(status: str, modified: str, tracking: str | None = None) -> bytes:
    order = fixture_json("woocommerce_order.json")
    order.update(status=status, date_modified_gmt=modified)
    if tracking:
        order["meta_data"].append({"id": 99, "key": "_wc_shipment_tracking_items", "value": [
            {"tracking_provider": "SF Express", "tracking_number": tracking,
             "date_shipped": "1763728200"}]})
    return json.dumps(order).encode()


async def test_woocommerce_a_late_processing_update_keeps_the_completed_order(client, services):
    completed = woo("completed", "2026-11-21T12:30:00", tracking="SF99887766")
    first = await client.post("/webhooks/woo", content=completed,
                              headers=woo_headers(completed, "order.updated", delivery_id="2"))
    assert first.status_code == 200, first.text
    late = woo("processing", "2026-11-20T13:30:11")
    response = await client.post("/webhooks/woo", content=late,
                                 headers=woo_headers(late, "order.updated", delivery_id="1"))
    assert response.status_code == 200 and response.json()["status"] == "processed"
    assert "the order keeps its newer state" in response.json()["detail"]
    order = await services.orders.get(first.json()["order_id"])
    assert order.status != "paid"  # "processing" maps to paid: not rolled back
    assert (order.carrier, order.tracking_number) == ("SF Express", "SF99887766")
    assert order.shipped_at is not None
    assert await _deliveries(services) == 2
    types = [event.type for event in await services.orders.events(order.id)]
    assert "updated" not in types and "tracking_update" not in types  # no change invented


def shopify_order(updated_at: str, *, shipped: bool) -> bytes:
    order = fixture_json("shopify_order.json")
    order["updated_at"] = updated_at
    if shipped:
        shipment = fixture_json("shopify_fulfillment.json")
        order["fulfillment_status"] = "fulfilled"
        order["fulfillments"] = [shipment]
    return json.dumps(order).encode()


async def test_shopify_a_late_order_update_keeps_the_fulfilled_order(client, services):
    fulfilled = shopify_order("2026-11-22T11:02:20-05:00", shipped=True)
    first = await client.post("/webhooks/shopify", content=fulfilled, headers=shopify_headers(
        fulfilled, "orders/updated", webhook_id="wh-new"))
    assert first.status_code == 200, first.text
    before = await services.orders.get(first.json()["order_id"])
    assert before.tracking_number == "1Z2345"
    late = shopify_order("2026-11-21T09:14:05-05:00", shipped=False)
    response = await client.post("/webhooks/shopify", content=late, headers=shopify_headers(
        late, "orders/updated", webhook_id="wh-old"))
    assert response.status_code == 200 and response.json()["status"] == "processed"
    order = await services.orders.get(first.json()["order_id"])
    assert (order.status, order.carrier, order.tracking_number, order.shipped_at) == (
        before.status, "UPS", "1Z2345", before.shipped_at)
    assert await _deliveries(services) == 2


async def test_shopify_a_late_fulfillment_update_fills_only_what_is_missing(client, services):
    newer = shopify_order("2026-11-23T08:00:00-05:00", shipped=False)
    first = await client.post("/webhooks/shopify", content=newer, headers=shopify_headers(
        newer, "orders/updated", webhook_id="wh-order"))
    order_id = first.json()["order_id"]
    shipment = fixture_json("shopify_fulfillment.json")  # updated 2026-11-22T11:02:18-05:00
    body = json.dumps(shipment).encode()
    response = await client.post("/webhooks/shopify", content=body, headers=shopify_headers(
        body, "fulfillments/create", webhook_id="wh-ship"))
    assert response.status_code == 200, response.text
    order = await services.orders.get(order_id)
    assert (order.carrier, order.tracking_number) == ("UPS", "1Z2345")  # it had none: filled
    assert order.status == "paid"  # the newer order update's status stays
    assert order.changed_at.isoformat() == "2026-11-23T13:00:00+00:00"
    delivered = copy.deepcopy(shipment)
    delivered.update(shipment_status="delivered", updated_at="2026-11-24T10:00:00-05:00")
    body = json.dumps(delivered).encode()
    await client.post("/webhooks/shopify", content=body, headers=shopify_headers(
        body, "fulfillments/update", webhook_id="wh-delivered"))
    order = await services.orders.get(order_id)
    assert order.status == "delivered"  # newer than the snapshot: applied
