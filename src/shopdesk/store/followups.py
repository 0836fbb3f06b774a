"""SQL for what follows a case: remedies, contacts with the customer, the satisfaction survey."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import aiosqlite

from shopdesk.domain.cases import Contact, Remedy, Survey
from shopdesk.store.codec import from_db, to_db


def remedy_from_row(row: sqlite3.Row) -> Remedy:
    return Remedy(
        id=row["id"],
        case_id=row["case_id"],
        type=row["type"],
        amount_minor=row["amount_minor"],
        currency=row["currency"],
        status=row["status"],
        note=row["note"],
        proposed_by=row["proposed_by"],
        proposed_at=from_db(row["proposed_at"]),
        decided_by=row["decided_by"],
        decided_at=from_db(row["decided_at"]),
        done_at=from_db(row["done_at"]),
    )


async def insert_remedy(
    conn: aiosqlite.Connection,
    case_id: int,
    *,
    type: str,
    amount_minor: int,
    currency: str,
    status: str,
    note: str,
    actor: str,
    at: datetime,
) -> int:
    decided = status == "approved"
    cursor = await conn.execute(
        """INSERT INTO remedies (case_id, type, amount_minor, currency, status, note, proposed_by,
                                 proposed_at, decided_by, decided_at)
           VALUES (:case_id, :type, :amount, :currency, :status, :note, :actor, :at, :decided_by,
                   :decided_at)""",
        {
            "case_id": case_id, "type": type, "amount": amount_minor, "currency": currency,
            "status": status, "note": note, "actor": actor, "at": to_db(at),
            "decided_by": actor if decided else None, "decided_at": to_db(at) if decided else None,
        },
    )
    return cursor.lastrowid


async def get_remedy(conn: aiosqlite.Connection, remedy_id: int) -> Remedy | None:
    async with conn.execute("SELECT * FROM remedies WHERE id = :id", {"id": remedy_id}) as cursor:
        row = await cursor.fetchone()
    return remedy_from_row(row) if row else None


async def set_remedy_status(
    conn: aiosqlite.Connection, remedy_id: int, status: str, *, actor: str, at: datetime
) -> None:
    if status == "done":
        sql = "UPDATE remedies SET status = :status, done_at = :at WHERE id = :id"
    else:
        sql = """UPDATE remedies SET status = :status, decided_by = :actor, decided_at = :at
                 WHERE id = :id"""
    await conn.execute(sql, {"status": status, "actor": actor, "at": to_db(at), "id": remedy_id})


async def list_remedies(conn: aiosqlite.Connection, case_id: int) -> list[Remedy]:
    rows = await conn.execute_fetchall(  # one trip to the connection's thread, not three
        "SELECT * FROM remedies WHERE case_id = :case_id ORDER BY id", {"case_id": case_id})
    return [remedy_from_row(row) for row in rows]


async def list_order_remedies(conn: aiosqlite.Connection, order_id: int) -> list[Remedy]:
    """The remedies of every case linked to the order (a refund's cap is the order's payment)."""
    async with conn.execute(
        """SELECT r.* FROM remedies AS r JOIN cases AS c ON c.id = r.case_id
           WHERE c.order_id = :order_id ORDER BY r.id""",
        {"order_id": order_id},
    ) as cursor:
        rows = await cursor.fetchall()
    return [remedy_from_row(row) for row in rows]


async def list_pending_remedies(conn: aiosqlite.Connection) -> list[Remedy]:
    """Remedies awaiting a supervisor's approval, oldest first."""
    async with conn.execute(
        "SELECT * FROM remedies WHERE status = 'proposed' ORDER BY proposed_at, id"
    ) as cursor:
        rows = await cursor.fetchall()
    return [remedy_from_row(row) for row in rows]


async def insert_contact(
    conn: aiosqlite.Connection,
    case_id: int,
    *,
    at: datetime,
    actor: str,
    channel: str,
    direction: str,
    template: str | None,
    summary: str,
    next_follow_up_at: datetime | None,
) -> int:
    cursor = await conn.execute(
        """INSERT INTO contacts (case_id, at, actor, channel, direction, template, summary,
                                 next_follow_up_at)
           VALUES (:case_id, :at, :actor, :channel, :direction, :template, :summary, :follow)""",
        {
            "case_id": case_id, "at": to_db(at), "actor": actor, "channel": channel,
            "direction": direction, "template": template, "summary": summary,
            "follow": to_db(next_follow_up_at),
        },
    )
    return cursor.lastrowid


async def list_contacts(conn: aiosqlite.Connection, case_id: int) -> list[Contact]:
    async with conn.execute(
        "SELECT * FROM contacts WHERE case_id = :case_id ORDER BY id", {"case_id": case_id}
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        Contact(
            id=row["id"],
            case_id=row["case_id"],
            at=from_db(row["at"]),
            actor=row["actor"],
            channel=row["channel"],
            direction=row["direction"],
            template=row["template"],
            summary=row["summary"],
            next_follow_up_at=from_db(row["next_follow_up_at"]),
        )
        for row in rows
    ]


async def insert_survey(
    conn: aiosqlite.Connection, case_id: int, *, score: int, comment: str, at: datetime, actor: str,
    answered_by: str = "operator",
) -> bool:
    """False if the case already has its survey (once per case)."""
    cursor = await conn.execute(
        """INSERT INTO surveys (case_id, score, comment, at, actor, answered_by)
           VALUES (:case_id, :score, :comment, :at, :actor, :answered_by)
           ON CONFLICT (case_id) DO NOTHING""",
        {"case_id": case_id, "score": score, "comment": comment, "at": to_db(at), "actor": actor,
         "answered_by": answered_by},
    )
    return cursor.rowcount == 1


async def get_survey(conn: aiosqlite.Connection, case_id: int) -> Survey | None:
    async with conn.execute(
        "SELECT * FROM surveys WHERE case_id = :case_id", {"case_id": case_id}
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    return Survey(
        case_id=row["case_id"], score=row["score"], comment=row["comment"],
        at=from_db(row["at"]), actor=row["actor"], answered_by=row["answered_by"],
    )
