"""SQL for operators (the people who work the desk and the OS accounts that act as them)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import aiosqlite

from shopdesk.domain.operators import Operator
from shopdesk.store.codec import from_db, to_db


def _operator(row: sqlite3.Row) -> Operator:
    return Operator(
        id=row["id"], name=row["name"], role=row["role"], unix_user=row["unix_user"],
        phone=row["phone"], email=row["email"], created_at=from_db(row["created_at"]),
        created_by=row["created_by"], disabled_at=from_db(row["disabled_at"]),
    )


async def list_operators(conn: aiosqlite.Connection) -> list[Operator]:
    async with conn.execute("SELECT * FROM operators ORDER BY name") as cursor:
        rows = await cursor.fetchall()
    return [_operator(row) for row in rows]


async def get_operator(conn: aiosqlite.Connection, name: str) -> Operator | None:
    async with conn.execute("SELECT * FROM operators WHERE name = :name", {"name": name}) as cursor:
        row = await cursor.fetchone()
    return _operator(row) if row else None


async def insert_operator(
    conn: aiosqlite.Connection, *, name: str, role: str, unix_user: str, phone: str, email: str,
    at: datetime, by: str,
) -> None:
    await conn.execute(
        """INSERT INTO operators (name, role, unix_user, phone, email, created_at, created_by)
           VALUES (:name, :role, :unix_user, :phone, :email, :at, :by)""",
        {"name": name, "role": role, "unix_user": unix_user, "phone": phone, "email": email,
         "at": to_db(at), "by": by},
    )


async def set_role(conn: aiosqlite.Connection, name: str, role: str) -> None:
    await conn.execute("UPDATE operators SET role = :role WHERE name = :name",
                       {"name": name, "role": role})


async def set_unix_user(conn: aiosqlite.Connection, name: str, unix_user: str) -> None:
    await conn.execute("UPDATE operators SET unix_user = :u WHERE name = :name",
                       {"name": name, "u": unix_user})


async def disable(conn: aiosqlite.Connection, name: str, at: datetime) -> None:
    await conn.execute(
        "UPDATE operators SET disabled_at = :at WHERE name = :name AND disabled_at IS NULL",
        {"name": name, "at": to_db(at)},
    )
