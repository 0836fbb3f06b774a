"""SQL for incidents (紧急状态) and the cases linked to them."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import aiosqlite

import msgspec

from shopdesk.domain.cases import Incident, incident_ref
from shopdesk.domain.filters import CaseFilter
from shopdesk.domain.incidents import IncidentEvent, TeamMember
from shopdesk.store.cases import filter_sql
from shopdesk.store.codec import from_db, json_dumps, json_loads, to_db


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
        stable_at=from_db(row["stable_at"]),
        case_filter=msgspec.json.decode(row["case_filter"], type=CaseFilter)
        if row["case_filter"] else None,
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


async def set_stable(conn: aiosqlite.Connection, incident_id: int, at: datetime) -> None:
    await conn.execute(
        "UPDATE incidents SET status = 'stable', stable_at = :at WHERE id = :id",
        {"at": to_db(at), "id": incident_id},
    )


async def close_incident(
    conn: aiosqlite.Connection,
    incident_id: int,
    *,
    ended_at: datetime,
    review_cause: str,
    review_impact: str,
    review_changes: str,
) -> None:
    """Closed with its review; an incident closed without a stable moment becomes stable then."""
    await conn.execute(
        """UPDATE incidents SET status = 'closed', ended_at = :ended_at,
                  stable_at = coalesce(stable_at, :ended_at), review_cause = :cause,
                  review_impact = :impact, review_changes = :changes WHERE id = :id""",
        {"ended_at": to_db(ended_at), "cause": review_cause, "impact": review_impact,
         "changes": review_changes, "id": incident_id},
    )


async def set_review(conn: aiosqlite.Connection, incident_id: int, *, cause: str, impact: str,
                     changes: str) -> None:
    await conn.execute(
        """UPDATE incidents SET review_cause = :cause, review_impact = :impact,
                  review_changes = :changes WHERE id = :id""",
        {"cause": cause, "impact": impact, "changes": changes, "id": incident_id},
    )


async def set_case_filter(conn: aiosqlite.Connection, incident_id: int,
                          case_filter: CaseFilter | None) -> None:
    await conn.execute(
        "UPDATE incidents SET case_filter = :filter WHERE id = :id",
        {"filter": msgspec.json.encode(case_filter).decode() if case_filter else None,
         "id": incident_id},
    )


async def link_case(conn: aiosqlite.Connection, incident_id: int, case_id: int, at: datetime,
                    by: str = "") -> bool:
    cursor = await conn.execute(
        """INSERT INTO incident_cases (incident_id, case_id, linked_at, linked_by)
           VALUES (:i, :c, :at, :by) ON CONFLICT DO NOTHING""",
        {"i": incident_id, "c": case_id, "at": to_db(at), "by": by},
    )
    return cursor.rowcount == 1


async def unlink_case(conn: aiosqlite.Connection, incident_id: int, case_id: int) -> bool:
    cursor = await conn.execute(
        "DELETE FROM incident_cases WHERE incident_id = :i AND case_id = :c",
        {"i": incident_id, "c": case_id},
    )
    return cursor.rowcount == 1


async def get_incident(conn: aiosqlite.Connection, incident_id: int) -> Incident | None:
    async with conn.execute("SELECT * FROM incidents WHERE id = :id", {"id": incident_id}) as cur:
        row = await cur.fetchone()
    return incident_from_row(row) if row else None


async def list_incidents(conn: aiosqlite.Connection) -> list[Incident]:
    async with conn.execute(
        """SELECT * FROM incidents
           ORDER BY CASE status WHEN 'active' THEN 0 WHEN 'stable' THEN 1 ELSE 2 END,
                    started_at DESC"""
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


async def linked_case_ids(conn: aiosqlite.Connection, incident_id: int) -> list[int]:
    async with conn.execute(
        "SELECT case_id FROM incident_cases WHERE incident_id = :id ORDER BY case_id",
        {"id": incident_id},
    ) as cursor:
        return [row[0] for row in await cursor.fetchall()]


async def following(conn: aiosqlite.Connection) -> list[Incident]:
    """Active incidents with a filter new cases join by."""
    async with conn.execute(
        "SELECT * FROM incidents WHERE status = 'active' AND case_filter IS NOT NULL ORDER BY id"
    ) as cursor:
        rows = await cursor.fetchall()
    return [incident_from_row(row) for row in rows]


async def case_matches(conn: aiosqlite.Connection, case_filter: CaseFilter, case_id: int,
                       now: datetime) -> bool:
    where, params = filter_sql(case_filter, now)
    where = (where + " AND " if where else " WHERE ") + "c.id = :match_case_id"
    async with conn.execute(
        "SELECT 1 FROM cases AS c LEFT JOIN orders AS o ON o.id = c.order_id" + where,
        {**params, "match_case_id": case_id},
    ) as cursor:
        return await cursor.fetchone() is not None


# --- the response team ----------------------------------------------------------------------


async def put_member(conn: aiosqlite.Connection, incident_id: int, *, operator: str, role: str,
                     phone: str, at: datetime) -> None:
    await conn.execute(
        """INSERT INTO incident_team (incident_id, operator, role, phone, added_at)
           VALUES (:i, :operator, :role, :phone, :at)
           ON CONFLICT (incident_id, operator) DO UPDATE SET role = :role, phone = :phone""",
        {"i": incident_id, "operator": operator, "role": role, "phone": phone, "at": to_db(at)},
    )


async def remove_member(conn: aiosqlite.Connection, incident_id: int, operator: str) -> bool:
    cursor = await conn.execute(
        "DELETE FROM incident_team WHERE incident_id = :i AND operator = :operator",
        {"i": incident_id, "operator": operator},
    )
    return cursor.rowcount == 1


async def list_team(conn: aiosqlite.Connection, incident_id: int) -> list[TeamMember]:
    async with conn.execute(
        "SELECT * FROM incident_team WHERE incident_id = :i ORDER BY added_at, operator",
        {"i": incident_id},
    ) as cursor:
        rows = await cursor.fetchall()
    return [TeamMember(operator=row["operator"], role=row["role"], phone=row["phone"],
                       added_at=from_db(row["added_at"])) for row in rows]


# --- the incident's timeline ----------------------------------------------------------------


async def insert_event(conn: aiosqlite.Connection, incident_id: int, *, at: datetime, actor: str,
                       type: str, data: dict) -> None:
    await conn.execute(
        """INSERT INTO incident_events (incident_id, at, actor, type, data)
           VALUES (:i, :at, :actor, :type, :data)""",
        {"i": incident_id, "at": to_db(at), "actor": actor, "type": type,
         "data": json_dumps(data)},
    )


async def list_events(conn: aiosqlite.Connection, incident_id: int) -> list[IncidentEvent]:
    async with conn.execute(
        "SELECT * FROM incident_events WHERE incident_id = :i ORDER BY at, id", {"i": incident_id}
    ) as cursor:
        rows = await cursor.fetchall()
    return [IncidentEvent(at=from_db(row["at"]), actor=row["actor"], type=row["type"],
                          data=json_loads(row["data"], {})) for row in rows]


# --- bulk runs --------------------------------------------------------------------------------


async def open_run(conn: aiosqlite.Connection, incident_id: int, action: str,
                   params: str) -> int | None:
    """The unfinished run of this very request, if an earlier call was interrupted."""
    async with conn.execute(
        """SELECT id FROM incident_runs WHERE incident_id = :i AND action = :action
           AND params = :params AND finished_at IS NULL ORDER BY id DESC LIMIT 1""",
        {"i": incident_id, "action": action, "params": params},
    ) as cursor:
        row = await cursor.fetchone()
    return row[0] if row else None


async def insert_run(conn: aiosqlite.Connection, incident_id: int, *, action: str, params: str,
                     actor: str, at: datetime) -> int:
    cursor = await conn.execute(
        """INSERT INTO incident_runs (incident_id, action, params, actor, started_at)
           VALUES (:i, :action, :params, :actor, :at)""",
        {"i": incident_id, "action": action, "params": params, "actor": actor, "at": to_db(at)},
    )
    return cursor.lastrowid


async def finish_run(conn: aiosqlite.Connection, run_id: int, at: datetime) -> None:
    await conn.execute("UPDATE incident_runs SET finished_at = :at WHERE id = :id",
                       {"at": to_db(at), "id": run_id})


async def run_done_case_ids(conn: aiosqlite.Connection, run_id: int) -> set[int]:
    async with conn.execute(
        "SELECT case_id FROM incident_run_cases WHERE run_id = :id", {"id": run_id}
    ) as cursor:
        return {row[0] for row in await cursor.fetchall()}


async def mark_run_cases(conn: aiosqlite.Connection, run_id: int, case_ids: list[int]) -> None:
    await conn.executemany("INSERT INTO incident_run_cases (run_id, case_id) VALUES (:r, :c)",
                           [{"r": run_id, "c": case_id} for case_id in case_ids])


# --- figures ------------------------------------------------------------------------------------


async def impact(conn: aiosqlite.Connection, incident_id: int,
                 money_remedies: tuple[str, ...]) -> tuple[int, int, int, dict[str, int]]:
    """(cases, orders, customers contacted, compensation by currency) of the linked cases.
    A customer is counted once by email, else phone, else name (else their case)."""
    params: dict = {"i": incident_id}
    async with conn.execute(
        """SELECT count(*), count(DISTINCT c.order_id) FROM incident_cases AS ic
           JOIN cases AS c ON c.id = ic.case_id WHERE ic.incident_id = :i""", params,
    ) as cursor:
        cases, orders = await cursor.fetchone()
    async with conn.execute(
        """SELECT count(DISTINCT coalesce(nullif(lower(c.customer_email), ''),
                                          nullif(c.customer_phone, ''),
                                          nullif(c.customer_name, ''), 'case ' || c.id))
           FROM incident_cases AS ic JOIN cases AS c ON c.id = ic.case_id
           WHERE ic.incident_id = :i AND EXISTS (
               SELECT 1 FROM contacts AS k WHERE k.case_id = c.id AND k.direction = 'outbound')""",
        params,
    ) as cursor:
        contacted = (await cursor.fetchone())[0]
    types = {f"t{n}": name for n, name in enumerate(money_remedies)}
    async with conn.execute(
        f"""SELECT upper(r.currency), sum(r.amount_minor) FROM incident_cases AS ic
            JOIN remedies AS r ON r.case_id = ic.case_id
            WHERE ic.incident_id = :i AND r.status IN ('approved', 'done')
            AND r.type IN ({', '.join(':' + key for key in types) or 'NULL'})
            GROUP BY upper(r.currency)""",
        {**params, **types},
    ) as cursor:
        compensation = {row[0]: int(row[1]) for row in await cursor.fetchall()}
    return int(cases), int(orders), int(contacted), compensation


async def figures(conn: aiosqlite.Connection, started_from: datetime | None,
                  started_to: datetime | None) -> list[tuple[int, datetime, datetime | None]]:
    """(linked cases, started, stable) of each incident started in the range."""
    async with conn.execute(
        """SELECT (SELECT count(*) FROM incident_cases AS ic WHERE ic.incident_id = i.id),
                  i.started_at, i.stable_at
           FROM incidents AS i
           WHERE (:from IS NULL OR i.started_at >= :from) AND (:to IS NULL OR i.started_at < :to)""",
        {"from": to_db(started_from), "to": to_db(started_to)},
    ) as cursor:
        rows = await cursor.fetchall()
    return [(int(row[0]), from_db(row[1]), from_db(row[2])) for row in rows]
