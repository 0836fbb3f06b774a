"""SQL for incidents (紧急状态) and the cases linked to them."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import aiosqlite

from shopdesk.domain.cases import Incident, incident_ref
from shopdesk.store.codec import from_db, to_db


def incident_from_row(row: sqlite3.Row) -> Incident:
    return Incident(
        id=row["id"],
        ref=incident_ref(row["id"]),
        title=row["title"],
        type=row["type"],
        level=row["level"],
        status=row["status"],
        started_at=from_db(row["started_at"]),
        ended_at=from_db(row["ended_at"]),
        owner=row["owner"],
        description=row["description"],
        review_cause=row["review_cause"],
        review_impact=row["review_impact"],
        review_changes=row["review_changes"],
    )


async def insert_incident(
    conn: aiosqlite.Connection,
    *,
    title: str,
    type: str,
    level: int,
    started_at: datetime,
    owner: str,
    description: str,
    at: datetime,
) -> int:
    cursor = await conn.execute(
        """INSERT INTO incidents (title, type, level, started_at, owner, description, created_at)
           VALUES (:title, :type, :level, :started_at, :owner, :description, :at)""",
        {"title": title, "type": type, "level": level, "started_at": to_db(started_at),
         "owner": owner, "description": description, "at": to_db(at)},
    )
    return cursor.lastrowid


async def end_incident(
    conn: aiosqlite.Connection,
    incident_id: int,
    *,
    ended_at: datetime,
    review_cause: str,
    review_impact: str,
    review_changes: str,
) -> None:
    await conn.execute(
        """UPDATE incidents SET status = 'ended', ended_at = :ended_at, review_cause = :cause,
                  review_impact = :impact, review_changes = :changes WHERE id = :id""",
        {"ended_at": to_db(ended_at), "cause": review_cause, "impact": review_impact,
         "changes": review_changes, "id": incident_id},
    )


async def link_case(conn: aiosqlite.Connection, incident_id: int, case_id: int, at: datetime) -> bool:
    cursor = await conn.execute(
        """INSERT INTO incident_cases (incident_id, case_id, linked_at) VALUES (:i, :c, :at)
           ON CONFLICT DO NOTHING""",
        {"i": incident_id, "c": case_id, "at": to_db(at)},
    )
    return cursor.rowcount == 1


async def get_incident(conn: aiosqlite.Connection, incident_id: int) -> Incident | None:
    async with conn.execute("SELECT * FROM incidents WHERE id = :id", {"id": incident_id}) as cur:
        row = await cur.fetchone()
    return incident_from_row(row) if row else None


async def list_incidents(conn: aiosqlite.Connection) -> list[Incident]:
    async with conn.execute(
        "SELECT * FROM incidents ORDER BY status = 'ended', started_at DESC"
    ) as cursor:
        rows = await cursor.fetchall()
    return [incident_from_row(row) for row in rows]


async def incidents_of_case(conn: aiosqlite.Connection, case_id: int) -> list[Incident]:
    async with conn.execute(
        """SELECT i.* FROM incidents AS i JOIN incident_cases AS ic ON ic.incident_id = i.id
           WHERE ic.case_id = :case_id ORDER BY i.id""",
        {"case_id": case_id},
    ) as cursor:
        rows = await cursor.fetchall()
    return [incident_from_row(row) for row in rows]


async def count_linked_cases(conn: aiosqlite.Connection, incident_id: int) -> int:
    async with conn.execute(
        "SELECT count(*) FROM incident_cases WHERE incident_id = :id", {"id": incident_id}
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0])
