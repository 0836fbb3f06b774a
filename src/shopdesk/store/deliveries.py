"""SQL for webhook deliveries: the raw record of every POST a source made."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import aiosqlite

from shopdesk.domain.intake.records import Delivery
from shopdesk.store.codec import from_db, json_dumps, json_loads, to_db


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
