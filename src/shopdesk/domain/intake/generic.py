"""shopdesk's own webhook format (docs/webhooks.md): an order snapshot, an event type and an
optional exception report. Amounts are decimal strings in major units ("29.90")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, get_args

import msgspec

from shopdesk.domain.cases import Customer, Order, OrderItem
from shopdesk.domain.decode_errors import describe_pattern
from shopdesk.domain.intake.mapping import (
    ALLOWED_BY_FIELD,
    EventIn,
    Mapped,
    ReportIn,
    UnmappableError,
    DECODE_ERRORS,
    decode_error,
    utc,
)
from shopdesk.domain.intake.money import to_minor
from shopdesk.domain.intake.signatures import body_hash
from shopdesk.domain.plain_text import plain_copy

# A decimal string in major units, "29.90" (never a JSON number: no float on the way). At most the
# currency's decimals: "1.5" JPY is refused, naming the field.
AMOUNT_PATTERN = r"^[0-9]{1,13}(\.[0-9]{1,2})?$"
ID_PATTERN = r"\S"
CURRENCY_PATTERN = "^[A-Za-z]{3}$"
describe_pattern(AMOUNT_PATTERN, 'a decimal string like "29.90" (at most 13 digits and 2 decimals)')
describe_pattern(ID_PATTERN, "text that is not blank")
describe_pattern(CURRENCY_PATTERN, 'a 3-letter currency code like "CNY"')

# A time with its UTC offset ("2026-11-23T10:00:00+08:00"): a time without one is refused (400
# naming the field) rather than guessed at — the shop's clock and UTC are hours apart.
When = Annotated[datetime, msgspec.Meta(tz=True)]

Amount = Annotated[str, msgspec.Meta(
    pattern=AMOUNT_PATTERN,
    extra_json_schema={"description": 'A decimal string in major units, e.g. "29.90"'},
)]


class GenericItem(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str
    quantity: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 1
    sku: str = ""
    price: Amount = "0"


class GenericCustomer(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str = ""
    email: str = ""
    phone: str = ""


class GenericOrder(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=ID_PATTERN)]
    """The shop's id of the order (text: Shopify's ids exceed 2^53)."""
    number: str = ""
    customer: GenericCustomer = msgspec.field(default_factory=GenericCustomer)
    address: str = ""
    items: list[GenericItem] = msgspec.field(default_factory=list)
    total: Amount = "0"
    paid: Amount = "0"
    currency: Annotated[str, msgspec.Meta(pattern=CURRENCY_PATTERN)] = "CNY"
    """ISO 4217 code; decides how many decimals an amount may have (JPY none, CNY two)."""
    status: str = ""
    carrier: str = ""
    tracking_number: str = ""
    placed_at: When | None = None
    paid_at: When | None = None
    shipped_at: When | None = None
    delivered_at: When | None = None
    last_tracking_at: When | None = None
    ship_by: When | None = None
    deliver_by: When | None = None
    tags: list[str] = msgspec.field(default_factory=list)
    note: str = ""
    """The buyer's note ("加急" or "urgent" in it makes the order urgent)."""


EventType = Literal[
    "created", "paid", "shipped", "tracking_update", "delivered", "cancelled",
    "refund_requested", "refunded", "updated", "stock",
]
# A stock report: SKU -> quantity on hand (detection's out_of_stock rule reads it).
StockLevels = dict[
    Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=ID_PATTERN)],
    Annotated[int, msgspec.Meta(ge=-1_000_000_000, le=1_000_000_000)],
]


EVENT_TYPES: tuple[str, ...] = get_args(EventType)


class GenericEvent(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    type: EventType
    order: GenericOrder | None = None
    """Required for every type but "stock"."""
    stock: StockLevels | None = None
    """Type "stock" only: SKU -> quantity on hand, e.g. {"TEE-BLK-M": 0}."""
    id: str | None = None
    """The sender's id for this event: a resend with the same id is a replay."""
    occurred_at: When | None = None
    data: dict[str, object] = msgspec.field(default_factory=dict)
    report: ReportIn | None = None


_decoder = msgspec.json.Decoder(GenericEvent)


def decode(body: bytes) -> GenericEvent:
    try:
        return _decoder.decode(body)
    except DECODE_ERRORS as error:
        raise decode_error(error, "invalid event") from None


def same_event(stored_body: bytes, body: bytes) -> bool:
    """Whether two bodies state the same event (however the JSON is spelled: key order, spaces,
    an offset written otherwise): a resend of one id with another event is not a replay."""
    if stored_body == body:
        return True
    try:
        return decode(stored_body) == decode(body)
    except UnmappableError:
        return False


def to_order(source: str, raw: GenericOrder) -> Order:
    """The shopdesk order of a generic one, its text plain (domain.plain_text)."""
    currency = raw.currency.upper()
    items = [
        OrderItem(name=item.name, quantity=item.quantity, sku=item.sku,
                  price_minor=to_minor(item.price, currency, field=f"$.order.items[{index}].price"))
        for index, item in enumerate(raw.items)
    ]
    return plain_copy(Order(
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
        note=raw.note,
    ))


def map_event(source: str, body: bytes) -> Mapped:
    """Raises UnmappableError (a ValidationError naming the path) when the body is not an event."""
    event = decode(body)
    key = f"event:{event.id}" if event.id else f"body:{body_hash(body)}"
    if event.type == "stock":
        if not event.stock:
            raise UnmappableError("a stock event needs `stock`: SKU -> quantity on hand, e.g. "
                                  '{"TEE-BLK-M": 0}', field="$.stock")
        if event.order is not None or event.report is not None:
            raise UnmappableError("a stock event carries `stock` only, no `order` or `report`",
                                  field="$.order" if event.order is not None else "$.report")
        return Mapped(topic="stock", dedupe_key=key, stock={sku.strip(): quantity for sku, quantity
                                                            in event.stock.items()},
                      at=utc(event.occurred_at))
    if event.order is None:
        raise UnmappableError("required field `order` is missing - at `$.order`", field="$.order")
    if event.stock is not None:
        raise UnmappableError('`stock` belongs to an event of type "stock" only', field="$.stock")
    try:
        order = to_order(source, event.order)
    except UnmappableError:
        raise
    except Exception as error:  # ValidationError from money: re-raise as unmappable
        raise UnmappableError(str(error), field=getattr(error, "field", None)) from None
    return plain_copy(Mapped(
        topic=event.type,
        dedupe_key=key,
        order=order,
        events=[EventIn(type=event.type, at=utc(event.occurred_at), data=dict(event.data))],
        report=event.report,
        report_key=key,
        at=utc(event.occurred_at),
    ))


ALLOWED_BY_FIELD["type"] = EVENT_TYPES
