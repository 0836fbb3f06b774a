"""SQL for cases, their timeline events and their SLA pauses."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

import aiosqlite
import msgspec

from shopdesk.domain.cases import Case, CaseEvent, Customer, case_ref
from shopdesk.domain.filters import CaseFilter
from shopdesk.domain.sla import Pause
from shopdesk.domain.sla_policy import ClockFacts
from shopdesk.store.codec import from_db, json_dumps, json_loads, to_db

# Columns a service may set on a case (anything else is the store's own bookkeeping).
CASE_FIELDS: frozenset[str] = frozenset(
    {
        "kind", "level", "urgent", "status", "tier", "title", "description", "assignee",
        "department", "responsible_party", "responsible_department", "joint_department",
        "root_cause", "evidence", "order_id", "customer", "source", "dedupe_key", "request_hash",
        "opened_by",
        "opened_at", "first_response_at", "first_response_due_at", "resolution_due_at", "due_at",
        "resolved_at", "closed_at", "reopened_at", "resolution",
        "rule", "rule_subject", "rule_evidence", "cleared_at",
    }
)
_TIME_FIELDS = frozenset(
    {"opened_at", "first_response_at", "first_response_due_at", "resolution_due_at", "due_at",
     "resolved_at", "closed_at", "reopened_at", "cleared_at"}
)

CASE_SELECT = """
SELECT c.*, coalesce(o.number, '') AS order_number, coalesce(o.carrier, '') AS carrier,
       coalesce(o.tracking_number, '') AS tracking_number
FROM cases AS c LEFT JOIN orders AS o ON o.id = c.order_id
"""

QUEUE_ORDER = """
ORDER BY (c.due_at IS NOT NULL AND c.due_at < :now) DESC, c.urgent DESC, c.level DESC,
         c.due_at IS NULL, c.due_at, c.id
"""

# The sorts a list may ask for (the TUI's `s` cycles them); "queue" is DESIGN §2's order.
SORTS: dict[str, str] = {
    "queue": QUEUE_ORDER,
    "due": " ORDER BY c.due_at IS NULL, c.due_at, c.id",
    "newest": " ORDER BY c.id DESC",
    "oldest": " ORDER BY c.id",
    "updated": " ORDER BY c.updated_at DESC, c.id DESC",
}


def _columns(values: dict[str, Any]) -> dict[str, Any]:
    """Service-level values -> column values."""
    unknown = set(values) - CASE_FIELDS
    if unknown:
        raise KeyError(f"not a case field: {sorted(unknown)}")
    columns: dict[str, Any] = {}
    for name, value in values.items():
        if name == "customer":
            columns["customer_name"] = value.name
            columns["customer_email"] = value.email
            columns["customer_phone"] = value.phone
        elif name == "evidence":
            columns["evidence"] = json_dumps(value)
        elif name == "urgent":
            columns["urgent"] = int(bool(value))
        elif name in _TIME_FIELDS:
            columns[name] = to_db(value)
        else:
            columns[name] = value
    return columns


def case_from_row(row: sqlite3.Row) -> Case:
    keys = row.keys()
    return Case(
        id=row["id"],
        ref=row["ref"],
        kind=row["kind"],
        level=row["level"],
        urgent=bool(row["urgent"]),
        status=row["status"],
        tier=row["tier"],
        title=row["title"],
        description=row["description"],
        assignee=row["assignee"],
        department=row["department"],
        responsible_party=row["responsible_party"],
        responsible_department=row["responsible_department"],
        joint_department=row["joint_department"],
        root_cause=row["root_cause"],
        evidence=json_loads(row["evidence"], []),
        order_id=row["order_id"],
        customer=Customer(
            name=row["customer_name"], email=row["customer_email"], phone=row["customer_phone"]
        ),
        source=row["source"],
        opened_by=row["opened_by"],
        opened_at=from_db(row["opened_at"]),
        first_response_at=from_db(row["first_response_at"]),
        first_response_due_at=from_db(row["first_response_due_at"]),
        resolution_due_at=from_db(row["resolution_due_at"]),
        due_at=from_db(row["due_at"]),
        resolved_at=from_db(row["resolved_at"]),
        closed_at=from_db(row["closed_at"]),
        reopened_at=from_db(row["reopened_at"]),
        resolution=row["resolution"],
        version=row["version"],
        updated_at=from_db(row["updated_at"]),
        updated_by=row["updated_by"],
        rule=row["rule"],
        rule_subject=row["rule_subject"],
        rule_evidence=row["rule_evidence"],
        cleared_at=from_db(row["cleared_at"]),
        order_number=row["order_number"] if "order_number" in keys else "",
        carrier=row["carrier"] if "carrier" in keys else "",
        tracking_number=row["tracking_number"] if "tracking_number" in keys else "",
    )


async def insert_case(
    conn: aiosqlite.Connection, values: dict[str, Any], *, at: datetime, actor: str
) -> int:
    columns = _columns(values)
    columns.update(ref="", version=1, updated_at=to_db(at), updated_by=actor)
    names = ", ".join(columns)
    params = ", ".join(f":{name}" for name in columns)
    cursor = await conn.execute(f"INSERT INTO cases ({names}) VALUES ({params})", columns)
    case_id = cursor.lastrowid
    await conn.execute(
        "UPDATE cases SET ref = :ref WHERE id = :id", {"ref": case_ref(case_id), "id": case_id}
    )
    return case_id


async def update_case(
    conn: aiosqlite.Connection,
    case_id: int,
    expected_version: int,
    values: dict[str, Any],
    *,
    at: datetime,
    actor: str,
) -> bool:
    """Apply `values` if the case is still at `expected_version`; False if someone got there first."""
    columns = _columns(values)
    assignments = ", ".join(f"{name} = :{name}" for name in columns)
    if assignments:
        assignments += ", "
    params = dict(columns, id=case_id, expected=expected_version, at=to_db(at), actor=actor)
    cursor = await conn.execute(
        f"""UPDATE cases SET {assignments}version = version + 1, updated_at = :at, updated_by = :actor
            WHERE id = :id AND version = :expected""",
        params,
    )
    return cursor.rowcount == 1


_UPDATE_CASE = """UPDATE cases SET {assignments}version = version + 1, updated_at = :at,
    updated_by = :actor WHERE id = :id AND version = :expected"""
_INSERT_EVENT = """INSERT INTO case_events (case_id, at, actor, type, data)
    VALUES (:case_id, :at, :actor, :type, :data)"""


async def update_case_logged(
    conn: aiosqlite.Connection,
    case_id: int,
    expected_version: int,
    values: dict[str, Any],
    *,
    at: datetime,
    actor: str,
    event_type: str,
    data: dict[str, Any],
) -> int | None:
    """`update_case` and its timeline event (`insert_event`) in one trip to the connection's
    thread (a bulk action makes a thousand): the event's id; None, and no event, if the version
    moved on."""
    columns = _columns(values)
    assignments = "".join(f"{name} = :{name}, " for name in columns)
    update = dict(columns, id=case_id, expected=expected_version, at=to_db(at), actor=actor)
    event = {"case_id": case_id, "at": to_db(at), "actor": actor, "type": event_type,
             "data": json_dumps(data)}

    def write(db: sqlite3.Connection) -> int | None:
        if db.execute(_UPDATE_CASE.format(assignments=assignments), update).rowcount != 1:
            return None
        return db.execute(_INSERT_EVENT, event).lastrowid

    return await conn._execute(write, conn._conn)  # aiosqlite's primitive: one call, its thread


async def find_by_dedupe_key(conn: aiosqlite.Connection, dedupe_key: str) -> Case | None:
    async with conn.execute(CASE_SELECT + " WHERE c.dedupe_key = :key", {"key": dedupe_key}) as cur:
        row = await cur.fetchone()
    return case_from_row(row) if row else None


async def request_hash(conn: aiosqlite.Connection, case_id: int) -> str | None:
    """The hash of the request that opened the case under a dedupe key (None: not recorded)."""
    async with conn.execute(
        "SELECT request_hash FROM cases WHERE id = :id", {"id": case_id}
    ) as cursor:
        row = await cursor.fetchone()
    return row[0] if row else None


async def get_case(conn: aiosqlite.Connection, ref: str) -> Case | None:
    # execute_fetchall: one trip to the connection's thread instead of three (execute, fetch,
    # close); every write reads its case, and a bulk action writes a thousand.
    rows = await conn.execute_fetchall(CASE_SELECT + " WHERE c.ref = :ref", {"ref": ref})
    return case_from_row(rows[0]) if rows else None


async def get_case_by_id(conn: aiosqlite.Connection, case_id: int) -> Case | None:
    rows = await conn.execute_fetchall(CASE_SELECT + " WHERE c.id = :id", {"id": case_id})
    return case_from_row(rows[0]) if rows else None


async def refs_of(conn: aiosqlite.Connection, case_ids: list[int]) -> dict[int, str]:
    rows = await conn.execute_fetchall(
        "SELECT id, ref FROM cases WHERE id IN (SELECT value FROM json_each(:ids))",
        {"ids": json_dumps(case_ids)})
    return {row[0]: row[1] for row in rows}


async def list_cases_by_handle(conn: aiosqlite.Connection, text: str, *, limit: int) -> list[Case]:
    """Cases whose order number is exactly `text` (with or without "#"), or whose order's platform
    id or tracking number is, or (7 digits or more) whose customer phone ends with those digits;
    newest first. What a bare number means besides a case number."""
    phone = "%" + text if len(text) >= 7 else None
    async with conn.execute(
        CASE_SELECT + """
        WHERE c.order_id IN (SELECT id FROM orders WHERE number IN (:text, '#' || :text)
                                OR external_id = :text OR tracking_number = :text)""" + (
            _PHONE_DIGITS_LIKE.replace(":q_digits_like", ":phone") if phone else "") + """
        ORDER BY c.id DESC LIMIT :limit""",
        {"text": text, "phone": phone, "limit": limit},
    ) as cursor:
        rows = await cursor.fetchall()
    return [case_from_row(row) for row in rows]


_PHONE_DIGITS_LIKE = """
                OR replace(replace(replace(replace(replace(c.customer_phone,
                   ' ', ''), '-', ''), '+', ''), '(', ''), ')', '') LIKE :q_digits_like"""


def _phone_digits(text: str) -> str | None:
    """The digits of a search that reads as a phone number (at least 5 digits, nothing but digits,
    spaces, + - ( )); None otherwise."""
    digits = "".join(char for char in text if char.isascii() and char.isdigit())
    if len(digits) >= 5 and all(char.isdigit() or char in " +-()" for char in text.strip()):
        return digits
    return None


_MATCH_COLUMNS = {
    "ref": "c.ref", "title": "c.title", "customer": "c.customer_name",
    "phone": "c.customer_phone", "email": "c.customer_email", "order": "o.number",
    "tracking": "o.tracking_number", "assignee": "c.assignee", "carrier": "o.carrier",
}


def _needs_orders(case_filter: CaseFilter) -> bool:
    """Whether the filter reads a column of the case's order (then `orders AS o` is joined)."""
    return case_filter.carrier is not None or bool(case_filter.q) or any(
        _MATCH_COLUMNS.get(field, "").startswith("o.") for field in case_filter.match or {})


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _in_list(column: str, values: list[str] | None, prefix: str, params: dict[str, Any]) -> str:
    """" OR column IN (...)" for the codes a text matched by their labels; "" for none."""
    if not values:
        return ""
    names = []
    for index, value in enumerate(values):
        params[f"{prefix}{index}"] = value
        names.append(f":{prefix}{index}")
    return f"\n                OR {column} IN ({', '.join(names)})"


def filter_sql(case_filter: CaseFilter, now: datetime) -> tuple[str, dict[str, Any]]:
    """A WHERE clause (with its parameters) for a CaseFilter, on `cases AS c` joined to `orders AS o`."""
    clauses: list[str] = []
    params: dict[str, Any] = {"now": to_db(now)}

    def add_in(column: str, values: list[Any], prefix: str) -> None:
        names = []
        for index, value in enumerate(values):
            params[f"{prefix}{index}"] = value
            names.append(f":{prefix}{index}")
        clauses.append(f"{column} IN ({', '.join(names) or 'NULL'})")

    if case_filter.statuses is not None:
        add_in("c.status", case_filter.statuses, "status")
    if case_filter.kinds is not None:
        add_in("c.kind", case_filter.kinds, "kind")
    if case_filter.levels is not None:
        add_in("c.level", case_filter.levels, "level")
    if case_filter.urgent is not None:
        clauses.append("c.urgent = :urgent")
        params["urgent"] = int(case_filter.urgent)
    if case_filter.assignee is not None:
        clauses.append("c.assignee = :assignee")
        params["assignee"] = case_filter.assignee
    if case_filter.tier is not None:
        clauses.append("c.tier = :tier")
        params["tier"] = case_filter.tier
    if case_filter.overdue is not None:
        overdue = "(c.due_at IS NOT NULL AND c.due_at < :now)"
        clauses.append(overdue if case_filter.overdue else f"NOT {overdue}")
    if case_filter.carrier is not None:
        clauses.append("o.carrier = :carrier")
        params["carrier"] = case_filter.carrier
    if case_filter.source is not None:
        clauses.append("c.source = :source")
        params["source"] = case_filter.source
    if case_filter.place:
        clauses.append("o.address LIKE :place_like ESCAPE '\\'")
        params["place_like"] = "%" + case_filter.place.replace("\\", "\\\\").replace(
            "%", "\\%").replace("_", "\\_") + "%"
    if case_filter.rule is not None:
        clauses.append("c.rule = :rule")
        params["rule"] = case_filter.rule
    if case_filter.q:
        params["q"] = case_filter.q
        params["q_like"] = "%" + case_filter.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        digits = _phone_digits(case_filter.q)
        if digits:  # a phone as said on the line: "13249446465" finds "+86 132 4944 6465"
            params["q_digits_like"] = f"%{digits}%"
        clauses.append(
            """(c.ref = upper(:q) OR c.ref LIKE :q_like ESCAPE '\\'
                OR c.customer_name LIKE :q_like ESCAPE '\\' OR c.customer_phone LIKE :q_like ESCAPE '\\'
                OR c.customer_email LIKE :q_like ESCAPE '\\' OR o.number LIKE :q_like ESCAPE '\\'
                OR o.external_id = :q OR o.tracking_number LIKE :q_like ESCAPE '\\'
                OR c.title LIKE :q_like ESCAPE '\\' OR c.assignee LIKE :q_like ESCAPE '\\'
                OR o.carrier LIKE :q_like ESCAPE '\\'"""
            + (_PHONE_DIGITS_LIKE if digits else "")
            + _in_list("c.kind", case_filter.q_kinds, "qkind", params)
            + _in_list("c.status", case_filter.q_statuses, "qstatus", params) + ")"
        )
    for index, (field, text) in enumerate(sorted((case_filter.match or {}).items())):
        column = _MATCH_COLUMNS.get(field)
        if column is None:
            continue  # the TUI names only these; an unknown field was refused before
        params[f"m{index}"] = "%" + _escape_like(text) + "%"
        clauses.append(f"{column} LIKE :m{index} ESCAPE '\\'")
    for name, column, op in (
        ("opened_from", "c.opened_at", ">="),
        ("opened_to", "c.opened_at", "<"),
        ("resolved_from", "c.resolved_at", ">="),
        ("resolved_to", "c.resolved_at", "<"),
        ("shipped_from", "o.shipped_at", ">="),
        ("shipped_to", "o.shipped_at", "<"),
    ):
        value = getattr(case_filter, name)
        if value is not None:
            clauses.append(f"{column} {op} :{name}")
            params[name] = to_db(value)
    if case_filter.awaiting_approval is not None:
        pending = "c.id IN (SELECT case_id FROM remedies WHERE status = 'proposed')"
        clauses.append(pending if case_filter.awaiting_approval else f"NOT {pending}")
    if case_filter.incident_id is not None:
        clauses.append(
            "c.id IN (SELECT case_id FROM incident_cases WHERE incident_id = :incident_id)"
        )
        params["incident_id"] = case_filter.incident_id
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    return where, params


# Keyset paging in queue order: QUEUE_ORDER's keys as one ascending row value (DESC keys negated),
# all of them columns of cases_active_order (and the rowid), so a page stays an index-only read.
_AFTER_IN_QUEUE = """(NOT (c.due_at IS NOT NULL AND c.due_at < :now), -c.urgent, -c.level,
        c.due_at IS NULL, coalesce(c.due_at, ''), c.id) > (:k0, :k1, :k2, :k3, :k4, :k5)"""


def queue_position(case: Case, now: datetime) -> list[Any]:
    """Where `case` stands in QUEUE_ORDER at `now` — [overdue, urgent, level, due_at, id] — as
    `list_cases(after=...)` takes it: the next page starts after it wherever the case itself has
    gone since."""
    due, now_text = to_db(case.due_at), to_db(now)
    return [due is not None and due < now_text, case.urgent, case.level, case.due_at, case.id]


async def list_cases(
    conn: aiosqlite.Connection,
    case_filter: CaseFilter,
    now: datetime,
    *,
    limit: int = 100,
    offset: int = 0,
    sort: str = "queue",
    after: list[Any] | None = None,
) -> list[Case]:
    """Cases matching the filter, in queue order (or another of SORTS); with `after` (a
    `queue_position`, queue order only) the cases that come after that position."""
    where, params = filter_sql(case_filter, now)
    params.update(limit=limit, offset=offset)
    if after is not None:
        if sort != "queue" or len(after) != 5:
            raise ValueError("after= pages the queue order only, with a queue_position")
        overdue, urgent, level, due, case_id = after
        where = (where + " AND " if where else " WHERE ") + _AFTER_IN_QUEUE
        params.update(k0=int(not overdue), k1=-int(urgent), k2=-int(level), k3=int(due is None),
                      k4=to_db(due) or "", k5=int(case_id))
    order = SORTS[sort]
    join = "" if not (case_filter.reads_orders() or _needs_orders(case_filter)) else (
        " LEFT JOIN orders AS o ON o.id = c.order_id")
    # Sort and page the ids first (cases_active_order covers the queue's sort keys), then read
    # only the page's rows: 40 ms -> 2 ms for the first page of 10,000 active cases.
    page = "SELECT c.id FROM cases AS c" + join + where + order + " LIMIT :limit OFFSET :offset"
    sql = CASE_SELECT + " JOIN (" + page + ") AS page ON page.id = c.id" + order
    async with conn.execute(sql, params) as cursor:
        rows = await cursor.fetchall()
    return [case_from_row(row) for row in rows]


# A typed filter over a view of active cases walks the view's ids in queue order (an index-only
# read of at most the active cases) and tests the text on them a chunk at a time (each twice the
# last), stopping once the window is full: the first keystrokes, which match many cases, read a
# chunk instead of every row.
_WALK_STATUSES = frozenset({"new", "open", "waiting", "escalated"})
_WALK_CHUNK = 1000


def walks(case_filter: CaseFilter) -> bool:
    """Whether `list_cases_walking` applies: a text filter on a view of active statuses only."""
    return bool(case_filter.q or case_filter.match) and case_filter.statuses is not None and bool(
        case_filter.statuses) and set(case_filter.statuses) <= _WALK_STATUSES


async def list_cases_walking(
    conn: aiosqlite.Connection,
    case_filter: CaseFilter,
    now: datetime,
    *,
    limit: int = 100,
    offset: int = 0,
    sort: str = "queue",
) -> list[Case]:
    """`list_cases` for a filter `walks` accepts: the same cases in the same order."""
    view = msgspec.structs.replace(case_filter, q=None, q_kinds=None, q_statuses=None, match=None)
    where, params = filter_sql(view, now)
    join = "" if not view.reads_orders() else " LEFT JOIN orders AS o ON o.id = c.order_id"
    async with conn.execute("SELECT c.id FROM cases AS c" + join + where + SORTS[sort],
                            params) as cursor:
        ordered = [row[0] for row in await cursor.fetchall()]
    text_where, text_params = filter_sql(CaseFilter(
        q=case_filter.q, q_kinds=case_filter.q_kinds, q_statuses=case_filter.q_statuses,
        match=case_filter.match), now)
    matching_sql = ("SELECT c.id FROM cases AS c LEFT JOIN orders AS o ON o.id = c.order_id"
                    " WHERE c.id IN (SELECT value FROM json_each(:ids)) AND "
                    + text_where.removeprefix(" WHERE "))
    wanted = offset + limit
    matches: list[int] = []
    start, size = 0, _WALK_CHUNK
    while start < len(ordered) and len(matches) < wanted:
        chunk = ordered[start:start + size]
        async with conn.execute(matching_sql, {**text_params, "ids": json_dumps(chunk)}) as cursor:
            found = {row[0] for row in await cursor.fetchall()}
        matches.extend(case_id for case_id in chunk if case_id in found)
        start, size = start + size, size * 2  # few matches: fewer, larger chunks
    page = matches[offset:wanted]
    if not page:
        return []
    async with conn.execute(CASE_SELECT + " WHERE c.id IN (SELECT value FROM json_each(:ids))",
                            {"ids": json_dumps(page)}) as cursor:
        rows = {row["id"]: row for row in await cursor.fetchall()}
    return [case_from_row(rows[case_id]) for case_id in page if case_id in rows]


async def count_cases(conn: aiosqlite.Connection, case_filter: CaseFilter, now: datetime) -> int:
    where, params = filter_sql(case_filter, now)
    if not (case_filter.reads_orders() or _needs_orders(case_filter)):  # no order column asked: no join
        sql = "SELECT count(*) FROM cases AS c" + where
    else:
        sql = "SELECT count(*) FROM cases AS c LEFT JOIN orders AS o ON o.id = c.order_id" + where
    async with conn.execute(sql, params) as cursor:
        row = await cursor.fetchone()
    return int(row[0])


async def insert_event(
    conn: aiosqlite.Connection,
    case_id: int,
    *,
    at: datetime,
    actor: str,
    type: str,
    data: dict[str, Any],
) -> int:
    cursor = await conn.execute(
        """INSERT INTO case_events (case_id, at, actor, type, data)
           VALUES (:case_id, :at, :actor, :type, :data)""",
        {"case_id": case_id, "at": to_db(at), "actor": actor, "type": type, "data": json_dumps(data)},
    )
    return cursor.lastrowid


def event_from_row(row: sqlite3.Row) -> CaseEvent:
    return CaseEvent(
        id=row["id"],
        case_id=row["case_id"],
        at=from_db(row["at"]),
        actor=row["actor"],
        type=row["type"],
        data=json_loads(row["data"], {}),
    )


async def list_events(conn: aiosqlite.Connection, case_id: int) -> list[CaseEvent]:
    async with conn.execute(
        "SELECT * FROM case_events WHERE case_id = :case_id ORDER BY id", {"case_id": case_id}
    ) as cursor:
        rows = await cursor.fetchall()
    return [event_from_row(row) for row in rows]


async def open_pause(conn: aiosqlite.Connection, case_id: int, at: datetime) -> None:
    await conn.execute(
        "INSERT INTO sla_pauses (case_id, started_at) VALUES (:case_id, :at)",
        {"case_id": case_id, "at": to_db(at)},
    )


async def close_pause(conn: aiosqlite.Connection, case_id: int, at: datetime) -> None:
    await conn.execute(
        "UPDATE sla_pauses SET ended_at = :at WHERE case_id = :case_id AND ended_at IS NULL",
        {"case_id": case_id, "at": to_db(at)},
    )


async def list_pauses(conn: aiosqlite.Connection, case_id: int) -> list[Pause]:
    rows = await conn.execute_fetchall(  # one trip to the connection's thread, not three
        "SELECT started_at, ended_at FROM sla_pauses WHERE case_id = :case_id ORDER BY id",
        {"case_id": case_id})
    return [Pause(start=from_db(row[0]), end=from_db(row[1])) for row in rows]


async def list_breached_unescalated(
    conn: aiosqlite.Connection, now: datetime, *, limit: int = 1000
) -> list[Case]:
    """New and open cases whose running clock is past due and that nobody escalated since it
    fell due: the sweep escalates a breach once, and a case a supervisor sent back to work after
    that escalation is not sent up again for the same due time."""
    async with conn.execute(
        CASE_SELECT + """
        WHERE c.status IN ('new', 'open') AND c.due_at IS NOT NULL AND c.due_at < :now
          AND NOT EXISTS (SELECT 1 FROM case_events AS e
                          WHERE e.case_id = c.id AND e.type = 'escalated' AND e.at >= c.due_at)
        ORDER BY c.due_at, c.id LIMIT :limit""",
        {"now": to_db(now), "limit": limit},
    ) as cursor:
        rows = await cursor.fetchall()
    return [case_from_row(row) for row in rows]


async def list_unresolved_at_supervisor(
    conn: aiosqlite.Connection, now: datetime, *, limit: int = 1000
) -> list[Case]:
    """Cases at the supervisor tier, not waiting, resolved or closed, whose resolution was due
    before `now`: the sweep sends those a resolution target late on to the owner."""
    async with conn.execute(
        CASE_SELECT + """
        WHERE c.status IN ('new', 'open', 'escalated') AND c.tier = 'supervisor'
          AND c.resolution_due_at IS NOT NULL AND c.resolution_due_at < :now
        ORDER BY c.resolution_due_at, c.id LIMIT :limit""",
        {"now": to_db(now), "limit": limit},
    ) as cursor:
        rows = await cursor.fetchall()
    return [case_from_row(row) for row in rows]


async def clock_facts_after(
    conn: aiosqlite.Connection, after_id: int, limit: int
) -> tuple[list[ClockFacts], dict[int, list[Pause]]]:
    """The next `limit` active cases by id after `after_id`, with their SLA pauses: what their
    due times are computed from (a recompute goes through the store a batch at a time)."""
    async with conn.execute(
        """SELECT id, version, level, kind, urgent, status, opened_at, first_response_at,
                  reopened_at, first_response_due_at, resolution_due_at, due_at FROM cases
           WHERE id > :after AND +status IN ('new', 'open', 'waiting', 'escalated')
           ORDER BY id LIMIT :limit""", {"after": after_id, "limit": limit},
        # `+status`: walk the primary key from `after_id` (a status index would sort every
        # active case again for each batch)
    ) as cursor:
        rows = await cursor.fetchall()
    facts = [
        ClockFacts(id=row[0], version=row[1], level=row[2], kind=row[3], urgent=bool(row[4]),
                   status=row[5], opened_at=from_db(row[6]), first_response_at=from_db(row[7]),
                   reopened_at=from_db(row[8]),
                   stored=(from_db(row[9]), from_db(row[10]), from_db(row[11])))
        for row in rows
    ]
    pauses: dict[int, list[Pause]] = {}
    if facts:
        async with conn.execute(
            """SELECT case_id, started_at, ended_at FROM sla_pauses
               WHERE case_id BETWEEN :lo AND :hi ORDER BY id""",
            {"lo": facts[0].id, "hi": facts[-1].id},
        ) as cursor:
            for case_id, started_at, ended_at in await cursor.fetchall():
                pauses.setdefault(case_id, []).append(
                    Pause(start=from_db(started_at), end=from_db(ended_at)))
    return facts, pauses


async def set_due_times_if_unchanged(
    conn: aiosqlite.Connection,
    dues: list[tuple[int, int, datetime | None, datetime | None, datetime | None]],
) -> None:
    """Store recomputed due times — (case id, version read, first response due, resolution due,
    running due) — on the cases not changed since they were read (a change computed its own)."""
    await conn.executemany(
        """UPDATE cases SET first_response_due_at = :first, resolution_due_at = :resolution,
                            due_at = :due WHERE id = :id AND version = :version""",
        [
            {"id": case_id, "version": version, "first": to_db(first),
             "resolution": to_db(resolution), "due": to_db(due)}
            for case_id, version, first, resolution, due in dues
        ],
    )


async def set_due_times(
    conn: aiosqlite.Connection,
    dues: list[tuple[int, datetime | None, datetime | None, datetime | None]],
) -> None:
    """Store recomputed due times: (case id, first response due, resolution due, running due).
    Derived figures, not an edit: the version and updated_at/by stay as they are."""
    await conn.executemany(
        """UPDATE cases SET first_response_due_at = :first, resolution_due_at = :resolution,
                            due_at = :due WHERE id = :id""",
        [
            {"id": case_id, "first": to_db(first), "resolution": to_db(resolution),
             "due": to_db(due)}
            for case_id, first, resolution, due in dues
        ],
    )


async def list_events_after(
    conn: aiosqlite.Connection, after_id: int, *, limit: int
) -> list[CaseEvent]:
    """Timeline lines of every case written after event `after_id`, newest first (the activity)."""
    async with conn.execute(
        "SELECT * FROM case_events WHERE id > :after ORDER BY id DESC LIMIT :limit",
        {"after": after_id, "limit": limit},
    ) as cursor:
        rows = await cursor.fetchall()
    return [event_from_row(row) for row in rows]


async def last_event_id(conn: aiosqlite.Connection) -> int:
    async with conn.execute("SELECT coalesce(max(id), 0) FROM case_events") as cursor:
        row = await cursor.fetchone()
    return int(row[0])
