"""store.deliveries.write_deliveries: a batch larger than its INSERT chunks (rows go CHUNK to a
statement, the rest one by one) is stored whole, in arrival order: delivery ids ascending, bodies
byte for byte, a later snapshot of an order in the same batch wins, every event linked."""

from __future__ import annotations

import asyncio
import json
import time

from shopdesk.domain.intake.signatures import sign_generic
from shopdesk.services import Services
from shopdesk.store import deliveries as delivery_rows
from shopdesk.store import open_store

SECRET = "whsec_batch_test_secret_0123456789"


def _event(n: int, order: int) -> bytes:
    return json.dumps({
        "id": f"evt_{n}", "type": "updated", "occurred_at": f"2026-11-23T02:{n % 60:02d}:00Z",
        "order": {"id": str(order), "number": f"SO-{order}", "total": f"{n}.00",
                  "address": "浙江省杭州市 \\ \"quoted\"", "currency": "CNY"},
        "data": {"n": n},
    }, ensure_ascii=n % 2 == 0).encode()  # half as \\u escapes, half as raw UTF-8


async def test_a_batch_across_chunks_is_stored_whole_and_in_order(tmp_path):
    count = delivery_rows.CHUNK * 2 + 3
    async with open_store(tmp_path / "s.db") as store:
        services = Services(store)
        await services.sources.add("shop", "generic", SECRET)
        bodies = [_event(n, order=100 + n % 3) for n in range(count)]

        def receive(body: bytes):
            headers = {"content-type": "application/json",
                       "shopdesk-signature": sign_generic(SECRET, body, int(time.time()))}
            return services.intake.receive("shop", headers, body)

        await receive(_event(99, order=999))  # the source is known: the rest arrive together
        before = services.intake.written_batches
        receipts = await asyncio.gather(*(receive(body) for body in bodies))
        assert services.intake.written_batches - before == 1
        assert [r.status for r in receipts] == ["processed"] * count
        ids = [r.delivery_id for r in receipts]
        assert ids == sorted(ids) and len(set(ids)) == count
        deliveries = {d.id: d for d in await services.intake.deliveries(limit=count + 1)}
        assert [deliveries[i].body for i in ids] == bodies
        assert deliveries[ids[0]].headers["content-type"] == "application/json"
        for order in (100, 101, 102):
            stored = await services.orders.find("shop", str(order))
            last = max(n for n in range(count) if 100 + n % 3 == order)
            assert stored.total_minor == last * 100  # the batch's last snapshot won
            assert stored.address == "浙江省杭州市 \\ \"quoted\""
            events = await services.orders.events(stored.id)
            assert [e.data["n"] for e in events] == [
                n for n in range(count) if 100 + n % 3 == order]
            assert {r.order_id for r, n in zip(receipts, range(count), strict=True)
                    if 100 + n % 3 == order} == {stored.id}
