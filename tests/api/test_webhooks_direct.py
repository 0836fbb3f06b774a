"""Deliveries answered before Litestar's routing (api.webhooks.DirectDeliveries) get exactly the
answers Litestar gives; whatever the direct path does not take, or the service refuses, is still
Litestar's. Requests are raw ASGI calls, so Content-Length, chunks and Host are as written here."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from api_helpers import (
    GENERIC_SECRET,
    WOO_SECRET,
    encode,
    fixture_bytes,
    generic_event,
    generic_headers,
    woo_headers,
)

from shopdesk.api.app import create_app
from shopdesk.services import Services
from shopdesk.store import open_store

HOST = "127.0.0.1:8765"


async def _call(app, path: str, headers: dict[str, str], chunks: list[bytes], *,
                method: str = "POST", disconnect: bool = False) -> tuple[int, list, bytes]:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8765),
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "state": {},
    }
    messages = [{"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
                for index, chunk in enumerate(chunks)]
    if disconnect:
        messages[-1:] = [{"type": "http.disconnect"}]

    async def receive():
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)

    sent = []

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    if not sent:
        return 0, [], b""
    return (sent[0]["status"], sorted(sent[0]["headers"]),
            b"".join(message.get("body", b"") for message in sent[1:]))


def _requests() -> list[tuple[str, str, dict[str, str], list[bytes]]]:
    body = encode(generic_event())
    signed = {"Host": HOST, **generic_headers(body), "Content-Length": str(len(body))}
    chunked = {name: value for name, value in signed.items() if name != "Content-Length"}
    other = encode(generic_event(id="evt_other"))
    woo_body = fixture_bytes("woocommerce_order.json")
    woo = {"Host": HOST, **woo_headers(woo_body), "Content-Length": str(len(woo_body))}
    unmappable = b'{"id": "not an order"}'
    woo_bad = {"Host": HOST, **woo_headers(unmappable, delivery_id="2"),
               "Content-Length": str(len(unmappable))}
    ping = b"webhook_id=12"
    big = b"x" * 1_048_577
    return [
        ("new delivery", "/webhooks/shop", signed, [body]),
        ("replay", "/webhooks/shop", signed, [body]),
        ("replay in chunks, no Content-Length", "/webhooks/shop", chunked, [body[:7], body[7:]]),
        ("replay, path with a slash after it", "/webhooks/shop/", signed, [body]),
        ("charset in Content-Type", "/webhooks/shop",
         {**signed, "Content-Type": "application/json; charset=utf-8"}, [body]),
        ("another event in two chunks", "/webhooks/shop",
         {"Host": HOST, **generic_headers(other), "Content-Length": str(len(other))},
         [other[:20], other[20:]]),
        ("WooCommerce order", "/webhooks/woo", woo, [woo_body]),
        ("WooCommerce unmappable: quarantined", "/webhooks/woo", woo_bad, [unmappable]),
        ("WooCommerce ping (form)", "/webhooks/woo",
         {"Host": HOST, "Content-Type": "application/x-www-form-urlencoded",
          "Content-Length": str(len(ping))}, [ping]),
        ("unknown source", "/webhooks/nowhere", signed, [body]),
        ("wrong secret", "/webhooks/shop",
         {**signed, **generic_headers(body, "whsec_someone_else_entirely")}, [body]),
        ("no signature", "/webhooks/shop",
         {name: value for name, value in signed.items() if name != "Shopdesk-Signature"}, [body]),
        ("not JSON", "/webhooks/shop",
         {"Host": HOST, **generic_headers(b"{"), "Content-Length": "1"}, [b"{"]),
        ("text/plain", "/webhooks/shop", {**signed, "Content-Type": "text/plain"}, [body]),
        ("host not allowed", "/webhooks/shop", {**signed, "Host": "shop.example.com"}, [body]),
        ("no host", "/webhooks/shop",
         {name: value for name, value in signed.items() if name != "Host"}, [body]),
        ("over the limit, announced", "/webhooks/shop",
         {**signed, "Content-Length": str(len(big))}, [big]),
        ("over the limit, in chunks", "/webhooks/shop", chunked, [big[:1000], big[1000:]]),
        ("Content-Length smaller than the body", "/webhooks/shop",
         {**signed, "Content-Length": "10"}, [big]),
        ("no source", "/webhooks/", signed, [body]),
        ("GET", "/webhooks/shop", {"Host": HOST}, [b""]),
    ]


@pytest.fixture
async def apps(tmp_path: Path):
    """The app as served, and the same app with the direct path switched off, each on its own
    store with the same sources."""
    async with open_store(tmp_path / "direct.db") as direct_store, \
            open_store(tmp_path / "litestar.db") as litestar_store:
        pair = []
        for store in (direct_store, litestar_store):
            services = Services(store)
            await services.sources.add("shop", "generic", GENERIC_SECRET)
            await services.sources.add("woo", "woocommerce", WOO_SECRET)
            pair.append((create_app(services), services))
        pair[1][0].direct_deliveries = None
        yield pair


async def test_every_answer_is_the_one_litestar_gives(apps):
    (direct, _), (litestar, _) = apps
    assert direct.direct_deliveries is not None
    for name, path, headers, chunks in _requests():
        through_direct = await _call(direct, path, headers, chunks)
        through_litestar = await _call(litestar, path, headers, chunks)
        assert through_direct == through_litestar, name
        assert through_direct[0] != 500, (name, through_direct)


async def test_stores_the_same_rows_as_litestar(apps):
    (direct, direct_services), (litestar, litestar_services) = apps
    for _, path, headers, chunks in _requests():
        await _call(direct, path, headers, chunks)
        await _call(litestar, path, headers, chunks)
    stored = []
    for services in (direct_services, litestar_services):
        deliveries = await services.intake.deliveries(limit=100)
        stored.append(sorted((d.source, d.dedupe_key, d.status, d.topic, d.error, d.body,
                              d.order_id) for d in deliveries))
    assert stored[0] == stored[1]
    assert {row[2] for row in stored[0]} == {"processed", "quarantined"}


async def test_a_delivery_is_answered_after_its_commit(apps):
    (direct, services), _ = apps
    body = encode(generic_event(id="evt_committed"))
    headers = {"Host": HOST, **generic_headers(body), "Content-Length": str(len(body))}
    status, _, answer = await _call(direct, "/webhooks/shop", headers, [body])
    assert status == 200
    # The reader connection sees the delivery as soon as the answer is there.
    deliveries = await services.intake.deliveries(source="shop")
    assert [d.dedupe_key for d in deliveries] == ["event:evt_committed"]
    assert b'"status":"processed"' in answer


async def test_a_client_gone_before_the_whole_body_stores_nothing(apps):
    (direct, services), _ = apps
    body = encode(generic_event())
    headers = {"Host": HOST, **generic_headers(body), "Content-Length": str(len(body))}
    status, _, _ = await _call(direct, "/webhooks/shop", headers, [body[:10], body[10:]],
                               disconnect=True)
    assert status == 0  # nobody left to answer
    assert await services.intake.deliveries() == []


async def test_the_route_is_still_in_the_openapi_schema(apps):
    (direct, _), _ = apps
    schema = direct.openapi_schema.to_schema()
    assert "post" in schema["paths"]["/webhooks/{source}"]


async def test_after_an_answer_the_store_is_free_for_the_next_write(client, services):
    """The test client serves the app on a loop of its own: a write on this loop right after a
    delivery's answer must not find the writer still holding the store (it would wait forever)."""
    for n in range(40):
        body = encode(generic_event(id=f"evt_free_{n}"))
        response = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
        assert response.status_code == 200, response.text
        await services.detection.settle()  # its check of the order, after the answer, on that loop

        async def write_here(n: int = n) -> None:
            async with services.store.transaction() as conn:
                await conn.execute(
                    "INSERT INTO sources (name, kind, secret, created_at) "
                    "VALUES (:name, 'generic', 'x', 't')", {"name": f"free-{n}"})

        await asyncio.wait_for(write_here(), timeout=5)
