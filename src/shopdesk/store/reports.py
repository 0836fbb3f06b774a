"""SQL for the review numbers and for streaming export rows.

Summaries are aggregates over the cases a CaseFilter selects (`filter_sql`, on `cases AS c` joined
to `orders AS o`). Export rows leave as plain tuples in chunks of `CHUNK_ROWS` from `fetchmany`:
aiosqlite hops to its thread once per call, so one call fetches thousands of rows, and a whole
export never sits in memory. Each export SELECT lists its columns in the order of the export's
stable column list (services/exports.py), which a test holds equal to `cursor.description`.
"""

from __future__ import annotations

import contextlib
from array import array
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import aiosqlite

from shopdesk.domain.filters import CaseFilter
from shopdesk.store.cases import SORTS, filter_sql
from shopdesk.store.codec import to_db
from shopdesk.store.db import Store, _connect

CHUNK_ROWS = 1000  # rows a fetchmany: one thread hop each; a chunk small enough to stay in CPU cache
EXPORT_CACHE_KIB = 16_384  # page cache of an export's connection (the joined orders)

_FROM = " FROM cases AS c LEFT JOIN orders AS o ON o.id = c.order_id"
# When the first response clock stopped: the first outbound contact, or the resolution if nobody
# logged a contact before resolving (the customer is told at resolution).
_FIRST_RESPONSE = "coalesce(c.first_response_at, c.resolved_at)"


def _where(case_filter: CaseFilter, now: datetime, *extra: str) -> tuple[str, dict[str, Any]]:
    where, params = filter_sql(case_filter, now)
    for clause in extra:
        where += (" AND " if where else " WHERE ") + clause
    return where, params


async def _all(conn: aiosqlite.Connection, sql: str, params: dict[str, Any]) -> list[tuple]:
    async with conn.execute(sql, params) as cursor:
        cursor.row_factory = None
        return list(await cursor.fetchall())


# --- summaries -------------------------------------------------------------------------------

COUNT_COLUMNS: dict[str, str] = {
    "status": "c.status",
    "kind": "c.kind",
    "level": "c.level",
    "carrier": "coalesce(o.carrier, '')",
    "party": "c.responsible_party",
    "department": "c.department",
}


async def count_by(
    conn: aiosqlite.Connection, case_filter: CaseFilter, now: datetime, dimension: str
) -> list[tuple[Any, int]]:
    """(value, cases) for one dimension of COUNT_COLUMNS; void cases only in the status counts.

    One GROUP BY per dimension: measured as fast as one GROUP BY over all six (which sorts).
    """
    column = COUNT_COLUMNS[dimension]  # a fixed expression, never a value
    extra = () if dimension == "status" else ("c.status != 'void'",)
    where, params = _where(case_filter, now, *extra)
    return await _all(conn, f"SELECT {column}, count(*){_FROM}{where} GROUP BY 1", params)


SLA_SQL = f"""
SELECT
  sum({_FIRST_RESPONSE} IS NOT NULL AND {_FIRST_RESPONSE} <= c.first_response_due_at),
  sum(({_FIRST_RESPONSE} IS NOT NULL AND {_FIRST_RESPONSE} > c.first_response_due_at)
      OR ({_FIRST_RESPONSE} IS NULL AND c.first_response_due_at < :now)),
  sum({_FIRST_RESPONSE} IS NULL AND NOT coalesce(c.first_response_due_at < :now, 0)),
  sum(c.resolved_at IS NOT NULL AND c.resolved_at <= c.resolution_due_at),
  sum((c.resolved_at IS NOT NULL AND c.resolved_at > c.resolution_due_at)
      OR (c.resolved_at IS NULL AND c.resolution_due_at < :now)),
  sum(c.resolved_at IS NULL AND NOT coalesce(c.resolution_due_at < :now, 0))
"""


async def sla_counts(
    conn: aiosqlite.Connection, case_filter: CaseFilter, now: datetime
) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """((met, breached, pending) first response, (met, breached, pending) resolution)."""
    where, params = _where(case_filter, now, "c.status != 'void'")
    rows = await _all(conn, SLA_SQL + _FROM + where, params)
    values = [int(value or 0) for value in rows[0]]
    return (values[0], values[1], values[2]), (values[3], values[4], values[5])


URGENT_SQL = f"""
SELECT
  sum({_FIRST_RESPONSE} <= c.first_response_due_at AND c.resolved_at <= c.resolution_due_at),
  sum({_FIRST_RESPONSE} > c.first_response_due_at OR c.resolved_at > c.resolution_due_at
      OR ({_FIRST_RESPONSE} IS NULL AND c.first_response_due_at < :now)
      OR (c.resolved_at IS NULL AND c.resolution_due_at < :now)),
  count(*)
"""


async def urgent_counts(
    conn: aiosqlite.Connection, case_filter: CaseFilter, now: datetime
) -> tuple[int, int, int]:
    """(on time, late, pending) over the urgent, non-void cases."""
    where, params = _where(case_filter, now, "c.status != 'void'", "c.urgent = 1")
    rows = await _all(conn, URGENT_SQL + _FROM + where, params)
    on_time, late, total = (int(value or 0) for value in rows[0])
    return on_time, late, total - on_time - late


async def durations(
    conn: aiosqlite.Connection, case_filter: CaseFilter, now: datetime, until: str
) -> array:
    """Seconds from opening to the first response (`until="first_response"`) or resolution."""
    end = {"first_response": _FIRST_RESPONSE, "resolution": "c.resolved_at"}[until]
    where, params = _where(case_filter, now, "c.status != 'void'", f"{end} IS NOT NULL")
    sql = f"SELECT (julianday({end}) - julianday(c.opened_at)) * 86400.0{_FROM}{where}"
    seconds = array("d")
    async with conn.execute(sql, params) as cursor:
        cursor.row_factory = None
        while rows := await cursor.fetchmany(CHUNK_ROWS):
            seconds.extend(round(row[0]) for row in rows)
    return seconds


async def compensation(
    conn: aiosqlite.Connection, case_filter: CaseFilter, now: datetime
) -> list[tuple[str, str, int, int]]:
    """(type, currency, remedies, amount_minor) of the remedies done on the selected cases, void
    ones too: money paid out on a case voided afterwards was paid all the same."""
    where, params = _where(case_filter, now)
    sql = f"""SELECT r.type, r.currency, count(*), sum(r.amount_minor)
              FROM remedies AS r WHERE r.status = 'done' AND r.case_id IN (SELECT c.id{_FROM}{where})
              GROUP BY r.type, r.currency ORDER BY r.type, r.currency"""
    return [(t, cur, int(n), int(total or 0)) for t, cur, n, total in await _all(conn, sql, params)]


async def survey_scores(
    conn: aiosqlite.Connection, case_filter: CaseFilter, now: datetime
) -> tuple[dict[int, int], int]:
    """(responses per score, eligible cases: the resolved ones) over the selected cases."""
    where, params = _where(case_filter, now, "c.status != 'void'")
    scores = await _all(
        conn,
        f"""SELECT s.score, count(*) FROM surveys AS s
            WHERE s.case_id IN (SELECT c.id{_FROM}{where}) GROUP BY s.score""",
        params,
    )
    eligible_where, eligible_params = _where(
        case_filter, now, "c.status != 'void'", "c.resolved_at IS NOT NULL"
    )
    eligible = await _all(conn, f"SELECT count(*){_FROM}{eligible_where}", eligible_params)
    return {int(score): int(count) for score, count in scores}, int(eligible[0][0])


async def department_counts(
    conn: aiosqlite.Connection, case_filter: CaseFilter, now: datetime
) -> tuple[dict[str, int], dict[str, int]]:
    """(cases per responsible department, cases per jointly responsible department)."""
    result: list[dict[str, int]] = []
    for column in ("c.responsible_department", "c.joint_department"):
        where, params = _where(case_filter, now, "c.status != 'void'", f"{column} IS NOT NULL")
        rows = await _all(conn, f"SELECT {column}, count(*){_FROM}{where} GROUP BY 1", params)
        result.append({str(name): int(count) for name, count in rows})
    return result[0], result[1]


def _shipped_where(
    period_from: datetime | None, period_to: datetime | None, carrier: str | None
) -> tuple[str, dict[str, Any]]:
    clauses = ["o.shipped_at IS NOT NULL", "o.is_test = 0"]
    params: dict[str, Any] = {}
    if period_from is not None:
        clauses.append("o.shipped_at >= :shipped_from")
        params["shipped_from"] = to_db(period_from)
    if period_to is not None:
        clauses.append("o.shipped_at < :shipped_to")
        params["shipped_to"] = to_db(period_to)
    if carrier is not None:
        clauses.append("o.carrier = :carrier")
        params["carrier"] = carrier
    return " WHERE " + " AND ".join(clauses), params


async def carrier_counts(
    conn: aiosqlite.Connection,
    period_from: datetime | None,
    period_to: datetime | None,
    carrier: str | None = None,
) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """(orders shipped per carrier, orders with a lost/damaged/delivery_delayed case per carrier
    and kind), for orders shipped in the period. A case counts whenever it was opened."""
    where, params = _shipped_where(period_from, period_to, carrier)
    shipped_rows = await _all(
        conn, f"SELECT o.carrier, count(*) FROM orders AS o{where} GROUP BY o.carrier", params
    )
    problem_rows = await _all(
        conn,
        f"""SELECT o.carrier, c.kind, count(DISTINCT o.id)
            FROM orders AS o JOIN cases AS c ON c.order_id = o.id{where}
              AND c.kind IN ('lost', 'damaged', 'delivery_delayed') AND c.status != 'void'
            GROUP BY o.carrier, c.kind""",
        params,
    )
    shipped = {str(name): int(count) for name, count in shipped_rows}
    problems: dict[str, dict[str, int]] = {}
    for name, kind, count in problem_rows:
        problems.setdefault(str(name), {})[str(kind)] = int(count)
    return shipped, problems


# --- export rows -----------------------------------------------------------------------------

# first_response_met and resolution_met are worked out from these columns by the export
# (domain.reports.met_column): in SQL the two CASE expressions cost a quarter of the fetch.
CASE_ROWS_SQL = """
SELECT c.ref, c.kind, c.level, c.urgent, c.status, c.tier, c.title, c.assignee, c.department,
       c.responsible_party, c.responsible_department, c.joint_department, c.root_cause,
       o.number AS order_number, o.carrier AS carrier, o.tracking_number AS tracking_number,
       o.total_minor AS order_total, o.currency AS order_currency,
       c.customer_name, c.customer_email, c.customer_phone, c.source, c.opened_by,
       c.opened_at, c.first_response_at, c.first_response_due_at,
       c.resolved_at, c.resolution_due_at, c.closed_at,
       c.description, c.resolution
"""

EVENT_ROWS_SQL = """
SELECT c.ref AS case_ref, e.id AS event_id, e.at, e.actor, e.type, e.data
FROM case_events AS e JOIN cases AS c ON c.id = e.case_id LEFT JOIN orders AS o ON o.id = c.order_id
"""

REMEDY_ROWS_SQL = """
SELECT c.ref AS case_ref, r.id AS remedy_id, r.type, r.amount_minor AS amount, r.currency,
       r.status, r.note, r.proposed_by, r.proposed_at, r.decided_by, r.decided_at, r.done_at
FROM remedies AS r JOIN cases AS c ON c.id = r.case_id LEFT JOIN orders AS o ON o.id = c.order_id
"""

_ROW_QUERIES: dict[str, tuple[str, str, str]] = {
    # kind: (select, from, order)
    "cases": (CASE_ROWS_SQL, _FROM, " ORDER BY c.id"),
    "events": (EVENT_ROWS_SQL, "", " ORDER BY c.id, e.id"),
    "remedies": (REMEDY_ROWS_SQL, "", " ORDER BY c.id, r.id"),
}
_ROW_COUNTS: dict[str, str] = {
    "cases": "SELECT count(*)" + _FROM,
    "events": """SELECT count(*) FROM case_events AS e JOIN cases AS c ON c.id = e.case_id
                 LEFT JOIN orders AS o ON o.id = c.order_id""",
    "remedies": """SELECT count(*) FROM remedies AS r JOIN cases AS c ON c.id = r.case_id
                   LEFT JOIN orders AS o ON o.id = c.order_id""",
}
ROW_KINDS: tuple[str, ...] = tuple(_ROW_QUERIES)


def row_query(kind: str, case_filter: CaseFilter, now: datetime,
              sort: str | None = None) -> tuple[str, dict[str, Any]]:
    """The SELECT of `kind`'s rows; cases in a queue sort (`SORTS`: the order on screen) when
    `sort` is given, else by id."""
    select, from_, order = _ROW_QUERIES[kind]
    if sort is not None and kind == "cases":
        order = SORTS[sort]
    where, params = filter_sql(case_filter, now)
    return select + from_ + where + order, params


async def count_rows(store: Store, kind: str, case_filter: CaseFilter, now: datetime) -> int:
    where, params = filter_sql(case_filter, now)
    async with report_connection(store) as conn:
        rows = await _all(conn, _ROW_COUNTS[kind] + where, params)
    return int(rows[0][0])


@contextlib.asynccontextmanager
async def report_connection(store: Store) -> AsyncIterator[aiosqlite.Connection]:
    """A read-only connection of its own for long reads (a summary over a whole store, an export),
    so they never queue the desk's reads on the shared reader."""
    conn = await _connect(store.path, readonly=True)
    conn.row_factory = None
    await conn.execute(f"PRAGMA cache_size = -{EXPORT_CACHE_KIB}")
    try:
        yield conn
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def export_connection(store: Store) -> AsyncIterator[aiosqlite.Connection]:
    """`report_connection` reading text as UTF-8 bytes (csvsafe.render_chunk works on them as
    they are: no decoding here, no encoding after)."""
    async with report_connection(store) as conn:
        conn.text_factory = bytes
        yield conn


async def stream_rows(
    store: Store,
    kind: str,
    case_filter: CaseFilter,
    now: datetime,
    *,
    chunk_rows: int = CHUNK_ROWS,
    sort: str | None = None,
) -> AsyncIterator[list[tuple]]:
    """The export rows of `kind` ("cases", "events", "remedies") in chunks of `chunk_rows`.

    No fetch runs ahead while the caller renders a chunk: sqlite3 releases the GIL for every row
    it steps, and a thread that must win the GIL back from a busy renderer waits out the switch
    interval each time, which is far slower than taking turns.
    """
    sql, params = row_query(kind, case_filter, now, sort)
    async with export_connection(store) as conn, conn.execute(sql, params) as cursor:
        while rows := await cursor.fetchmany(chunk_rows):
            yield rows


async def row_columns(store: Store, kind: str) -> list[str]:
    """The names the SELECT of `kind` gives its columns (for the column-order test)."""
    sql, params = row_query(kind, CaseFilter(), datetime.fromisoformat("2000-01-01T00:00:00+00:00"))
    async with store.reader.execute(sql + " LIMIT 0", params) as cursor:
        return [description[0] for description in cursor.description]
