"""SQL for webhook deliveries (the raw record of every POST a source made) and the order writes
they carry, in batches."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime

import aiosqlite
import msgspec

from shopdesk.domain.cases import Order
from shopdesk.domain.intake.mapping import EventIn
from shopdesk.domain.intake.records import Delivery
from shopdesk.store.codec import from_db, json_dumps, json_loads, to_db
from shopdesk.store.orders import _order_params as order_params
from shopdesk.store.orders import order_from_row


async def insert_delivery(
    conn: aiosqlite.Connection,
    *,
    source_id: int,
    dedupe_key: str,
    received_at: datetime,
    topic: str,
    status: str,
    error: str,
    headers: dict[str, str],
    body: bytes,
) -> int | None:
    """The new delivery's id, or None when (source, dedupe_key) was delivered before."""
    async with conn.execute(
        """INSERT INTO deliveries
               (source_id, dedupe_key, received_at, topic, status, error, headers, body)
           VALUES (:source_id, :dedupe_key, :received_at, :topic, :status, :error, :headers, :body)
           ON CONFLICT (source_id, dedupe_key) DO NOTHING
           RETURNING id""",
        {"source_id": source_id, "dedupe_key": dedupe_key, "received_at": to_db(received_at),
         "topic": topic, "status": status, "error": error, "headers": json_dumps(headers),
         "body": body},
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else None


async def set_delivery_order(conn: aiosqlite.Connection, delivery_id: int, order_id: int) -> None:
    await conn.execute(
        "UPDATE deliveries SET order_id = :order_id WHERE id = :id",
        {"order_id": order_id, "id": delivery_id},
    )


async def find_delivery(
    conn: aiosqlite.Connection, source_id: int, dedupe_key: str
) -> Delivery | None:
    async with conn.execute(
        f"""{_SELECT} WHERE d.source_id = :source_id AND d.dedupe_key = :dedupe_key""",
        {"source_id": source_id, "dedupe_key": dedupe_key},
    ) as cursor:
        row = await cursor.fetchone()
    return _delivery(row) if row else None


async def list_deliveries(
    conn: aiosqlite.Connection, *, status: str | None = None, source: str | None = None,
    limit: int = 100,
) -> list[Delivery]:
    """Newest first."""
    async with conn.execute(
        f"""{_SELECT}
            WHERE (:status IS NULL OR d.status = :status) AND (:source IS NULL OR s.name = :source)
            ORDER BY d.received_at DESC, d.id DESC LIMIT :limit""",
        {"status": status, "source": source, "limit": limit},
    ) as cursor:
        rows = await cursor.fetchall()
    return [_delivery(row) for row in rows]


async def count_deliveries_by_status(conn: aiosqlite.Connection, status: str) -> int:
    async with conn.execute(
        "SELECT count(*) FROM deliveries WHERE status = :status", {"status": status}
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0])


_SELECT = """SELECT d.*, s.name AS source_name FROM deliveries AS d
             JOIN sources AS s ON s.id = d.source_id"""


def _delivery(row: sqlite3.Row) -> Delivery:
    return Delivery(
        id=row["id"], source=row["source_name"], dedupe_key=row["dedupe_key"],
        received_at=from_db(row["received_at"]), topic=row["topic"], status=row["status"],
        error=row["error"], headers=json_loads(row["headers"], {}), body=bytes(row["body"]),
        order_id=row["order_id"],
    )


# --- batch writes: intake's group commit ------------------------------------------------------
#
# A batch of deliveries is written by one function that runs on the connection's own thread
# (aiosqlite's queue), so a batch of any size costs one hop between the event loop and that
# thread instead of one per statement. It runs inside the caller's `store.transaction()`.
# Keys travel as one JSON parameter read with json_each (CROSS JOIN keeps json_each outermost, so
# each key is one unique-index lookup); the SQL text never depends on the number of rows.


class DeliveryIn(msgspec.Struct, kw_only=True):
    source_id: int
    source: str
    dedupe_key: str
    received_at: datetime
    topic: str
    status: str
    error: str
    headers: dict[str, str]
    body: bytes
    order_external_id: str | None = None
    """The order this delivery updates (planned by the caller), or None."""


class Stored(msgspec.Struct, kw_only=True):
    delivery_id: int
    order_id: int | None
    duplicate: bool
    order: Order | None = None


# plan(index of the delivery, stored snapshot or None) -> (new snapshot, events to append)
Planner = Callable[[int, "Order | None"], "tuple[Order, list[EventIn]]"]


async def store_deliveries(
    conn: aiosqlite.Connection, deliveries: list[DeliveryIn], plan: Planner
) -> list[Stored]:
    """Store new deliveries with their order snapshots and events; replays are reported, not
    stored. Call inside `store.transaction()`."""
    return await conn._execute(_store_deliveries, conn._conn, deliveries, plan)


_FIND_DELIVERIES = """
SELECT d.id, d.source_id, d.dedupe_key, d.order_id
FROM json_each(:keys) AS k
CROSS JOIN deliveries AS d ON d.source_id = k.value ->> 0 AND d.dedupe_key = k.value ->> 1
"""
_FIND_ORDERS = """
SELECT DISTINCT o.* FROM json_each(:keys) AS k
CROSS JOIN orders AS o ON o.source = k.value ->> 0 AND o.external_id = k.value ->> 1
"""
_INSERT_DELIVERY = """
INSERT INTO deliveries (source_id, dedupe_key, received_at, topic, status, error, headers, body)
VALUES (:source_id, :dedupe_key, :received_at, :topic, :status, :error, :headers, :body)
"""
_INSERT_EVENT = """
INSERT INTO order_events (order_id, type, at, delivery_id, data)
VALUES (:order_id, :type, :at, :delivery_id, :data)
"""
_SET_ORDER = "UPDATE deliveries SET order_id = :order_id WHERE id = :id"


def _found(db: sqlite3.Connection, keys: list[tuple[int, str]]) -> dict[tuple[int, str], tuple]:
    rows = db.execute(_FIND_DELIVERIES, {"keys": json_dumps(keys)}).fetchall()
    return {(row["source_id"], row["dedupe_key"]): (row["id"], row["order_id"]) for row in rows}


def _store_deliveries(
    db: sqlite3.Connection, deliveries: list[DeliveryIn], plan: Planner
) -> list[Stored]:
    keys = [(delivery.source_id, delivery.dedupe_key) for delivery in deliveries]
    earlier = _found(db, keys)
    fresh: list[int] = []
    seen = set(earlier)
    for index, key in enumerate(keys):
        if key not in seen:
            seen.add(key)
            fresh.append(index)
    order_keys = sorted({(deliveries[i].source, deliveries[i].order_external_id)
                         for i in fresh if deliveries[i].order_external_id is not None})
    snapshots: dict[tuple[str, str], Order] = {}
    if order_keys:
        rows = db.execute(_FIND_ORDERS, {"keys": json_dumps(order_keys)}).fetchall()
        snapshots = {(row["source"], row["external_id"]): order_from_row(row) for row in rows}
    planned: dict[int, tuple[Order, list[EventIn]]] = {}
    for index in fresh:  # in arrival order: a later delivery builds on an earlier one
        delivery = deliveries[index]
        if delivery.order_external_id is None:
            continue
        key = (delivery.source, delivery.order_external_id)
        order, events = plan(index, snapshots.get(key))
        snapshots[key] = order
        planned[index] = (order, events)
    db.executemany(_INSERT_DELIVERY, [
        {"source_id": d.source_id, "dedupe_key": d.dedupe_key, "received_at": to_db(d.received_at),
         "topic": d.topic, "status": d.status, "error": d.error,
         "headers": json_dumps(d.headers), "body": d.body}
        for d in (deliveries[i] for i in fresh)
    ])
    delivery_ids = _found(db, [keys[i] for i in fresh]) if fresh else {}
    order_ids: dict[tuple[str, str], int] = {}
    if planned:
        params = [order_params(order, deliveries[i].received_at) for i, (order, _) in planned.items()]
        names = list(params[0])
        updates = ", ".join(f"{name} = excluded.{name}" for name in names
                            if name not in ("source", "external_id"))
        db.executemany(
            f"""INSERT INTO orders ({", ".join(names)})
                VALUES ({", ".join(f":{name}" for name in names)})
                ON CONFLICT (source, external_id) DO UPDATE SET {updates}""",
            params,
        )
        rows = db.execute(_FIND_ORDERS.replace("DISTINCT o.*", "DISTINCT o.id, o.source, o.external_id"),
                          {"keys": json_dumps(sorted({(deliveries[i].source, order.external_id)
                                                      for i, (order, _) in planned.items()}))}
                          ).fetchall()
        order_ids = {(row["source"], row["external_id"]): row["id"] for row in rows}
    event_rows, links = [], []
    results: dict[int, Stored] = {}
    for index in fresh:
        delivery_id = delivery_ids[keys[index]][0]
        order, order_id = None, None
        if index in planned:
            order, events = planned[index]
            order_id = order_ids[(deliveries[index].source, order.external_id)]
            links.append({"id": delivery_id, "order_id": order_id})
            event_rows += [{"order_id": order_id, "type": event.type, "at": to_db(event.at),
                            "delivery_id": delivery_id, "data": json_dumps(event.data)}
                           for event in events]
        results[index] = Stored(delivery_id=delivery_id, order_id=order_id, duplicate=False,
                                order=order)
    db.executemany(_INSERT_EVENT, event_rows)
    db.executemany(_SET_ORDER, links)
    stored: list[Stored] = []
    for index, key in enumerate(keys):
        if index in results:
            stored.append(results[index])
        elif key in earlier:
            stored.append(Stored(delivery_id=earlier[key][0], order_id=earlier[key][1],
                                 duplicate=True))
        else:  # the same delivery twice in this batch: the first one stored it
            first = next(results[i] for i in fresh if keys[i] == key)
            stored.append(Stored(delivery_id=first.delivery_id, order_id=first.order_id,
                                 duplicate=True))
    return stored
