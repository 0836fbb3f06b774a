"""shopdesk's own webhook format (docs/webhooks.md): an order snapshot, an event type and an
optional exception report. Amounts are decimal strings in major units ("29.90")."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import msgspec

from shopdesk.domain import kinds
from shopdesk.domain.cases import Customer, Order, OrderItem
from shopdesk.domain.intake.mapping import EventIn, Mapped, ReportIn, UnmappableError, utc
from shopdesk.domain.intake.money import to_minor
from shopdesk.domain.intake.signatures import body_hash

EVENT_TYPES: tuple[str, ...] = (
    "created", "paid", "shipped", "tracking_update", "delivered", "cancelled",
    "refund_requested", "refunded", "updated",
)

Amount = Decimal  # JSON string "29.90" or number 29.90, decoded without float


class GenericItem(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str
    quantity: int = 1
    sku: str = ""
    price: Amount = Decimal(0)


class GenericCustomer(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str = ""
    email: str = ""
    phone: str = ""


class GenericOrder(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: str
    number: str = ""
    customer: GenericCustomer = msgspec.field(default_factory=GenericCustomer)
    address: str = ""
    items: list[GenericItem] = msgspec.field(default_factory=list)
    total: Amount = Decimal(0)
    paid: Amount = Decimal(0)
    currency: str = "CNY"
    status: str = ""
    carrier: str = ""
    tracking_number: str = ""
    placed_at: datetime | None = None
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    last_tracking_at: datetime | None = None
    ship_by: datetime | None = None
    deliver_by: datetime | None = None
    tags: list[str] = msgspec.field(default_factory=list)


class GenericEvent(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    type: str
    order: GenericOrder
    id: str | None = None
    """The sender's id for this event: a resend with the same id is a replay."""
    occurred_at: datetime | None = None
    data: dict[str, object] = msgspec.field(default_factory=dict)
    report: ReportIn | None = None


_decoder = msgspec.json.Decoder(GenericEvent)


def decode(body: bytes) -> GenericEvent:
    try:
        event = _decoder.decode(body)
    except msgspec.DecodeError as error:
        text = str(error)
        field = text.rsplit("- at `", 1)[1].rstrip("`") if "- at `" in text else None
        raise UnmappableError(f"invalid event: {text}", field=field) from None
    if event.type not in EVENT_TYPES:
        raise UnmappableError(
            f"unknown event type {event.type!r}; expected one of: {', '.join(EVENT_TYPES)}",
            field="$.type",
        )
    if not event.order.id.strip():
        raise UnmappableError("order.id must not be empty", field="$.order.id")
    if len(event.order.currency) != 3 or not event.order.currency.isalpha():
        raise UnmappableError(
            f"order.currency must be a 3-letter ISO code, not {event.order.currency!r}",
            field="$.order.currency",
        )
    if event.report is not None:
        check_report(event.report, "$.report")
    return event


def check_report(report: ReportIn, path: str) -> None:
    """Kind and level of a report, checked before anything is stored."""
    if report.kind not in kinds.KINDS:
        raise UnmappableError(
            f"unknown kind {report.kind!r}; expected one of: {', '.join(kinds.KINDS)}",
            field=f"{path}.kind",
        )
    if report.level not in kinds.LEVELS:
        raise UnmappableError(f"level must be 1, 2 or 3, not {report.level}", field=f"{path}.level")


def to_order(source: str, raw: GenericOrder) -> Order:
    currency = raw.currency.upper()
    items = [
        OrderItem(name=item.name, quantity=item.quantity, sku=item.sku,
                  price_minor=to_minor(item.price, currency, field=f"$.order.items[{index}].price"))
        for index, item in enumerate(raw.items)
    ]
    return Order(
        source=source, external_id=raw.id.strip(), number=raw.number,
        customer=Customer(name=raw.customer.name, email=raw.customer.email,
                          phone=raw.customer.phone),
        address=raw.address, items=items,
        total_minor=to_minor(raw.total, currency, field="$.order.total"),
        paid_minor=to_minor(raw.paid, currency, field="$.order.paid"),
        currency=currency, status=raw.status, carrier=raw.carrier,
        tracking_number=raw.tracking_number,
        placed_at=utc(raw.placed_at), paid_at=utc(raw.paid_at), shipped_at=utc(raw.shipped_at),
        delivered_at=utc(raw.delivered_at), last_tracking_at=utc(raw.last_tracking_at),
        ship_by=utc(raw.ship_by), deliver_by=utc(raw.deliver_by), tags=list(raw.tags),
    )


def map_event(source: str, body: bytes) -> Mapped:
    """Raises UnmappableError (a ValidationError naming the path) when the body is not an event."""
    event = decode(body)
    try:
        order = to_order(source, event.order)
    except UnmappableError:
        raise
    except Exception as error:  # ValidationError from money: re-raise as unmappable
        raise UnmappableError(str(error), field=getattr(error, "field", None)) from None
    key = f"event:{event.id}" if event.id else f"body:{body_hash(body)}"
    return Mapped(
        topic=event.type,
        dedupe_key=key,
        order=order,
        events=[EventIn(type=event.type, at=utc(event.occurred_at), data=dict(event.data))],
        report=event.report,
        report_key=key,
        at=utc(event.occurred_at),
    )
