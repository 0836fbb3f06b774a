"""SQL for order snapshots and order events."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

import aiosqlite
import msgspec

from shopdesk.domain.cases import Customer, Order, OrderEvent, OrderItem
from shopdesk.store.codec import from_db, json_dumps, json_loads, to_db

_ORDER_TIMES = (
    "placed_at", "paid_at", "shipped_at", "delivered_at", "last_tracking_at", "ship_by", "deliver_by",
)


def order_from_row(row: sqlite3.Row) -> Order:
    return Order(
        id=row["id"],
        source=row["source"],
        external_id=row["external_id"],
        number=row["number"],
        customer=Customer(
            name=row["customer_name"], email=row["customer_email"], phone=row["customer_phone"]
        ),
        address=row["address"],
        items=msgspec.convert(json_loads(row["items"], []), list[OrderItem]),
        total_minor=row["total_minor"],
        paid_minor=row["paid_minor"],
        currency=row["currency"],
        status=row["status"],
        carrier=row["carrier"],
        tracking_number=row["tracking_number"],
        tags=json_loads(row["tags"], []),
        note=row["note"],
        is_test=bool(row["is_test"]),
        updated_at=from_db(row["updated_at"]),
        changed_at=from_db(row["changed_at"]),
        **{name: from_db(row[name]) for name in _ORDER_TIMES},
    )


def _order_params(order: Order, at: datetime) -> dict[str, Any]:
    return {
        "source": order.source,
        "external_id": order.external_id,
        "number": order.number,
        "customer_name": order.customer.name,
        "customer_email": order.customer.email,
        "customer_phone": order.customer.phone,
        "address": order.address,
        "items": json_dumps(order.items),
        "total_minor": order.total_minor,
        "paid_minor": order.paid_minor,
        "currency": order.currency,
        "status": order.status,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "tags": json_dumps(order.tags),
        "note": order.note,
        "is_test": int(order.is_test),
        "updated_at": to_db(at),
        "check_at": to_db(at),  # every new snapshot is due for detection (services/detection.py)
        "changed_at": to_db(order.changed_at),
        **{name: to_db(getattr(order, name)) for name in _ORDER_TIMES},
    }


async def upsert_order(conn: aiosqlite.Connection, order: Order, at: datetime) -> int:
    """Insert or replace the snapshot of (source, external_id); returns the order's id."""
    params = _order_params(order, at)
    names = ", ".join(params)
    values = ", ".join(f":{name}" for name in params)
    updates = ", ".join(
        f"{name} = excluded.{name}" for name in params if name not in ("source", "external_id")
    )
    async with conn.execute(
        f"""INSERT INTO orders ({names}) VALUES ({values})
            ON CONFLICT (source, external_id) DO UPDATE SET {updates}
            RETURNING id""",
        params,
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0])


async def get_order(conn: aiosqlite.Connection, order_id: int) -> Order | None:
    async with conn.execute("SELECT * FROM orders WHERE id = :id", {"id": order_id}) as cursor:
        row = await cursor.fetchone()
    return order_from_row(row) if row else None


async def find_order(conn: aiosqlite.Connection, source: str, external_id: str) -> Order | None:
    async with conn.execute(
        "SELECT * FROM orders WHERE source = :source AND external_id = :external_id",
        {"source": source, "external_id": external_id},
    ) as cursor:
        row = await cursor.fetchone()
    return order_from_row(row) if row else None


async def find_orders_by_number(
    conn: aiosqlite.Connection, number: str, *, limit: int = 10
) -> list[Order]:
    """Orders whose number is `number` as a customer says it ("10036" finds "#10036"), or whose
    platform id it is; newest first."""
    bare = number.strip().removeprefix("#")
    async with conn.execute(
        """SELECT * FROM orders WHERE number IN (:bare, :hashed) OR external_id = :bare
           ORDER BY updated_at DESC, id DESC LIMIT :limit""",
        {"bare": bare, "hashed": "#" + bare, "limit": limit},
    ) as cursor:
        rows = await cursor.fetchall()
    return [order_from_row(row) for row in rows]


async def insert_order_event(
    conn: aiosqlite.Connection,
    order_id: int,
    *,
    type: str,
    at: datetime,
    data: dict[str, Any],
    delivery_id: int | None = None,
) -> int:
    cursor = await conn.execute(
        """INSERT INTO order_events (order_id, type, at, delivery_id, data)
           VALUES (:order_id, :type, :at, :delivery_id, :data)""",
        {"order_id": order_id, "type": type, "at": to_db(at), "delivery_id": delivery_id,
         "data": json_dumps(data)},
    )
    return cursor.lastrowid


async def list_order_events(conn: aiosqlite.Connection, order_id: int) -> list[OrderEvent]:
    async with conn.execute(
        "SELECT * FROM order_events WHERE order_id = :order_id ORDER BY at, id",
        {"order_id": order_id},
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        OrderEvent(id=row["id"], order_id=row["order_id"], type=row["type"],
                   at=from_db(row["at"]), data=json_loads(row["data"], {}))
        for row in rows
    ]


async def platform_refunded(conn: aiosqlite.Connection, order_id: int) -> dict[str, int]:
    """What the shop's platform reported refunded on the order (its `refunded` events with an
    amount, e.g. Shopify's refunds/create), by currency (upper case), in minor units."""
    async with conn.execute(
        """SELECT upper(data ->> '$.currency') AS currency,
                  sum(CAST(data ->> '$.amount_minor' AS INTEGER)) AS refunded
           FROM order_events
           WHERE order_id = :order_id AND type = 'refunded'
             AND data ->> '$.amount_minor' IS NOT NULL AND coalesce(data ->> '$.currency', '') <> ''
           GROUP BY 1""",
        {"order_id": order_id},
    ) as cursor:
        rows = await cursor.fetchall()
    return {row["currency"]: int(row["refunded"]) for row in rows}


async def only_demo_orders(conn: aiosqlite.Connection) -> bool:
    """Whether the store holds orders and every one came from `shopdesk demo`."""
    async with conn.execute(
        "SELECT count(*), coalesce(sum(source = 'demo'), 0) FROM orders"
    ) as cursor:
        total, demo = await cursor.fetchone()
    return total > 0 and total == demo
