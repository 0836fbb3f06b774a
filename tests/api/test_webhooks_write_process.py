"""While the API serves, deliveries are written by the store's write process (a helper with a GIL
of its own, so the event loop and the writes each have a core); a killed helper loses no delivery
answered 2xx and the next one is written by a new helper; the helper stops with the API."""

from __future__ import annotations

import os
import signal

from api_helpers import BASE_URL, encode, generic_event, generic_headers
from litestar.testing import AsyncTestClient
from processes import gone

from shopdesk.api.app import create_app
from shopdesk.services import Services


def _event(n: int) -> bytes:
    return encode(generic_event(id=f"evt_wp_{n}", order={**generic_event()["order"],
                                                         "id": str(5000 + n)}))


async def _post(client, n: int):
    body = _event(n)
    return await client.post("/webhooks/shop", content=body, headers=generic_headers(body))


async def _stored(services: Services) -> set[str]:
    async with services.store.reader.execute(
            "SELECT dedupe_key FROM deliveries WHERE status = 'processed'") as cursor:
        return {row[0] for row in await cursor.fetchall()}


async def test_deliveries_are_written_by_a_helper_that_stops_with_the_api(services: Services):
    async with AsyncTestClient(create_app(services), base_url=BASE_URL) as client:
        response = await _post(client, 1)
        assert response.status_code == 200, response.text
        helper = services.intake.write_process_pid
        assert helper is not None and helper != os.getpid()
        assert "event:evt_wp_1" in await _stored(services)  # committed before the answer
    assert services.intake.write_process_pid is None
    assert gone(helper)


async def test_a_killed_helper_loses_no_delivery(client, services: Services):
    assert (await _post(client, 0)).status_code == 200
    first = services.intake.write_process_pid
    for n in range(1, 9):
        if n == 4:
            os.kill(first, signal.SIGKILL)
        response = await _post(client, n)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "processed"
    assert await _stored(services) == {f"event:evt_wp_{n}" for n in range(9)}
    assert services.intake.write_process_pid not in (None, first)


async def test_a_store_deleted_under_the_server_takes_no_delivery(client, services: Services,
                                                                  tmp_path):
    """QA3 Q2: the store file deleted (or moved) while the API serves: deliveries are refused
    with a 503 naming the store, never answered 200 into a file nobody will open again, and
    /healthz says so."""
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
