"""SQL for intake problems: quarantined deliveries an operator has not dismissed yet, and the
dismissals (who marked one handled, when). A dismissed delivery stays stored as it arrived."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from shopdesk.domain.intake.records import Delivery
from shopdesk.store.codec import to_db
from shopdesk.store.deliveries import _delivery as delivery_from_row

_OPEN = """d.status = 'quarantined'
           AND NOT EXISTS (SELECT 1 FROM delivery_dismissals AS x WHERE x.delivery_id = d.id)"""


async def list_problems(
    conn: aiosqlite.Connection, *, limit: int = 100, offset: int = 0
) -> list[Delivery]:
    """Quarantined deliveries not dismissed, newest first."""
    async with conn.execute(
        f"""SELECT d.*, s.name AS source_name FROM deliveries AS d
            JOIN sources AS s ON s.id = d.source_id
            WHERE {_OPEN}
            ORDER BY d.received_at DESC, d.id DESC LIMIT :limit OFFSET :offset""",
        {"limit": limit, "offset": offset},
    ) as cursor:
        rows = await cursor.fetchall()
    return [delivery_from_row(row) for row in rows]


async def count_problems(conn: aiosqlite.Connection) -> int:
    async with conn.execute(f"SELECT count(*) FROM deliveries AS d WHERE {_OPEN}") as cursor:
        row = await cursor.fetchone()
    return int(row[0])


async def delivery_state(conn: aiosqlite.Connection, delivery_id: int) -> tuple[str, str | None] | None:
    """(status, who dismissed it or None) of a delivery; None when there is no such delivery."""
    async with conn.execute(
        """SELECT d.status, x.dismissed_by FROM deliveries AS d
           LEFT JOIN delivery_dismissals AS x ON x.delivery_id = d.id WHERE d.id = :id""",
        {"id": delivery_id},
    ) as cursor:
        row = await cursor.fetchone()
    return (row[0], row[1]) if row else None


async def insert_dismissal(
    conn: aiosqlite.Connection, delivery_id: int, *, actor: str, at: datetime
) -> None:
    await conn.execute(
        """INSERT INTO delivery_dismissals (delivery_id, dismissed_at, dismissed_by)
           VALUES (:id, :at, :actor)""",
        {"id": delivery_id, "at": to_db(at), "actor": actor},
    )
