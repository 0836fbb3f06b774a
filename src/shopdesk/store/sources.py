"""SQL for webhook sources and their secrets."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import aiosqlite

from shopdesk.domain.intake.records import Source, SourceSummary
from shopdesk.store.codec import from_db, to_db


def _source(row: sqlite3.Row) -> Source:
    return Source(
        id=row["id"], name=row["name"], kind=row["kind"], secret=row["secret"],
        old_secret=row["old_secret"], created_at=from_db(row["created_at"]),
        rotated_at=from_db(row["rotated_at"]),
    )


async def insert_source(
    conn: aiosqlite.Connection, *, name: str, kind: str, secret: str, at: datetime
) -> int | None:
    """The new source's id, or None when the name is taken."""
    async with conn.execute(
        """INSERT INTO sources (name, kind, secret, created_at)
           VALUES (:name, :kind, :secret, :at)
           ON CONFLICT (name) DO NOTHING RETURNING id""",
        {"name": name, "kind": kind, "secret": secret, "at": to_db(at)},
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else None


async def get_source(conn: aiosqlite.Connection, name: str) -> Source | None:
    async with conn.execute("SELECT * FROM sources WHERE name = :name", {"name": name}) as cursor:
        row = await cursor.fetchone()
    return _source(row) if row else None


async def list_sources(conn: aiosqlite.Connection) -> list[SourceSummary]:
    async with conn.execute(
        """SELECT s.*,
                  (SELECT count(*) FROM deliveries d WHERE d.source_id = s.id
                     AND d.status = 'processed') AS processed,
                  (SELECT count(*) FROM deliveries d WHERE d.source_id = s.id
                     AND d.status = 'quarantined') AS quarantined,
                  (SELECT count(*) FROM deliveries d WHERE d.source_id = s.id
                     AND d.status = 'test') AS tests,
                  (SELECT max(received_at) FROM deliveries d WHERE d.source_id = s.id)
                     AS last_received_at
           FROM sources AS s ORDER BY s.name"""
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        SourceSummary(
            name=row["name"], kind=row["kind"], created_at=from_db(row["created_at"]),
            rotated_at=from_db(row["rotated_at"]), rotating=row["old_secret"] is not None,
            processed=row["processed"], quarantined=row["quarantined"], tests=row["tests"],
            last_received_at=from_db(row["last_received_at"]),
        )
        for row in rows
    ]


async def rotate_secret(
    conn: aiosqlite.Connection, name: str, *, secret: str, keep_old: bool, at: datetime
) -> bool:
    cursor = await conn.execute(
        """UPDATE sources
           SET old_secret = CASE WHEN :keep_old THEN secret ELSE NULL END,
               secret = :secret, rotated_at = :at
           WHERE name = :name""",
        {"name": name, "secret": secret, "keep_old": int(keep_old), "at": to_db(at)},
    )
    return cursor.rowcount > 0


async def forget_old_secret(conn: aiosqlite.Connection, name: str) -> bool:
    cursor = await conn.execute(
        "UPDATE sources SET old_secret = NULL WHERE name = :name AND old_secret IS NOT NULL",
        {"name": name},
    )
    return cursor.rowcount > 0


async def count_deliveries(conn: aiosqlite.Connection, source_id: int) -> int:
    async with conn.execute(
        "SELECT count(*) FROM deliveries WHERE source_id = :source_id", {"source_id": source_id}
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0])


async def delete_source(conn: aiosqlite.Connection, source_id: int) -> None:
    """Remove a source and its deliveries; orders keep their events (delivery link cleared)."""
    params = {"source_id": source_id}
    await conn.execute(
        """UPDATE order_events SET delivery_id = NULL
           WHERE delivery_id IN (SELECT id FROM deliveries WHERE source_id = :source_id)""",
        params,
    )
    await conn.execute("DELETE FROM deliveries WHERE source_id = :source_id", params)
    await conn.execute("DELETE FROM sources WHERE id = :source_id", params)
