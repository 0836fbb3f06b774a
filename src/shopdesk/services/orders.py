"""Orders: shopdesk's snapshots of the orders it hears about, and their events.

Intake (webhooks) and the demo both write orders through here, so the store stays the only place
with SQL and every write publishes a Change after its transaction commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from shopdesk.domain.cases import Order, OrderEvent
from shopdesk.domain.errors import NotFoundError, ValidationError
from shopdesk.services.changes import Change
from shopdesk.store import orders as order_rows

if TYPE_CHECKING:
    from shopdesk.services import Services

ORDER_EVENT_TYPES: tuple[str, ...] = (
    "created", "paid", "shipped", "tracking_update", "delivered", "cancelled",
    "refund_requested", "refunded", "updated",
)


def _check_order(order: Order) -> None:
    if not order.source.strip():
        raise ValidationError("an order needs a source", field="source")
    if not order.external_id.strip():
        raise ValidationError("an order needs an external id", field="external_id")
    if order.total_minor < 0 or order.paid_minor < 0:
        raise ValidationError("order amounts cannot be negative", field="total_minor")


class OrderService:
    def __init__(self, services: Services) -> None:
        self._services = services

    async def upsert(self, order: Order, *, at: datetime | None = None) -> int:
        """Insert or replace the snapshot of (source, external_id); returns the order's id."""
        _check_order(order)
        async with self._services.store.transaction() as conn:
            order_id = await order_rows.upsert_order(conn, order, at or self._services.now())
        self._services.changes.publish(Change(what="order", ref=order.number or order.external_id))
        return order_id

    async def record_order(self, order: Order, *, at: datetime | None = None) -> Order:
        """Upsert and return the stored snapshot (with its id)."""
        return await self.get(await self.upsert(order, at=at))

    async def add_event(
        self, order_id: int, type: str, *, at: datetime | None = None,
        data: dict[str, Any] | None = None,
    ) -> int:
        """Append one event (created, paid, shipped, …) to an order's history."""
        if type not in ORDER_EVENT_TYPES:
            raise ValidationError(
                f"unknown order event {type!r}; expected one of: {', '.join(ORDER_EVENT_TYPES)}",
                field="type",
            )
        async with self._services.store.transaction() as conn:
            if await order_rows.get_order(conn, order_id) is None:
                raise NotFoundError(f"no order {order_id}", field="order_id")
            event_id = await order_rows.insert_order_event(
                conn, order_id, type=type, at=at or self._services.now(), data=dict(data or {})
            )
        self._services.changes.publish(Change(what="order", ref=str(order_id)))
        return event_id

    async def get(self, order_id: int) -> Order:
        order = await order_rows.get_order(self._services.store.reader, order_id)
        if order is None:
            raise NotFoundError(f"no order {order_id}", field="order_id")
        return order

    async def find(self, source: str, external_id: str) -> Order | None:
        return await order_rows.find_order(self._services.store.reader, source, external_id)

    async def events(self, order_id: int) -> list[OrderEvent]:
        return await order_rows.list_order_events(self._services.store.reader, order_id)
