"""SQL for webhook deliveries (the raw record of every POST a source made) and the order writes
they carry, in batches."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import aiosqlite

from shopdesk.domain.cases import Order
from shopdesk.domain.intake.records import Delivery
from shopdesk.store.codec import from_db, json_dumps, json_loads, to_db
from shopdesk.store.orders import _order_params as order_params
from shopdesk.store.orders import order_from_row


async def insert_delivery(
    conn: aiosqlite.Connection,
    *,
    source_id: int,
    dedupe_key: str,
    received_at: datetime,
    topic: str,
    status: str,
    error: str,
    headers: dict[str, str],
    body: bytes,
) -> int | None:
    """The new delivery's id, or None when (source, dedupe_key) was delivered before."""
    async with conn.execute(
        """INSERT INTO deliveries
               (source_id, dedupe_key, received_at, topic, status, error, headers, body)
           VALUES (:source_id, :dedupe_key, :received_at, :topic, :status, :error, :headers, :body)
           ON CONFLICT (source_id, dedupe_key) DO NOTHING
           RETURNING id""",
        {"source_id": source_id, "dedupe_key": dedupe_key, "received_at": to_db(received_at),
         "topic": topic, "status": status, "error": error, "headers": json_dumps(headers),
         "body": body},
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else None


async def set_delivery_order(conn: aiosqlite.Connection, delivery_id: int, order_id: int) -> None:
    await conn.execute(
        "UPDATE deliveries SET order_id = :order_id WHERE id = :id",
        {"order_id": order_id, "id": delivery_id},
    )


async def find_delivery(
    conn: aiosqlite.Connection, source_id: int, dedupe_key: str
) -> Delivery | None:
    async with conn.execute(
        f"""{_SELECT} WHERE d.source_id = :source_id AND d.dedupe_key = :dedupe_key""",
        {"source_id": source_id, "dedupe_key": dedupe_key},
    ) as cursor:
        row = await cursor.fetchone()
    return _delivery(row) if row else None


async def list_deliveries(
    conn: aiosqlite.Connection, *, status: str | None = None, source: str | None = None,
    limit: int = 100,
) -> list[Delivery]:
    """Newest first."""
    async with conn.execute(
        f"""{_SELECT}
            WHERE (:status IS NULL OR d.status = :status) AND (:source IS NULL OR s.name = :source)
            ORDER BY d.received_at DESC, d.id DESC LIMIT :limit""",
        {"status": status, "source": source, "limit": limit},
    ) as cursor:
        rows = await cursor.fetchall()
    return [_delivery(row) for row in rows]


async def count_deliveries_by_status(conn: aiosqlite.Connection, status: str) -> int:
    async with conn.execute(
        "SELECT count(*) FROM deliveries WHERE status = :status", {"status": status}
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0])


_SELECT = """SELECT d.*, s.name AS source_name FROM deliveries AS d
             JOIN sources AS s ON s.id = d.source_id"""


def _delivery(row: sqlite3.Row) -> Delivery:
    return Delivery(
        id=row["id"], source=row["source_name"], dedupe_key=row["dedupe_key"],
        received_at=from_db(row["received_at"]), topic=row["topic"], status=row["status"],
        error=row["error"], headers=json_loads(row["headers"], {}), body=bytes(row["body"]),
        order_id=row["order_id"],
    )


# --- batch writes: many deliveries in a few statements (intake's group commit) -----------------
#
# Keys travel as one JSON parameter read with json_each (CROSS JOIN keeps json_each outermost,
# so each key is one unique-index lookup), and the SQL text never depends on the number of rows.

_FIND_DELIVERIES = """
SELECT d.id, d.source_id, d.dedupe_key, d.order_id
FROM json_each(:keys) AS k
CROSS JOIN deliveries AS d ON d.source_id = k.value ->> 0 AND d.dedupe_key = k.value ->> 1
"""


async def find_deliveries(
    conn: aiosqlite.Connection, keys: list[tuple[int, str]]
) -> dict[tuple[int, str], tuple[int, int | None]]:
    """(source_id, dedupe_key) -> (delivery id, order id) for the keys already stored."""
    if not keys:
        return {}
    rows = await conn.execute_fetchall(_FIND_DELIVERIES, {"keys": json_dumps(keys)})
    return {(row["source_id"], row["dedupe_key"]): (row["id"], row["order_id"]) for row in rows}


async def insert_deliveries(conn: aiosqlite.Connection, rows: list[dict]) -> None:
    """Rows with the parameters of insert_delivery; none may be stored already."""
    await conn.executemany(
        """INSERT INTO deliveries
               (source_id, dedupe_key, received_at, topic, status, error, headers, body)
           VALUES (:source_id, :dedupe_key, :received_at, :topic, :status, :error, :headers, :body)""",
        [
            {**row, "received_at": to_db(row["received_at"]), "headers": json_dumps(row["headers"])}
            for row in rows
        ],
    )


async def find_orders(
    conn: aiosqlite.Connection, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], Order]:
    """(source, external_id) -> the stored snapshot, for the keys that have one."""
    if not keys:
        return {}
    rows = await conn.execute_fetchall(
        """SELECT DISTINCT o.* FROM json_each(:keys) AS k
           CROSS JOIN orders AS o ON o.source = k.value ->> 0 AND o.external_id = k.value ->> 1""",
        {"keys": json_dumps(keys)},
    )
    return {(row["source"], row["external_id"]): order_from_row(row) for row in rows}


async def upsert_orders(conn: aiosqlite.Connection, orders: list[tuple[Order, datetime]]) -> None:
    """Insert or replace each snapshot, in order (a later one for the same order wins)."""
    if not orders:
        return
    params = [order_params(order, at) for order, at in orders]
    names = list(params[0])
    updates = ", ".join(
        f"{name} = excluded.{name}" for name in names if name not in ("source", "external_id")
    )
    await conn.executemany(
        f"""INSERT INTO orders ({", ".join(names)})
            VALUES ({", ".join(f":{name}" for name in names)})
            ON CONFLICT (source, external_id) DO UPDATE SET {updates}""",
        params,
    )


async def find_order_ids(
    conn: aiosqlite.Connection, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    if not keys:
        return {}
    rows = await conn.execute_fetchall(
        """SELECT DISTINCT o.id, o.source, o.external_id FROM json_each(:keys) AS k
           CROSS JOIN orders AS o ON o.source = k.value ->> 0 AND o.external_id = k.value ->> 1""",
        {"keys": json_dumps(keys)},
    )
    return {(row["source"], row["external_id"]): row["id"] for row in rows}


async def insert_order_events(conn: aiosqlite.Connection, rows: list[dict]) -> None:
    """Rows of {order_id, type, at, delivery_id, data}."""
    if not rows:
        return
    await conn.executemany(
        """INSERT INTO order_events (order_id, type, at, delivery_id, data)
           VALUES (:order_id, :type, :at, :delivery_id, :data)""",
        [{**row, "at": to_db(row["at"]), "data": json_dumps(row["data"])} for row in rows],
    )


async def set_delivery_orders(conn: aiosqlite.Connection, pairs: list[tuple[int, int]]) -> None:
    """(delivery id, order id) pairs."""
    if not pairs:
        return
    await conn.executemany(
        "UPDATE deliveries SET order_id = :order_id WHERE id = :id",
        [{"id": delivery_id, "order_id": order_id} for delivery_id, order_id in pairs],
    )
