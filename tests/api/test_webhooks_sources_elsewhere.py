"""A source removed or rotated by another process (the CLI) on the same store takes effect on the
running server's very next delivery: never a 5xx, never the old secret after `rotate --finish`."""

from __future__ import annotations

import asyncio

import pytest
from api_helpers import GENERIC_SECRET, encode, generic_event, generic_headers

from shopdesk.domain.errors import NotFoundError
from shopdesk.services import Services
from shopdesk.store import open_store

NEW_SECRET = "whsec_new_secret_from_the_cli_0001"


@pytest.fixture
async def cli(services: Services):
    """A second Services on the same file: what `shopdesk source …` in another process is."""
    async with open_store(services.store.path) as store:
        yield Services(store)


def _event(n: int, order: str = "1001") -> bytes:
    return encode(generic_event(id=f"evt_{order}_{n}", order={**generic_event()["order"],
                                                               "id": order}))


async def _post(client, body: bytes, secret: str = GENERIC_SECRET, source: str = "shop"):
    return await client.post(f"/webhooks/{source}", content=body,
                             headers=generic_headers(body, secret))


async def _deliveries(services: Services) -> int:
    async with services.store.reader.execute("SELECT count(*) FROM deliveries") as cursor:
        return (await cursor.fetchone())[0]


async def test_a_source_removed_elsewhere_is_404_at_once(client, services, cli):
    warm = await _post(client, _event(0))  # the server now knows the source
    assert warm.status_code == 200, warm.text
    await cli.sources.remove("shop")
    response = await _post(client, _event(1))
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": "no webhook source named 'shop'", "field": "source"}
    assert await _deliveries(services) == 0  # the removal took the first one with it


async def test_a_replay_to_a_source_removed_elsewhere_is_404(client, services, cli):
    body = _event(0)
    assert (await _post(client, body)).status_code == 200
    await cli.sources.remove("shop")
    response = await _post(client, body)
    assert response.status_code == 404, response.text


async def test_a_source_removed_and_added_again_elsewhere_takes_the_new_secret(client, cli):
    assert (await _post(client, _event(0))).status_code == 200
    await cli.sources.remove("shop")
    await cli.sources.add("shop", "generic", NEW_SECRET)
    assert (await _post(client, _event(1))).status_code == 401
    response = await _post(client, _event(2), NEW_SECRET)
    assert response.status_code == 200, response.text


async def test_the_old_secret_is_refused_right_after_rotate_finish_elsewhere(client, cli):
    await cli.sources.rotate("shop", NEW_SECRET)
    assert (await _post(client, _event(0))).status_code == 200  # old secret, mid-rotation
    assert (await _post(client, _event(1), NEW_SECRET)).status_code == 200
    await cli.sources.finish_rotation("shop")
    old = await _post(client, _event(2))
    assert old.status_code == 401, old.text
    assert old.json()["field"] == "Shopdesk-Signature"
    assert (await _post(client, _event(3), NEW_SECRET)).status_code == 200


async def test_rotate_now_elsewhere_refuses_the_old_secret_at_once(client, cli):
    assert (await _post(client, _event(0))).status_code == 200
    await cli.sources.rotate("shop", NEW_SECRET, keep_old=False)
    assert (await _post(client, _event(1))).status_code == 401
    assert (await _post(client, _event(2), NEW_SECRET)).status_code == 200


async def test_a_woocommerce_ping_to_a_source_removed_elsewhere_is_404(client, cli):
    ping = await client.post("/webhooks/woo", content=b"webhook_id=5",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert ping.status_code == 200
    await cli.sources.remove("woo")
    ping = await client.post("/webhooks/woo", content=b"webhook_id=5",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert ping.status_code == 404


async def test_in_one_batch_only_the_removed_sources_deliveries_fail(client, services, cli):
    """Group commit: deliveries for a vanished source and for a live one share one transaction;
    the live ones are stored, the others refused as an unknown source, none fails otherwise."""
    await services.sources.add("other", "generic", NEW_SECRET)
    assert (await _post(client, _event(0))).status_code == 200
    assert (await _post(client, _event(0, "2001"), NEW_SECRET, "other")).status_code == 200
    await cli.sources.remove("shop")

    def receive(n: int):
        source, secret = ("other", NEW_SECRET) if n % 2 else ("shop", GENERIC_SECRET)
        body = _event(n, "3001")
        headers = {name.lower(): value for name, value in generic_headers(body, secret).items()}
        return services.intake.receive(source, headers, body)

    batches_before = services.intake.written_batches
    outcomes = await asyncio.gather(*(receive(n) for n in range(1, 21)), return_exceptions=True)
    assert services.intake.written_batches - batches_before == 1  # all twenty in one transaction
    for n, outcome in enumerate(outcomes, start=1):
        if n % 2:
            assert outcome.status == "processed", outcome
        else:
            assert isinstance(outcome, NotFoundError), outcome
            assert outcome.detail == "no webhook source named 'shop'"
    assert await _deliveries(services) == 1 + 10  # "other": the warm-up and the ten odd ones
