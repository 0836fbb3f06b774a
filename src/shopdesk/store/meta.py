"""SQL for store_meta: what the store says about itself, by key (e.g. the SLA fingerprint its
active cases' due times were computed with)."""

from __future__ import annotations

import aiosqlite

SLA_FINGERPRINT = "sla_fingerprint"


async def get_value(conn: aiosqlite.Connection, key: str) -> str | None:
    async with conn.execute("SELECT value FROM store_meta WHERE key = :key", {"key": key}) as cursor:
        row = await cursor.fetchone()
    return row[0] if row else None


async def set_value(conn: aiosqlite.Connection, key: str, value: str) -> None:
    await conn.execute(
        """INSERT INTO store_meta (key, value) VALUES (:key, :value)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value""",
        {"key": key, "value": value},
    )


async def delete_value(conn: aiosqlite.Connection, key: str) -> None:
    await conn.execute("DELETE FROM store_meta WHERE key = :key", {"key": key})
