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


async def delivery_body(conn: aiosqlite.Connection, delivery_id: int) -> bytes | None:
    async with conn.execute(
        "SELECT body FROM deliveries WHERE id = :id", {"id": delivery_id}
    ) as cursor:
        row = await cursor.fetchone()
    return bytes(row[0]) if row else None


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
# A batch of deliveries is written by one plain function that runs, with its BEGIN and COMMIT, on
# the writer connection's own thread (Store.group_writer): no round trip between the event loop
# and that thread per statement. Keys travel as one JSON parameter read with json_each (CROSS JOIN
# keeps json_each outermost, so each key is one unique-index lookup); rows go CHUNK to an INSERT;
# the SQL texts are a few whatever the number of rows.


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
    needs_snapshot: bool = True
    """Whether the plan needs the stored snapshot (to derive events or apply a patch)."""
    stock: dict[str, int] | None = None
    """A stock report to store with the delivery (SKU -> quantity on hand)."""
    source_secret: str
    source_old_secret: str | None
    """The source's secrets as the signature was checked against them: the delivery is stored only
    if the source still exists with exactly these (another process may have removed it or changed
    its secrets since); otherwise it comes back `stale`, nothing of it written."""


class Stored(msgspec.Struct, kw_only=True):
    delivery_id: int | None
    order_id: int | None
    duplicate: bool
    order: Order | None = None
    quarantined: str = ""
    """Why the plan refused this delivery (stored in quarantine with that error), or ''."""
    stale: bool = False
    """The source vanished or its secrets changed before this delivery's transaction: not stored."""


# plan(index of the delivery, stored snapshot or None) -> (new snapshot, events to append), or a
# text saying why the delivery cannot be applied (it is then stored in quarantine with that error,
# e.g. a fulfilment for an order shopdesk never received)
Planner = Callable[[int, "Order | None"], "tuple[Order, list[EventIn]] | str"]


_CURRENT_SOURCES = """
SELECT s.id, s.secret, s.old_secret FROM json_each(:stamps) AS k
CROSS JOIN sources AS s ON s.id = k.value ->> 0 AND s.secret = k.value ->> 1
                        AND s.old_secret IS k.value ->> 2
"""
_FIND_DELIVERIES = """
SELECT json_group_array(json_array(d.id, d.source_id, d.dedupe_key, d.order_id))
FROM json_each(:keys) AS k
CROSS JOIN deliveries AS d ON d.source_id = k.value ->> 0 AND d.dedupe_key = k.value ->> 1
"""
_FIND_ORDERS = """
SELECT DISTINCT o.* FROM json_each(:keys) AS k
CROSS JOIN orders AS o ON o.source = k.value ->> 0 AND o.external_id = k.value ->> 1
"""
_FIND_ORDER_IDS = """
SELECT json_group_array(json_array(o.id, o.source, o.external_id)) FROM json_each(:keys) AS k
CROSS JOIN orders AS o ON o.source = k.value ->> 0 AND o.external_id = k.value ->> 1
"""
_INSERT_DELIVERIES = """INSERT INTO deliveries
    (source_id, dedupe_key, received_at, topic, status, error, headers, body, order_id)"""
_INSERT_EVENTS = "INSERT INTO order_events (order_id, type, at, delivery_id, data)"
_UPSERT_STOCK = """INSERT INTO stock (sku, quantity, source, updated_at)
    VALUES (:sku, :quantity, :source, :at)
    ON CONFLICT (sku) DO UPDATE SET quantity = excluded.quantity, source = excluded.source,
                                    updated_at = excluded.updated_at"""

# Rows go in INSERTs of CHUNK rows each (the rest one by one): every statement is one step, and a
# step is where the writer's thread lets go of the GIL and must wait to get it back from the loop.
# Lookups answer in one row (json_group_array) for the same reason. Few statement texts.
CHUNK = 8
_STATEMENTS: dict[tuple[str, int, int, str], str] = {}


def _insert_rows(db: sqlite3.Connection, head: str, rows: list[tuple], tail: str = "") -> None:
    """`head VALUES (…), (…) tail` for rows (tuples of one width), in order."""
    if not rows:
        return
    width = len(rows[0])
    whole = len(rows) - len(rows) % CHUNK
    for count, batch in ((CHUNK, [tuple(value for row in rows[start:start + CHUNK] for value in row)
                                  for start in range(0, whole, CHUNK)]),
                         (1, rows[whole:])):
        if not batch:
            continue
        key = (head, width, count, tail)
        statement = _STATEMENTS.get(key)
        if statement is None:
            one = f"({', '.join(['?'] * width)})"
            statement = _STATEMENTS[key] = f"{head} VALUES {', '.join([one] * count)} {tail}"
        db.executemany(statement, batch)


def _found(db: sqlite3.Connection, keys: list[tuple[int, str]]) -> dict[tuple[int, str], tuple]:
    """(source id, dedupe key) -> (delivery id, order id) of the deliveries stored."""
    found = db.execute(_FIND_DELIVERIES, {"keys": json_dumps(keys)}).fetchone()[0]
    return {(source_id, dedupe_key): (delivery_id, order_id)
            for delivery_id, source_id, dedupe_key, order_id in json_loads(found, [])}


def write_deliveries(
    db: sqlite3.Connection, deliveries: list[DeliveryIn], plan: Planner
) -> list[Stored]:
    """Store new deliveries with their order snapshots and events, inside a transaction begun on
    the writer's thread (a Store.group_writer function). Replays are reported, not stored, and so
    are deliveries whose source changed since they were verified (`stale`: checked here, one query
    for the batch's few sources); the others of the batch are stored all the same."""
    def stamp(delivery: DeliveryIn) -> tuple[int, str, str | None]:
        return (delivery.source_id, delivery.source_secret, delivery.source_old_secret)

    stamps = sorted({stamp(delivery) for delivery in deliveries}, key=repr)
    rows = db.execute(_CURRENT_SOURCES, {"stamps": json_dumps(stamps)}).fetchall()
    current = {(row[0], row[1], row[2]) for row in rows}
    live = [index for index, delivery in enumerate(deliveries) if stamp(delivery) in current]
    if len(live) == len(deliveries):
        return _store_deliveries(db, deliveries, plan)
    stored = iter(_store_deliveries(
        db, [deliveries[index] for index in live], lambda i, previous: plan(live[i], previous)
    ) if live else [])
    alive = set(live)
    return [next(stored) if index in alive
            else Stored(delivery_id=None, order_id=None, duplicate=False, stale=True)
            for index in range(len(deliveries))]


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
    # 1. Plan each new delivery's snapshot and events, in arrival order (a later delivery for the
    #    same order builds on an earlier one), from the stored snapshot where the plan needs it.
    wanted = sorted({(deliveries[i].source, deliveries[i].order_external_id) for i in fresh
                     if deliveries[i].order_external_id is not None
                     and deliveries[i].needs_snapshot})
    snapshots: dict[tuple[str, str], Order] = {}
    if wanted:
        rows = db.execute(_FIND_ORDERS, {"keys": json_dumps(wanted)}).fetchall()
        snapshots = {(row["source"], row["external_id"]): order_from_row(row) for row in rows}
    planned: dict[int, tuple[Order, list[EventIn]]] = {}
    refused: dict[int, str] = {}
    for index in fresh:
        delivery = deliveries[index]
        if delivery.order_external_id is None:
            continue
        key = (delivery.source, delivery.order_external_id)
        outcome = plan(index, snapshots.get(key))
        if isinstance(outcome, str):
            refused[index] = outcome
            continue
        snapshots[key] = outcome[0]
        planned[index] = outcome
    # 2. Order snapshots, then their ids.
    order_ids: dict[tuple[str, str], int] = {}
    if planned:
        params = [order_params(order, deliveries[i].received_at)
                  for i, (order, _) in planned.items()]
        names = list(params[0])
        updates = ", ".join(f"{name} = excluded.{name}" for name in names
                            if name not in ("source", "external_id"))
        # by position: binding 25 names a row costs more than the row's insert; in order, so a
        # later snapshot of the same order (an update of the row just inserted) wins
        _insert_rows(db, f"INSERT INTO orders ({', '.join(names)})",
                     [tuple(row.values()) for row in params],
                     f"ON CONFLICT (source, external_id) DO UPDATE SET {updates}")
        order_keys = sorted({(deliveries[i].source, order.external_id)
                             for i, (order, _) in planned.items()})
        found = db.execute(_FIND_ORDER_IDS, {"keys": json_dumps(order_keys)}).fetchone()[0]
        order_ids = {(source, external_id): order_id
                     for order_id, source, external_id in json_loads(found, [])}
    order_of = {index: order_ids[(deliveries[index].source, order.external_id)]
                for index, (order, _) in planned.items()}
    # 3. The deliveries, linked to their orders, then their ids; 4. the order events.
    _insert_rows(db, _INSERT_DELIVERIES, [
        (d.source_id, d.dedupe_key, to_db(d.received_at), d.topic,
         "quarantined" if i in refused else d.status, refused.get(i, d.error),
         json_dumps(d.headers), d.body, order_of.get(i))
        for i, d in ((i, deliveries[i]) for i in fresh)
    ])
    delivery_ids = _found(db, [keys[i] for i in fresh]) if fresh else {}
    # 5. Stock reports: the newest report of a SKU wins (in arrival order).
    db.executemany(_UPSERT_STOCK, [
        {"sku": sku, "quantity": quantity, "source": deliveries[i].source,
         "at": to_db(deliveries[i].received_at)}
        for i in fresh if deliveries[i].stock for sku, quantity in deliveries[i].stock.items()
    ])
    _insert_rows(db, _INSERT_EVENTS, [
        (order_of[index], event.type, to_db(event.at), delivery_ids[keys[index]][0],
         json_dumps(event.data))
        for index, (_, events) in planned.items() for event in events
    ])
    results = {
        index: Stored(delivery_id=delivery_ids[keys[index]][0], order_id=order_of.get(index),
                      duplicate=False, order=planned.get(index, (None,))[0],
                      quarantined=refused.get(index, ""))
        for index in fresh
    }
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
