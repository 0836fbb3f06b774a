"""Generic webhooks: shopdesk's own signed event format."""

from __future__ import annotations

import time

from api_helpers import GENERIC_SECRET, encode, generic_event, generic_headers

from shopdesk.domain.intake.signatures import sign_generic


async def _counts(services) -> tuple[int, int, int]:
    conn = services.store.reader
    counts = []
    for table in ("deliveries", "orders", "order_events"):
        async with conn.execute(f"SELECT count(*) FROM {table}") as cursor:
            counts.append((await cursor.fetchone())[0])
    return tuple(counts)


async def test_signed_event_stores_order_snapshot_and_event(client, services):
    body = encode(generic_event())
    response = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert response.status_code == 200, response.text
    receipt = response.json()
    assert receipt["status"] == "processed"
    order = await services.orders.get(receipt["order_id"])
    assert order.external_id == "1001"
    assert order.total_minor == 5980 and order.paid_minor == 5980
    assert order.items[0].price_minor == 2990
    assert order.customer.name == "王芳"
    events = await services.orders.events(order.id)
    assert [event.type for event in events] == ["paid"]


async def test_replay_answers_200_and_changes_nothing(client, services):
    body = encode(generic_event())
    first = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    before = await _counts(services)
    again = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert again.json()["order_id"] == first.json()["order_id"]
    assert await _counts(services) == before


async def test_wrong_secret_is_401_and_stores_nothing(client, services):
    body = encode(generic_event())
    response = await client.post(
        "/webhooks/shop", content=body, headers=generic_headers(body, "whsec_someone_else_entirely")
    )
    assert response.status_code == 401
    assert response.json()["field"] == "Shopdesk-Signature"
    assert await _counts(services) == (0, 0, 0)


async def test_missing_signature_is_401(client):
    body = encode(generic_event())
    response = await client.post("/webhooks/shop", content=body,
                                 headers={"Content-Type": "application/json"})
    assert response.status_code == 401
    assert "missing Shopdesk-Signature" in response.json()["detail"]


async def test_stale_timestamp_is_401(client):
    body = encode(generic_event())
    headers = generic_headers(body, at=int(time.time()) - 3600)
    response = await client.post("/webhooks/shop", content=body, headers=headers)
    assert response.status_code == 401
    assert "minutes" in response.json()["detail"]


async def test_future_dated_timestamp_is_401_and_nothing_stored(client, services):
    """A signature dated beyond the tolerance in the future is as stale as one from the past: a
    replayed or forged header cannot buy itself hours of validity with a clock set ahead."""
    body = encode(generic_event(id="evt_future"))
    headers = generic_headers(body, at=int(time.time()) + 3600)
    response = await client.post("/webhooks/shop", content=body, headers=headers)
    assert response.status_code == 401
    assert "minutes from the server's clock" in response.json()["detail"]
    assert await _counts(services) == (0, 0, 0)
    inside = generic_headers(body, at=int(time.time()) + 60)  # clocks a minute apart: accepted
    assert (await client.post("/webhooks/shop", content=body, headers=inside)).status_code == 200


async def test_signature_over_other_bytes_is_401(client):
    body = encode(generic_event())
    headers = generic_headers(body)
    tampered = body.replace(b"59.80", b"0.01")
    response = await client.post("/webhooks/shop", content=tampered, headers=headers)
    assert response.status_code == 401


async def test_rotation_accepts_old_and_new_secret(client, services):
    source, _ = await services.sources.rotate("shop", "whsec_new_secret_after_rotation")
    for index, secret in enumerate((GENERIC_SECRET, "whsec_new_secret_after_rotation")):
        body = encode(generic_event(id=f"evt_rot_{index}"))
        response = await client.post("/webhooks/shop", content=body,
                                     headers=generic_headers(body, secret))
        assert response.status_code == 200, response.text
    # A sender mid-rotation may send both v1 values; one matching is enough.
    body = encode(generic_event(id="evt_rot_both"))
    now = int(time.time())
    old = sign_generic("whsec_not_valid_anymore_000", body, now)
    new = sign_generic("whsec_new_secret_after_rotation", body, now).split(",")[1]
    response = await client.post("/webhooks/shop", content=body,
                                 headers={"Content-Type": "application/json",
                                          "Shopdesk-Signature": f"{old},{new}"})
    assert response.status_code == 200
    await services.sources.finish_rotation("shop")
    body = encode(generic_event(id="evt_rot_old"))
    response = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert response.status_code == 401


async def test_unknown_source_is_404(client):
    body = encode(generic_event())
    response = await client.post("/webhooks/nobody", content=body, headers=generic_headers(body))
    assert response.status_code == 404
    assert response.json() == {"detail": "no webhook source named 'nobody'", "field": "source"}


async def test_wrong_field_is_400_naming_the_path(client, services):
    event = generic_event()
    event["order"]["items"][0]["quantity"] = "two"
    body = encode(event)
    response = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert response.status_code == 400
    assert response.json()["field"] == "$.order.items[0].quantity"
    assert await _counts(services) == (0, 0, 0)


async def test_truncated_json_is_400(client, services):
    body = encode(generic_event())[:-7]
    response = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert response.status_code == 400
    assert "invalid event" in response.json()["detail"]
    assert await _counts(services) == (0, 0, 0)


async def test_amount_with_too_many_decimals_is_400(client):
    event = generic_event()
    event["order"]["total"] = "59.805"
    body = encode(event)
    response = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert response.status_code == 400
    assert response.json()["field"] == "$.order.total"


async def test_yen_has_no_minor_unit(client, services):
    event = generic_event(id="evt_jpy")
    event["order"].update(currency="JPY", total="4980", paid="4980",
                          items=[{"name": "Matcha", "price": "4980"}])
    body = encode(event)
    response = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    order = await services.orders.get(response.json()["order_id"])
    assert (order.total_minor, order.currency) == (4980, "JPY")


async def test_wrong_content_type_is_415(client, services):
    body = encode(generic_event())
    headers = {**generic_headers(body), "Content-Type": "text/plain"}
    response = await client.post("/webhooks/shop", content=body, headers=headers)
    assert response.status_code == 415
    assert response.json()["field"] == "Content-Type"
    assert await _counts(services) == (0, 0, 0)


async def test_body_over_the_limit_is_413(client, services):
    event = generic_event()
    event["order"]["address"] = "x" * (1_048_576 + 10)
    body = encode(event)
    response = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert response.status_code == 413
    assert await _counts(services) == (0, 0, 0)


async def test_disallowed_host_is_refused(client, services):
    body = encode(generic_event())
    response = await client.post("/webhooks/shop", content=body,
                                 headers={**generic_headers(body), "Host": "evil.example.com"})
    assert response.status_code == 400
    assert response.json()["field"] == "Host"
    assert await _counts(services) == (0, 0, 0)


async def test_exception_report_opens_a_case_visible_in_the_case_api(client, services, auth):
    event = generic_event(id="evt_damaged", type="delivered", report={
        "kind": "damaged", "level": 2, "title": "Tea set arrived broken",
        "description": "Customer sent photos of two broken cups", "evidence": ["photo1.jpg"],
    })
    body = encode(event)
    response = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert response.status_code == 200, response.text
    ref = response.json()["case"]
    assert ref.startswith("C-")
    listing = await client.get("/api/v1/cases", headers=auth)
    assert [item["ref"] for item in listing.json()["items"]] == [ref]
    detail = (await client.get(f"/api/v1/cases/{ref}", headers=auth)).json()
    assert detail["case"]["kind"] == "damaged"
    assert detail["case"]["level"] == 2
    assert detail["order"]["external_id"] == "1001"
    # A replay of the same delivery opens no second case.
    again = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert again.json()["status"] == "duplicate"
    assert again.json()["case"] == ref
    assert await services.cases.count() == 1


async def test_report_with_unknown_kind_is_400_and_stores_nothing(client, services):
    body = encode(generic_event(report={"kind": "alien_abduction"}))
    response = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert response.status_code == 400
    assert response.json()["field"] == "$.report.kind"
    assert await _counts(services) == (0, 0, 0)


async def test_event_without_id_deduplicates_on_body(client, services):
    event = generic_event()
    del event["id"]
    body = encode(event)
    await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    again = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert again.json()["status"] == "duplicate"


async def test_concurrent_deliveries_are_all_stored(client, services):
    import asyncio

    bodies = [encode(generic_event(id=f"evt_{n}", order={**generic_event()["order"], "id": str(n)}))
              for n in range(40)]
    responses = await asyncio.gather(*(
        client.post("/webhooks/shop", content=body, headers=generic_headers(body))
        for body in bodies
    ))
    assert {response.status_code for response in responses} == {200}
    assert await _counts(services) == (40, 40, 40)


async def test_same_delivery_posted_concurrently_is_stored_once(client, services):
    import asyncio

    body = encode(generic_event(id="evt_race"))
    responses = await asyncio.gather(*(
        client.post("/webhooks/shop", content=body, headers=generic_headers(body))
        for _ in range(10)
    ))
    statuses = sorted(response.json()["status"] for response in responses)
    assert statuses == ["duplicate"] * 9 + ["processed"]
    assert len({response.json()["delivery_id"] for response in responses}) == 1
    assert await _counts(services) == (1, 1, 1)


async def test_events_of_one_order_arriving_together_all_land_in_order(client, services):
    import asyncio

    order = generic_event()["order"]
    kinds = ["created", "paid", "shipped", "delivered"]
    bodies = [encode(generic_event(id=f"evt_seq_{n}", type=kind, order=order,
                                   occurred_at=f"2026-11-23T0{n}:00:00Z"))
              for n, kind in enumerate(kinds)]
    await asyncio.gather(*(
        client.post("/webhooks/shop", content=body, headers=generic_headers(body))
        for body in bodies
    ))
    stored = await services.orders.find("shop", "1001")
    assert [event.type for event in await services.orders.events(stored.id)] == kinds
