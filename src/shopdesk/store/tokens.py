"""SQL for API bearer tokens (hashes only)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import aiosqlite

from shopdesk.domain.tokens import ApiToken
from shopdesk.store.codec import from_db, to_db


def _token(row: sqlite3.Row) -> ApiToken:
    return ApiToken(
        id=row["id"], name=row["name"], operator=row["operator"],
        created_at=from_db(row["created_at"]), revoked_at=from_db(row["revoked_at"]),
        last_used_at=from_db(row["last_used_at"]),
    )


async def insert_token(
    conn: aiosqlite.Connection, *, name: str, token_hash: str, operator: str, at: datetime
) -> int:
    cursor = await conn.execute(
        """INSERT INTO tokens (name, token_hash, operator, created_at)
           VALUES (:name, :token_hash, :operator, :at)""",
        {"name": name, "token_hash": token_hash, "operator": operator, "at": to_db(at)},
    )
    return cursor.lastrowid


async def find_active_token(conn: aiosqlite.Connection, token_hash: str) -> ApiToken | None:
    async with conn.execute(
        "SELECT * FROM tokens WHERE token_hash = :token_hash AND revoked_at IS NULL",
        {"token_hash": token_hash},
    ) as cursor:
        row = await cursor.fetchone()
    return _token(row) if row else None


async def get_token(conn: aiosqlite.Connection, token_id: int) -> ApiToken | None:
    async with conn.execute("SELECT * FROM tokens WHERE id = :id", {"id": token_id}) as cursor:
        row = await cursor.fetchone()
    return _token(row) if row else None


async def list_tokens(conn: aiosqlite.Connection) -> list[ApiToken]:
    async with conn.execute("SELECT * FROM tokens ORDER BY id") as cursor:
        rows = await cursor.fetchall()
    return [_token(row) for row in rows]


async def revoke_token(conn: aiosqlite.Connection, token_id: int, at: datetime) -> bool:
    cursor = await conn.execute(
        "UPDATE tokens SET revoked_at = :at WHERE id = :id AND revoked_at IS NULL",
        {"id": token_id, "at": to_db(at)},
    )
    return cursor.rowcount > 0


async def touch_token(conn: aiosqlite.Connection, token_id: int, at: datetime) -> None:
    await conn.execute(
        "UPDATE tokens SET last_used_at = :at WHERE id = :id", {"id": token_id, "at": to_db(at)}
    )
