"""SQL for detection: orders due for a check, the facts a check reads, stock levels, live
detected cases."""

from __future__ import annotations

from datetime import datetime, timedelta

import aiosqlite

from shopdesk.domain.cases import Case, Order, OrderEvent
from shopdesk.domain.detection import BuyerOrder, is_ended, items_key
from shopdesk.store.cases import CASE_SELECT, case_from_row
from shopdesk.store.codec import from_db, json_dumps, json_loads, to_db
from shopdesk.store.orders import order_from_row


async def due_orders(
    conn: aiosqlite.Connection, now: datetime, *, after: tuple[str, int] | None, limit: int
) -> list[tuple[str, int]]:
    """(check time, id) of orders whose next check time has come, in that order, from after
    `after` (a walk in pages: each page one range of the orders_check index)."""
    at, last_id = after if after is not None else ("", 0)
    async with conn.execute(
        """SELECT check_at, id FROM orders
           WHERE check_at IS NOT NULL AND check_at <= :now AND (check_at, id) > (:at, :id)
           ORDER BY check_at, id LIMIT :limit""",
        {"now": to_db(now), "at": at, "id": last_id, "limit": limit},
    ) as cursor:
        return [(row[0], row[1]) for row in await cursor.fetchall()]


async def count_due(conn: aiosqlite.Connection, now: datetime) -> int:
    async with conn.execute(
        "SELECT count(*) FROM orders WHERE check_at IS NOT NULL AND check_at <= :now",
        {"now": to_db(now)},
    ) as cursor:
        return (await cursor.fetchone())[0]


async def orders_by_ids(conn: aiosqlite.Connection, order_ids: list[int]) -> list[Order]:
    async with conn.execute(
        "SELECT o.* FROM json_each(:ids) AS k CROSS JOIN orders AS o ON o.id = k.value",
        {"ids": json_dumps(order_ids)},
    ) as cursor:
        return [order_from_row(row) for row in await cursor.fetchall()]


async def buyer_orders_of(
    conn: aiosqlite.Connection, orders: list[Order], window: timedelta
) -> dict[int, list[BuyerOrder]]:
    """For each order (with a placed time and a phone or email), the same buyer's other orders
    placed within `window` of it: by the same phone (as stored) or the same email. One query for
    the batch; an order with neither phone nor email is never grouped (the caller leaves it out)."""
    wanted = [[order.id, order.customer.phone.strip(), order.customer.email.strip(),
               to_db(order.placed_at - window), to_db(order.placed_at + window)]
              for order in orders if order.placed_at is not None]
    if not wanted:
        return {}
    async with conn.execute(
        """SELECT k.value ->> 0 AS of_order, o.* FROM json_each(:wanted) AS k
           CROSS JOIN orders AS o
             ON o.customer_phone = k.value ->> 1 AND k.value ->> 1 != ''
           WHERE o.id != k.value ->> 0 AND o.placed_at BETWEEN k.value ->> 3 AND k.value ->> 4
           UNION
           SELECT k.value ->> 0 AS of_order, o.* FROM json_each(:wanted) AS k
           CROSS JOIN orders AS o
             ON o.customer_email = k.value ->> 2 AND k.value ->> 2 != ''
           WHERE o.id != k.value ->> 0 AND o.placed_at BETWEEN k.value ->> 3 AND k.value ->> 4""",
        {"wanted": json_dumps(wanted)},
    ) as cursor:
        rows = await cursor.fetchall()
    found: dict[int, list[BuyerOrder]] = {}
    for row in rows:
        other = order_from_row(row)
        found.setdefault(row["of_order"], []).append(BuyerOrder(
            id=other.id or 0, number=other.number or other.external_id,
            placed_at=other.placed_at, paid=other.paid_at is not None or other.paid_minor > 0,
            ended=is_ended(other), items_key=items_key(other)))
    for others in found.values():
        others.sort(key=lambda other: (other.placed_at, other.id))  # placed: in the window
    return found


async def set_check_at(
    conn: aiosqlite.Connection, checks: list[tuple[int, datetime | None, str | None]]
) -> None:
    """(order id, next check, the check time read before the check): a check time changed
    meanwhile (a new snapshot made the order due again) is left as it is."""
    await conn.executemany(
        "UPDATE orders SET check_at = :next WHERE id = :id AND check_at IS :seen",
        [{"id": order_id, "next": to_db(next_at), "seen": seen}
         for order_id, next_at, seen in checks],
    )


async def check_times(conn: aiosqlite.Connection, order_ids: list[int]) -> dict[int, str | None]:
    async with conn.execute(
        """SELECT o.id, o.check_at FROM json_each(:ids) AS k
           CROSS JOIN orders AS o ON o.id = k.value""",
        {"ids": json_dumps(order_ids)},
    ) as cursor:
        return {row[0]: row[1] for row in await cursor.fetchall()}


async def mark_due(conn: aiosqlite.Connection, order_ids: list[int], now: datetime) -> None:
    await conn.executemany(
        "UPDATE orders SET check_at = :now WHERE id = :id",
        [{"id": order_id, "now": to_db(now)} for order_id in order_ids],
    )


async def clear_checks(conn: aiosqlite.Connection) -> None:
    """No order due for a check (the demo's story orders: their cases are written by hand)."""
    await conn.execute("UPDATE orders SET check_at = NULL WHERE check_at IS NOT NULL")


async def open_orders_with_skus(conn: aiosqlite.Connection, skus: list[str]) -> list[int]:
    """Orders not shipped, delivered or ended that have a line of one of `skus` (a stock report
    may make them short). A scan of the orders not yet shipped: stock reports are rare."""
    async with conn.execute(
        """SELECT DISTINCT o.id FROM orders AS o, json_each(o.items) AS item
           WHERE o.shipped_at IS NULL AND o.delivered_at IS NULL AND o.tracking_number = ''
             AND lower(o.status) NOT IN ('cancelled', 'canceled', 'refunded', 'failed', 'trash',
                                         'voided', 'void')
             AND item.value ->> 'sku' IN (SELECT value FROM json_each(:skus))""",
        {"skus": json_dumps(skus)},
    ) as cursor:
        return [row[0] for row in await cursor.fetchall()]


async def events_of_orders(
    conn: aiosqlite.Connection, order_ids: list[int]
) -> dict[int, list[OrderEvent]]:
    async with conn.execute(
        """SELECT e.* FROM json_each(:ids) AS k CROSS JOIN order_events AS e
           ON e.order_id = k.value ORDER BY e.order_id, e.at, e.id""",
        {"ids": json_dumps(order_ids)},
    ) as cursor:
        rows = await cursor.fetchall()
    events: dict[int, list[OrderEvent]] = {}
    for row in rows:
        events.setdefault(row["order_id"], []).append(OrderEvent(
            id=row["id"], order_id=row["order_id"], type=row["type"], at=from_db(row["at"]),
            data=json_loads(row["data"], {})))
    return events


async def stock_levels(conn: aiosqlite.Connection, skus: list[str]) -> dict[str, int]:
    if not skus:
        return {}
    async with conn.execute(
        """SELECT s.sku, s.quantity FROM json_each(:skus) AS k
           CROSS JOIN stock AS s ON s.sku = k.value""",
        {"skus": json_dumps(skus)},
    ) as cursor:
        return {row[0]: row[1] for row in await cursor.fetchall()}


async def stock_changed_after(conn: aiosqlite.Connection, after: str) -> tuple[list[str], str]:
    """(SKUs whose stock was reported after `after`, the newest report time) — `after` as stored."""
    async with conn.execute(
        "SELECT sku, updated_at FROM stock WHERE updated_at > :after", {"after": after}
    ) as cursor:
        rows = await cursor.fetchall()
    return [row[0] for row in rows], max((row[1] for row in rows), default=after)


async def upsert_stock(
    conn: aiosqlite.Connection, levels: dict[str, int], *, source: str, at: datetime
) -> None:
    await conn.executemany(
        """INSERT INTO stock (sku, quantity, source, updated_at) VALUES (:sku, :quantity, :source, :at)
           ON CONFLICT (sku) DO UPDATE SET quantity = excluded.quantity, source = excluded.source,
                                           updated_at = excluded.updated_at""",
        [{"sku": sku, "quantity": quantity, "source": source, "at": to_db(at)}
         for sku, quantity in levels.items()],
    )


async def live_cases_of(conn: aiosqlite.Connection, subjects: list[str]) -> list[Case]:
    """Detected cases not closed or voided whose subject is one of `subjects`."""
    async with conn.execute(
        CASE_SELECT + """
        WHERE c.rule_subject IN (SELECT value FROM json_each(:subjects)) AND c.rule IS NOT NULL
          AND c.status NOT IN ('closed', 'void')""",
        {"subjects": json_dumps(subjects)},
    ) as cursor:
        return [case_from_row(row) for row in await cursor.fetchall()]


async def live_case(conn: aiosqlite.Connection, rule: str, subject: str) -> Case | None:
    cases = [case for case in await live_cases_of(conn, [subject]) if case.rule == rule]
    return cases[0] if cases else None


async def live_counts_by_rule(conn: aiosqlite.Connection) -> dict[str, tuple[int, int]]:
    """rule -> (live detected cases, of which cleared)."""
    async with conn.execute(
        """SELECT rule, count(*), count(cleared_at) FROM cases
           WHERE rule IS NOT NULL AND status NOT IN ('closed', 'void') GROUP BY rule"""
    ) as cursor:
        return {row[0]: (row[1], row[2]) for row in await cursor.fetchall()}


async def event_actors(conn: aiosqlite.Connection, case_id: int) -> set[str]:
    async with conn.execute(
        "SELECT DISTINCT actor FROM case_events WHERE case_id = :id", {"id": case_id}
    ) as cursor:
        return {row[0] for row in await cursor.fetchall()}
