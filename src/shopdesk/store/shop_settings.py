"""SQL for the shop's settings (shop_settings, settings_changes) and their version in store_meta."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aiosqlite
import msgspec

from shopdesk.store import meta
from shopdesk.store.codec import from_db, to_db

SETTINGS_VERSION = "settings_version"


class SettingsChange(msgspec.Struct, frozen=True):
    at: datetime
    actor: str
    key: str
    old: Any
    new: Any


def _json(value: Any) -> str | None:
    return None if value is None else msgspec.json.encode(value).decode()


def _value(text: str | None) -> Any:
    return None if text is None else msgspec.json.decode(text)


async def stored_settings(conn: aiosqlite.Connection) -> dict[str, Any]:
    """Top-level key -> value (JSON-decoded) of every shop setting the store holds."""
    async with conn.execute("SELECT key, value FROM shop_settings ORDER BY key") as cursor:
        return {row[0]: _value(row[1]) for row in await cursor.fetchall()}


async def settings_version(conn: aiosqlite.Connection) -> int:
    """How many times the shop's settings were changed (0: never)."""
    return int(await meta.get_value(conn, SETTINGS_VERSION) or 0)


async def put_settings(
    conn: aiosqlite.Connection,
    values: dict[str, Any],
    *,
    at: datetime,
    actor: str,
    changes: list[tuple[str, Any, Any]],
) -> int:
    """Write top-level keys (a value of None removes the key), record each change
    (key as given, old, new) and bump the settings version; returns the new version."""
    for key, value in values.items():
        if value is None:
            await conn.execute("DELETE FROM shop_settings WHERE key = :key", {"key": key})
        else:
            await conn.execute(
                """INSERT INTO shop_settings (key, value, changed_at, changed_by)
                   VALUES (:key, :value, :at, :actor)
                   ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                       changed_at = excluded.changed_at, changed_by = excluded.changed_by""",
                {"key": key, "value": _json(value), "at": to_db(at), "actor": actor},
            )
    for key, old, new in changes:
        await conn.execute(
            """INSERT INTO settings_changes (at, actor, key, old_value, new_value)
               VALUES (:at, :actor, :key, :old, :new)""",
            {"at": to_db(at), "actor": actor, "key": key, "old": _json(old), "new": _json(new)},
        )
    version = await settings_version(conn) + 1
    await meta.set_value(conn, SETTINGS_VERSION, str(version))
    return version


async def list_changes(conn: aiosqlite.Connection, limit: int = 50) -> list[SettingsChange]:
    """The latest changes, newest first."""
    async with conn.execute(
        """SELECT at, actor, key, old_value, new_value FROM settings_changes
           ORDER BY id DESC LIMIT :limit""", {"limit": limit},
    ) as cursor:
        rows = await cursor.fetchall()
    return [SettingsChange(at=from_db(row[0]), actor=row[1], key=row[2], old=_value(row[3]),
                           new=_value(row[4])) for row in rows]
