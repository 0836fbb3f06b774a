"""SQL for hooks and the outbox (what shopdesk sends, written with the event that causes it)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

import aiosqlite
import msgspec

from shopdesk.domain.cases import Case
from shopdesk.domain.outbound import Hook, OutboxMessage
from shopdesk.store.cases import CASE_SELECT, case_from_row
from shopdesk.store.codec import from_db, json_dumps, json_loads, to_db

# --- hooks ---------------------------------------------------------------------------------------


def _hook(row: sqlite3.Row) -> Hook:
    return Hook(
        id=row["id"], name=row["name"], url=row["url"], format=row["format"],
        events=json_loads(row["events"], []),
        only=[word for word in row["only"].split(",") if word],
        secret=row["secret"], created_at=from_db(row["created_at"]),
    )


async def insert_hook(
    conn: aiosqlite.Connection, *, name: str, url: str, format: str, events: list[str],
    only: list[str], secret: str, at: datetime,
) -> int:
    cursor = await conn.execute(
        """INSERT INTO hooks (name, url, format, events, only, secret, created_at)
           VALUES (:name, :url, :format, :events, :only, :secret, :at)""",
        {"name": name, "url": url, "format": format, "events": json_dumps(events),
         "only": ",".join(only), "secret": secret, "at": to_db(at)},
    )
    return cursor.lastrowid


async def list_hooks(conn: aiosqlite.Connection) -> list[Hook]:
    async with conn.execute("SELECT * FROM hooks ORDER BY name") as cursor:
        rows = await cursor.fetchall()
    return [_hook(row) for row in rows]


async def get_hook(conn: aiosqlite.Connection, hook_id: int) -> Hook | None:
    async with conn.execute("SELECT * FROM hooks WHERE id = :id", {"id": hook_id}) as cursor:
        row = await cursor.fetchone()
    return _hook(row) if row else None


async def find_hook(conn: aiosqlite.Connection, name: str) -> Hook | None:
    async with conn.execute("SELECT * FROM hooks WHERE name = :name", {"name": name}) as cursor:
        row = await cursor.fetchone()
    return _hook(row) if row else None


async def delete_hook(conn: aiosqlite.Connection, hook_id: int) -> None:
    await conn.execute("DELETE FROM hooks WHERE id = :id", {"id": hook_id})


# --- the outbox ----------------------------------------------------------------------------------

_MESSAGE_COLUMNS = """o.id, o.message_id, o.channel, o.hook_id, o.target, o.event, o.case_id,
    o.payload, o.status, o.attempts, o.created_at, o.next_try, o.last_try_at, o.last_error,
    o.done_at, o.done_by, c.ref AS case_ref"""


def _message(row: sqlite3.Row, *, payload: bool = True) -> OutboxMessage:
    return OutboxMessage(
        id=row["id"], message_id=row["message_id"], channel=row["channel"],
        hook_id=row["hook_id"], target=row["target"], event=row["event"],
        case_id=row["case_id"], case_ref=row["case_ref"], status=row["status"],
        attempts=row["attempts"], created_at=from_db(row["created_at"]),
        next_try=row["next_try"], last_try_at=from_db(row["last_try_at"]),
        last_error=row["last_error"], done_at=from_db(row["done_at"]), done_by=row["done_by"],
        payload=json_loads(row["payload"], {}) if payload else {},
    )


async def insert_message(
    conn: aiosqlite.Connection, *, message_id: str, channel: str, hook_id: int | None,
    target: str, event: str, case_id: int | None, payload: dict[str, Any], at: datetime,
    next_try: float,
) -> bool:
    """False when a message with this id is queued already (an event is sent once per target)."""
    cursor = await conn.execute(
        """INSERT OR IGNORE INTO outbox
               (message_id, channel, hook_id, target, event, case_id, payload, status,
                created_at, next_try)
           VALUES (:message_id, :channel, :hook_id, :target, :event, :case_id, :payload,
                   'pending', :at, :next_try)""",
        {"message_id": message_id, "channel": channel, "hook_id": hook_id, "target": target,
         "event": event, "case_id": case_id, "payload": json_dumps(payload), "at": to_db(at),
         "next_try": next_try},
    )
    return cursor.rowcount > 0


async def list_messages(
    conn: aiosqlite.Connection, *, statuses: list[str] | None = None, limit: int = 100,
) -> list[OutboxMessage]:
    """Newest first; only those in `statuses` when given."""
    where = ""
    params: dict[str, Any] = {"limit": limit}
    if statuses:
        names = [f":s{index}" for index in range(len(statuses))]
        where = f"WHERE o.status IN ({', '.join(names)})"
        params.update({f"s{index}": status for index, status in enumerate(statuses)})
    async with conn.execute(
        f"""SELECT {_MESSAGE_COLUMNS} FROM outbox AS o LEFT JOIN cases AS c ON c.id = o.case_id
            {where} ORDER BY o.id DESC LIMIT :limit""",
        params,
    ) as cursor:
        rows = await cursor.fetchall()
    return [_message(row, payload=False) for row in rows]


async def get_message(conn: aiosqlite.Connection, outbox_id: int) -> OutboxMessage | None:
    async with conn.execute(
        f"""SELECT {_MESSAGE_COLUMNS} FROM outbox AS o LEFT JOIN cases AS c ON c.id = o.case_id
            WHERE o.id = :id""",
        {"id": outbox_id},
    ) as cursor:
        row = await cursor.fetchone()
    return _message(row) if row else None


async def count_by_status(conn: aiosqlite.Connection, status: str) -> int:
    async with conn.execute(
        "SELECT count(*) FROM outbox WHERE status = :status", {"status": status}
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0])


async def next_try(conn: aiosqlite.Connection) -> float | None:
    """When the soonest pending message is due (unix time), None when nothing is pending."""
    async with conn.execute(
        "SELECT min(next_try) FROM outbox WHERE status = 'pending'"
    ) as cursor:
        row = await cursor.fetchone()
    return row[0]


async def release_sending(conn: aiosqlite.Connection, now: float) -> int:
    """Messages a sender took and never finished (it was killed mid-send): due again now."""
    cursor = await conn.execute(
        "UPDATE outbox SET status = 'pending', next_try = :now WHERE status = 'sending'",
        {"now": now},
    )
    return cursor.rowcount


async def claim_due(
    conn: aiosqlite.Connection, *, now: float, at: datetime, limit: int
) -> list[OutboxMessage]:
    """Take up to `limit` due messages for sending: each becomes 'sending', one try more."""
    async with conn.execute(
        f"""SELECT {_MESSAGE_COLUMNS} FROM outbox AS o LEFT JOIN cases AS c ON c.id = o.case_id
            WHERE o.status = 'pending' AND o.next_try <= :now ORDER BY o.next_try LIMIT :limit""",
        {"now": now, "limit": limit},
    ) as cursor:
        rows = await cursor.fetchall()
    if not rows:
        return []
    await conn.executemany(
        """UPDATE outbox SET status = 'sending', attempts = attempts + 1, last_try_at = :at
           WHERE id = :id""",
        [{"id": row["id"], "at": to_db(at)} for row in rows],
    )
    return [msgspec.structs.replace(message, status="sending", attempts=message.attempts + 1)
            for message in map(_message, rows)]


async def mark_sent(conn: aiosqlite.Connection, outbox_id: int, *, at: datetime,
                    answer: str) -> None:
    await conn.execute(
        """UPDATE outbox SET status = 'sent', done_at = :at, done_by = 'shopdesk',
                             last_error = :answer
           WHERE id = :id AND status = 'sending'""",
        {"id": outbox_id, "at": to_db(at), "answer": answer},
    )


async def mark_retry(conn: aiosqlite.Connection, outbox_id: int, *, next_try: float,
                     error: str) -> None:
    await conn.execute(
        """UPDATE outbox SET status = 'pending', next_try = :next_try, last_error = :error
           WHERE id = :id AND status = 'sending'""",
        {"id": outbox_id, "next_try": next_try, "error": error},
    )


async def mark_failed(conn: aiosqlite.Connection, outbox_id: int, *, at: datetime,
                      error: str) -> None:
    await conn.execute(
        """UPDATE outbox SET status = 'failed', done_at = :at, done_by = 'shopdesk',
                             last_error = :error
           WHERE id = :id AND status = 'sending'""",
        {"id": outbox_id, "at": to_db(at), "error": error},
    )


async def set_status(
    conn: aiosqlite.Connection, outbox_id: int, *, status: str, from_statuses: list[str],
    at: datetime, actor: str, next_try: float | None = None,
) -> bool:
    """Move a message to `status` if it is in one of `from_statuses` (retry, cancel)."""
    names = [f":f{index}" for index in range(len(from_statuses))]
    params: dict[str, Any] = {"id": outbox_id, "status": status, "at": to_db(at), "actor": actor,
                              "next_try": next_try}
    params.update({f"f{index}": value for index, value in enumerate(from_statuses)})
    done = status in ("sent", "failed", "cancelled")
    cursor = await conn.execute(
        f"""UPDATE outbox SET status = :status,
                              next_try = coalesce(:next_try, next_try),
                              done_at = {':at' if done else 'NULL'},
                              done_by = {':actor' if done else 'NULL'},
                              created_at = {'created_at' if done else ':at'}
            WHERE id = :id AND status IN ({', '.join(names)})""",
        params,
    )
    return cursor.rowcount > 0


async def list_cases_due_between(
    conn: aiosqlite.Connection, start: datetime, end: datetime, *, limit: int = 1000
) -> list[Case]:
    """Active cases whose running clock falls due in [start, end) (sla.breach_soon)."""
    async with conn.execute(
        CASE_SELECT + """
        WHERE c.status IN ('new', 'open', 'escalated') AND c.due_at IS NOT NULL
          AND c.due_at >= :start AND c.due_at < :end
        ORDER BY c.due_at, c.id LIMIT :limit""",
        {"start": to_db(start), "end": to_db(end), "limit": limit},
    ) as cursor:
        rows = await cursor.fetchall()
    return [case_from_row(row) for row in rows]
