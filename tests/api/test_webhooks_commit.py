"""docs/webhooks.md's promises about when a delivery is stored: a 2xx only once the transaction
holding it is committed (deliveries arriving together share one), and nothing answered 200 into a
store file deleted under the server (QA3 Q2). More in test_webhooks_direct.py."""

from __future__ import annotations

import asyncio

from api_helpers import encode, generic_event, generic_headers

from shopdesk.services import Services


def _event(n: int) -> bytes:
    return encode(generic_event(id=f"evt_commit_{n}", order={**generic_event()["order"],
                                                             "id": str(5000 + n)}))


async def _post(client, n: int):
    body = _event(n)
    return await client.post("/webhooks/shop", content=body, headers=generic_headers(body))


async def _stored(services: Services) -> set[str]:
    async with services.store.reader.execute(
            "SELECT dedupe_key FROM deliveries WHERE status = 'processed'") as cursor:
        return {row[0] for row in await cursor.fetchall()}


async def test_a_delivery_is_answered_after_its_commit(client, services: Services):
    for n in range(5):
        response = await _post(client, n)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "processed"
        # the reader connection sees the delivery as soon as the answer is there
        assert f"event:evt_commit_{n}" in await _stored(services)


async def test_deliveries_arriving_together_are_all_stored_before_their_answers(
        client, services: Services):
    responses = await asyncio.gather(*(_post(client, n) for n in range(20)))
    assert [response.status_code for response in responses] == [200] * 20
    assert await _stored(services) == {f"event:evt_commit_{n}" for n in range(20)}
    assert services.intake.written_deliveries == 20


async def test_a_store_deleted_under_the_server_takes_no_delivery(client, services: Services,
                                                                  tmp_path):
    """The store file deleted (or moved) while the API serves: deliveries are refused with a 503
    naming the store, never answered 200 into a file nobody will open again, and /healthz says
    so."""
    assert (await _post(client, 1)).status_code == 200
    moved = tmp_path / "moved away.db"
    services.store.path.rename(moved)
    response = await _post(client, 2)
    assert response.status_code == 503, response.text
    assert response.json()["field"] == "store"
    assert "was deleted or moved" in response.json()["detail"]
    assert (await client.get("/healthz")).json()["status"] == "store_missing"
    assert not services.store.path.exists()  # nothing made again at its path
    moved.rename(services.store.path)  # put back: the same file again
    assert (await _post(client, 3)).status_code == 200
    assert (await client.get("/healthz")).json()["status"] == "ok"
