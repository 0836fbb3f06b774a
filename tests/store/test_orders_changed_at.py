"""orders.changed_at (the shop's time of a snapshot, N12): an older store gets the column; its
orders have no time yet, so the next delivery replaces them as before."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from shopdesk.domain.cases import Order
from shopdesk.store import migrations, open_store
from shopdesk.store import orders as order_rows

V1_FIXTURE = Path(__file__).parents[1] / "data" / "store_v1.sql"
AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_the_column_comes_with_a_step_of_its_own():
    assert any("ALTER TABLE orders ADD COLUMN changed_at TEXT" in statements
               for statements in migrations.STEPS.values())


async def test_an_older_store_gets_changed_at_and_keeps_its_orders(tmp_path):
    path = tmp_path / "v1.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(V1_FIXTURE.read_text(encoding="utf-8"))
    async with open_store(path) as store:
        [order] = await order_rows.find_orders_by_number(store.reader, "#1001")
        assert order.changed_at is None  # not known: any delivery still replaces it
        async with store.transaction() as conn:
            await order_rows.upsert_order(conn, Order(
                source=order.source, external_id=order.external_id, number=order.number,
                status="shipped", changed_at=AT), AT)
        stored = await order_rows.find_order(store.reader, order.source, order.external_id)
        assert stored.status == "shipped" and stored.changed_at == AT
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations.SCHEMA_VERSION
