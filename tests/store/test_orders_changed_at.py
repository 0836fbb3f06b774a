"""orders.changed_at (the shop's time of a snapshot, N12): a store from before it gets the column;
its orders have no time yet, so the next delivery replaces them as before."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from shopdesk.domain.cases import Order
from shopdesk.store import migrations, open_store
from shopdesk.store import orders as order_rows

STEP = next(version for version, statements in migrations.STEPS.items()
            if any("orders ADD COLUMN changed_at" in statement for statement in statements))
AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def test_a_store_from_before_gets_changed_at_and_keeps_its_orders(tmp_path):
    path = tmp_path / "old.db"
    async with open_store(path) as store:
        async with store.transaction() as conn:
            await order_rows.upsert_order(
                conn, Order(source="shop", external_id="1", status="paid", changed_at=AT), AT)
    with sqlite3.connect(path) as conn:  # the shape before the step
        conn.execute("ALTER TABLE orders DROP COLUMN changed_at")
        conn.execute(f"PRAGMA user_version = {STEP - 1}")
    async with open_store(path) as store:
        order = await order_rows.find_order(store.reader, "shop", "1")
        assert order.status == "paid" and order.changed_at is None
        async with store.transaction() as conn:
            await order_rows.upsert_order(conn, Order(
                source="shop", external_id="1", status="shipped", changed_at=AT), AT)
        assert (await order_rows.find_order(store.reader, "shop", "1")).changed_at == AT
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations.SCHEMA_VERSION
