"""Generic webhooks: a time without its offset is refused, and an event id resent with another
event is 409, not a silent duplicate (N15)."""

from __future__ import annotations

import copy
import json

import pytest
from api_helpers import encode, generic_event, generic_headers


async def _counts(services) -> tuple[int, int, int]:
    counts = []
    for table in ("deliveries", "orders", "order_events"):
        async with services.store.reader.execute(f"SELECT count(*) FROM {table}") as cursor:
            counts.append((await cursor.fetchone())[0])
    return tuple(counts)


@pytest.mark.parametrize(
    ("path", "field"),
    [(("occurred_at",), "$.occurred_at"), (("order", "placed_at"), "$.order.placed_at"),
     (("order", "ship_by"), "$.order.ship_by")],
)
async def test_a_time_without_its_offset_is_400_naming_it(client, services, path, field):
    event = generic_event()
    target = event
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = "2026-11-23T10:00:00"  # 10:00 where? The shop's zone is UTC+8.
    body = encode(event)
    response = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
    assert "must be a time with its UTC offset, like 2026-11-23T10:00:00+08:00" in \
        response.json()["detail"]
    assert await _counts(services) == (0, 0, 0)


async def test_the_same_id_with_another_event_is_409_and_keeps_the_first(client, services):
    body = encode(generic_event())
    first = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert first.status_code == 200
    before = await _counts(services)
    other = generic_event(type="shipped")
    other["order"]["tracking_number"] = "SF1234567890"
    body = encode(other)
    response = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert response.status_code == 409, response.text
    assert response.json() == {
        "detail": f"event id 'evt_1001' was delivered before (delivery "
                  f"{first.json()['delivery_id']}) with a different body: a new event needs a "
                  "new id; a retry sends the same event again",
        "field": "$.id",
    }
    assert await _counts(services) == before
    order = await services.orders.get(first.json()["order_id"])
    assert order.tracking_number == "" and order.status == "paid"


async def test_a_retry_of_the_same_event_written_otherwise_is_still_a_duplicate(client, services):
    event = generic_event()
    body = encode(event)
    first = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    respelled = copy.deepcopy(event)
    respelled["occurred_at"] = "2026-11-23T10:00:00+08:00"  # the same moment
    body = json.dumps(dict(reversed(list(respelled.items()))), indent=2,
                      ensure_ascii=True).encode()
    again = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "duplicate"
    assert again.json()["delivery_id"] == first.json()["delivery_id"]


async def test_openapi_lists_409_for_webhooks(client):
    schema = (await client.get("/schema/openapi.json")).json()
    assert "409" in schema["paths"]["/webhooks/{source}"]["post"]["responses"]
