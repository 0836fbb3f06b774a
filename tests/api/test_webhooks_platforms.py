"""WooCommerce and Shopify deliveries, in the shapes those platforms really send."""

from __future__ import annotations

import json

from api_helpers import (
    encode,
    fixture_bytes,
    fixture_json,
    shopify_headers,
    woo_headers,
)


async def _deliveries(services):
    return await services.intake.deliveries()


# --- WooCommerce -------------------------------------------------------------------------------

async def test_woocommerce_order_created_maps_the_rest_v3_order(client, services):
    body = fixture_bytes("woocommerce_order.json")
    response = await client.post("/webhooks/woo", content=body, headers=woo_headers(body))
    assert response.status_code == 200, response.text
    order = await services.orders.get(response.json()["order_id"])
    assert order.source == "woo" and order.external_id == "727" and order.number == "727"
    assert (order.total_minor, order.paid_minor, order.currency) == (6980, 6980, "CNY")
    assert order.items[0].price_minor == 2990 and order.items[0].quantity == 2
    assert order.customer.email == "li.wei@example.com"
    assert "Shanghai" in order.address
    assert order.status == "paid"
    assert order.placed_at.isoformat() == "2026-11-20T13:26:02+00:00"
    assert order.ship_by.isoformat() == "2026-11-22T02:00:00+00:00"
    events = [event.type for event in await services.orders.events(order.id)]
    assert events == ["created", "paid"]


async def test_woocommerce_ping_is_200_and_stores_nothing(client, services):
    response = await client.post(
        "/webhooks/woo", content=b"webhook_id=12",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "ping"
    assert await _deliveries(services) == []


async def test_form_post_that_is_not_a_ping_is_415(client, services):
    response = await client.post(
        "/webhooks/woo", content=b"order=1&total=3",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert await _deliveries(services) == []


async def test_woocommerce_same_second_deliveries_are_not_merged(client, services):
    """X-WC-Webhook-Delivery-ID repeats within a second: two different bodies are two deliveries."""
    order = fixture_json("woocommerce_order.json")
    first = encode(order)
    order["status"] = "completed"
    order["date_modified_gmt"] = "2026-11-20T13:30:12"
    order["meta_data"].append({"id": 1, "key": "_wc_shipment_tracking_items", "value": [
        {"tracking_provider": "sf-express", "tracking_number": "SF1234567890",
         "date_shipped": "1795226400"}]})
    second = encode(order)
    for body, topic in ((first, "order.created"), (second, "order.updated")):
        response = await client.post("/webhooks/woo", content=body,
                                     headers=woo_headers(body, topic, delivery_id="5"))
        assert response.json()["status"] == "processed"
    stored = await services.orders.find("woo", "727")
    assert (stored.status, stored.carrier, stored.tracking_number) == (
        "shipped", "sf-express", "SF1234567890")
    events = [event.type for event in await services.orders.events(stored.id)]
    assert events[-1] == "shipped"
    # The same body again (WooCommerce resends after a timeout) is a replay.
    again = await client.post("/webhooks/woo", content=second,
                              headers=woo_headers(second, "order.updated", delivery_id="5"))
    assert again.json()["status"] == "duplicate"
    assert len(await _deliveries(services)) == 2


async def test_woocommerce_wrong_signature_is_401(client, services):
    body = fixture_bytes("woocommerce_order.json")
    response = await client.post("/webhooks/woo", content=body,
                                 headers=woo_headers(body, secret="not the secret"))
    assert response.status_code == 401
    assert response.json()["field"] == "X-WC-Webhook-Signature"
    assert await _deliveries(services) == []


async def test_woocommerce_signed_junk_is_quarantined_with_202(client, services):
    body = b'{"id": "not-a-number", "total": ['
    response = await client.post("/webhooks/woo", content=body, headers=woo_headers(body))
    assert response.status_code == 202
    assert response.json()["status"] == "quarantined"
    problems = await services.intake.problems()
    assert len(problems) == 1 and problems[0].body == body
    assert "WooCommerce order" in problems[0].error
    assert await services.orders.find("woo", "727") is None
    assert await services.intake.count_problems() == 1


async def test_woocommerce_deleted_marks_the_order(client, services):
    body = fixture_bytes("woocommerce_order.json")
    await client.post("/webhooks/woo", content=body, headers=woo_headers(body))
    deleted = b'{"id":727}'
    response = await client.post("/webhooks/woo", content=deleted,
                                 headers=woo_headers(deleted, "order.deleted"))
    assert response.status_code == 200
    assert (await services.orders.find("woo", "727")).status == "deleted"


async def test_woocommerce_unknown_topic_is_quarantined(client, services):
    body = b'{"id": 12, "name": "A product"}'
    response = await client.post("/webhooks/woo", content=body,
                                 headers=woo_headers(body, "product.created"))
    assert response.status_code == 202
    assert "unsupported topic" in response.json()["detail"]


# --- Shopify -------------------------------------------------------------------------------------

async def test_shopify_order_keeps_ids_beyond_2_53_exactly(client, services):
    body = fixture_bytes("shopify_order.json")
    response = await client.post("/webhooks/shopify", content=body, headers=shopify_headers(body))
    assert response.status_code == 200, response.text
    order = await services.orders.get(response.json()["order_id"])
    assert order.external_id == "5821958430918245377"
    assert order.number == "#1042"
    assert (order.total_minor, order.paid_minor, order.currency) == (21393, 21393, "USD")
    assert order.items[0].price_minor == 19900 and order.items[0].sku == "IPOD2008PINK"
    assert order.customer.name == "Jane Smith" and order.customer.phone == "+16135551111"
    assert order.tags == ["vip", "gift"]
    assert order.placed_at.isoformat() == "2026-11-21T14:14:03+00:00"


async def test_shopify_replay_by_webhook_id_changes_nothing(client, services):
    body = fixture_bytes("shopify_order.json")
    await client.post("/webhooks/shopify", content=body, headers=shopify_headers(body))
    order = await services.orders.find("shopify", "5821958430918245377")
    before = await services.orders.events(order.id)
    again = await client.post("/webhooks/shopify", content=body, headers=shopify_headers(body))
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert await services.orders.events(order.id) == before


async def test_shopify_fulfillment_and_refund_update_the_order(client, services):
    order_body = fixture_bytes("shopify_order.json")
    await client.post("/webhooks/shopify", content=order_body, headers=shopify_headers(order_body))
    shipped = fixture_bytes("shopify_fulfillment.json")
    response = await client.post(
        "/webhooks/shopify", content=shipped,
        headers=shopify_headers(shipped, "fulfillments/create", webhook_id="wh-2"))
    assert response.status_code == 200, response.text
    refund = fixture_bytes("shopify_refund.json")
    response = await client.post(
        "/webhooks/shopify", content=refund,
        headers=shopify_headers(refund, "refunds/create", webhook_id="wh-3"))
    assert response.status_code == 200, response.text
    order = await services.orders.find("shopify", "5821958430918245377")
    assert (order.carrier, order.tracking_number) == ("UPS", "1Z2345")
    events = await services.orders.events(order.id)
    assert [event.type for event in events][-2:] == ["shipped", "refunded"]
    assert events[-1].data["amount_minor"] == 4194


async def test_shopify_test_notification_is_stored_flagged_and_opens_no_case(client, services):
    payload = fixture_json("shopify_order.json")
    payload.update(test=True, id=820982911946154508, email="jon@example.com")
    body = json.dumps(payload).encode()
    response = await client.post("/webhooks/shopify", content=body,
                                 headers=shopify_headers(body, webhook_id="test-1"))
    assert response.status_code == 200
    assert response.json()["status"] == "test"
    deliveries = await _deliveries(services)
    assert [delivery.status for delivery in deliveries] == ["test"]
    assert await services.orders.find("shopify", "820982911946154508") is None
    assert await services.cases.count() == 0
    summary = {source.name: source for source in await services.sources.list()}["shopify"]
    assert summary.tests == 1


async def test_shopify_wrong_hmac_is_401(client, services):
    body = fixture_bytes("shopify_order.json")
    headers = shopify_headers(body)
    headers["X-Shopify-Hmac-Sha256"] = "bm90IGEgcmVhbCBobWFj"
    response = await client.post("/webhooks/shopify", content=body, headers=headers)
    assert response.status_code == 401
    assert await _deliveries(services) == []


async def test_shopify_truncated_body_signed_as_sent_is_quarantined(client, services):
    body = fixture_bytes("shopify_order.json")[:500]
    response = await client.post("/webhooks/shopify", content=body, headers=shopify_headers(body))
    assert response.status_code == 202
    problem = (await services.intake.problems())[0]
    assert problem.topic == "orders/create"
    assert problem.headers["x-shopify-webhook-id"]


async def test_truncated_in_transit_fails_the_signature(client, services):
    body = fixture_bytes("shopify_order.json")
    response = await client.post("/webhooks/shopify", content=body[:500],
                                 headers=shopify_headers(body))
    assert response.status_code == 401
    assert await _deliveries(services) == []


async def _order_count(services) -> int:
    async with services.store.reader.execute("SELECT count(*) FROM orders") as cursor:
        return (await cursor.fetchone())[0]


async def test_shopify_fulfillment_for_an_unknown_order_is_an_intake_problem(client, services):
    """No phantom order (no number, total 0, an invented currency): the delivery is kept in
    quarantine, saying the order is unknown; the order's own webhook brings it in later."""
    shipped = fixture_bytes("shopify_fulfillment.json")
    response = await client.post(
        "/webhooks/shopify", content=shipped,
        headers=shopify_headers(shipped, "fulfillments/create", webhook_id="early"))
    assert response.status_code == 202, response.text
    receipt = response.json()
    assert receipt["status"] == "quarantined" and "order_id" not in receipt
    assert "order 5821958430918245377" in receipt["detail"]
    assert "unknown" in receipt["detail"]
    assert await _order_count(services) == 0
    [problem] = await services.intake.problems()
    assert (problem.topic, problem.body) == ("fulfillments/create", shipped)
    assert problem.error == receipt["detail"]
    again = await client.post(  # Shopify retries: still one problem
        "/webhooks/shopify", content=shipped,
        headers=shopify_headers(shipped, "fulfillments/create", webhook_id="early"))
    assert again.json()["status"] == "duplicate"
    assert await services.intake.count_problems() == 1

    order_body = fixture_bytes("shopify_order.json")
    created = await client.post("/webhooks/shopify", content=order_body,
                                headers=shopify_headers(order_body))
    assert created.json()["status"] == "processed"
    order = await services.orders.find("shopify", "5821958430918245377")
    assert (order.number, order.currency, order.total_minor) == ("#1042", "USD", 21393)


async def test_shopify_refund_for_an_unknown_order_invents_nothing(client, services):
    refund = fixture_bytes("shopify_refund.json")
    response = await client.post(
        "/webhooks/shopify", content=refund,
        headers=shopify_headers(refund, "refunds/create", webhook_id="wh-r"))
    assert response.status_code == 202
    assert "unknown" in response.json()["detail"]
    assert await _order_count(services) == 0


async def test_in_one_batch_a_fulfillment_after_its_order_applies_and_one_before_waits(
        services):
    """Group commit keeps arrival order: the order then its fulfilment apply; a fulfilment for
    another unknown order in the same transaction is quarantined without failing the others."""
    import asyncio

    def headers(body: bytes, topic: str, webhook_id: str) -> dict[str, str]:
        return {name.lower(): value
                for name, value in shopify_headers(body, topic, webhook_id).items()}

    order_body = fixture_bytes("shopify_order.json")
    shipped = fixture_bytes("shopify_fulfillment.json")
    stray = json.dumps({**fixture_json("shopify_fulfillment.json"), "order_id": 1}).encode()
    # a first delivery, so that the source is known and the three below arrive together
    await services.intake.receive("shopify", headers(b"{}", "products/create", "w"), b"{}")
    before = services.intake.written_batches
    receipts = await asyncio.gather(
        services.intake.receive("shopify", headers(order_body, "orders/create", "a"), order_body),
        services.intake.receive("shopify", headers(stray, "fulfillments/create", "b"), stray),
        services.intake.receive("shopify", headers(shipped, "fulfillments/create", "c"), shipped),
    )
    assert services.intake.written_batches - before == 1
    assert [receipt.status for receipt in receipts] == ["processed", "quarantined", "processed"]
    assert "order 1," in receipts[1].detail
    order = await services.orders.find("shopify", "5821958430918245377")
    assert (order.carrier, order.tracking_number, order.status) == ("UPS", "1Z2345", "shipped")
    assert await services.orders.find("shopify", "1") is None


async def test_woocommerce_deleting_an_unknown_order_creates_none(client, services):
    deleted = b'{"id":999}'
    response = await client.post("/webhooks/woo", content=deleted,
                                 headers=woo_headers(deleted, "order.deleted"))
    assert response.status_code == 202
    assert await services.orders.find("woo", "999") is None


async def test_one_batch_with_many_orders_and_a_replay(client, services):
    import asyncio

    payload = fixture_json("shopify_order.json")
    bodies = []
    for n in range(12):
        payload["id"] = 9_007_199_254_740_993 + n  # beyond 2^53
        bodies.append((json.dumps(payload).encode(), f"wh-{n}"))
    bodies.append(bodies[0])
    responses = await asyncio.gather(*(
        client.post("/webhooks/shopify", content=body, headers=shopify_headers(body, webhook_id=wid))
        for body, wid in bodies
    ))
    assert sorted(r.json()["status"] for r in responses).count("processed") == 12
    for n in range(12):
        assert await services.orders.find("shopify", str(9_007_199_254_740_993 + n)) is not None
