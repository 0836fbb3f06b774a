"""WooCommerce webhooks: the REST API v3 order as the body, topic in X-WC-Webhook-Topic.

Topics order.created|updated|restored carry the whole order; order.deleted carries {"id": N}.
Money fields are decimal strings ("29.35") except line_items[].price, a JSON number (decoded to
Decimal, never float); names of line items come HTML-escaped ("&ndash;") and are unescaped.
Dates: the *_gmt fields, naive UTC. X-WC-Webhook-Delivery-ID repeats within
one second, so deliveries are deduplicated on resource id + date_modified_gmt + a body hash.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs

import msgspec

from shopdesk.domain.cases import Customer, Order, OrderItem
from shopdesk.domain.intake.mapping import (
    EventIn,
    Mapped,
    OrderPatch,
    UnmappableError,
    DECODE_ERRORS,
    decode_error,
    utc,
)
from shopdesk.domain.intake.money import exponent, to_minor
from shopdesk.domain.intake.names import full_name
from shopdesk.domain.intake.signatures import body_hash
from shopdesk.domain.plain_text import plain_copy

TOPICS: tuple[str, ...] = ("order.created", "order.updated", "order.deleted", "order.restored")

# WooCommerce order statuses -> shopdesk's words for a snapshot's status.
STATUS = {
    "pending": "pending", "processing": "paid", "on-hold": "on_hold", "completed": "shipped",
    "cancelled": "cancelled", "refunded": "refunded", "failed": "failed", "trash": "deleted",
    "checkout-draft": "draft",
}


class WooAddress(msgspec.Struct, kw_only=True):
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    address_1: str = ""
    address_2: str = ""
    city: str = ""
    state: str = ""
    postcode: str = ""
    country: str = ""
    email: str | None = None
    phone: str | None = None


class WooMeta(msgspec.Struct, kw_only=True):
    key: str
    value: Any = None
    id: int | None = None


class WooLineItem(msgspec.Struct, kw_only=True):
    id: int | None = None
    name: str = ""
    quantity: Decimal = Decimal(1)
    sku: str | None = ""
    price: Decimal | None = None
    subtotal: str = "0"
    total: str = "0"


class WooShippingLine(msgspec.Struct, kw_only=True):
    method_id: str = ""
    method_title: str = ""
    total: str = "0"


class WooOrder(msgspec.Struct, kw_only=True):
    id: int
    number: str = ""
    status: str = ""
    currency: str = ""
    total: str = "0"
    date_created_gmt: datetime | None = None
    date_modified_gmt: datetime | None = None
    date_paid_gmt: datetime | None = None
    date_completed_gmt: datetime | None = None
    billing: WooAddress = msgspec.field(default_factory=WooAddress)
    shipping: WooAddress = msgspec.field(default_factory=WooAddress)
    line_items: list[WooLineItem] = msgspec.field(default_factory=list)
    shipping_lines: list[WooShippingLine] = msgspec.field(default_factory=list)
    meta_data: list[WooMeta] = msgspec.field(default_factory=list)
    customer_note: str = ""


class WooDeleted(msgspec.Struct, kw_only=True):
    id: int


_order_decoder = msgspec.json.Decoder(WooOrder)
_deleted_decoder = msgspec.json.Decoder(WooDeleted)


def is_ping(content_type: str, body: bytes) -> bool:
    """WooCommerce's unsigned ping when a webhook is saved: a form post `webhook_id=N`."""
    if "application/x-www-form-urlencoded" not in content_type or len(body) > 200:
        return False
    try:
        fields = parse_qs(body.decode("ascii"), strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return False
    return list(fields) == ["webhook_id"] and fields["webhook_id"][0].isdigit()


def _address(address: WooAddress) -> str:
    name = full_name(address.first_name, address.last_name)
    parts = (name, address.company, address.address_1, address.address_2, address.city,
             address.state, address.postcode, address.country)
    return ", ".join(part for part in parts if part)


def _meta(order: WooOrder, key: str) -> Any:
    for meta in order.meta_data:
        if meta.key == key:
            return meta.value
    return None


def _tracking(order: WooOrder) -> tuple[str, str, datetime | None]:
    """(carrier, tracking number, shipped at) from the Shipment Tracking extension's meta."""
    items = _meta(order, "_wc_shipment_tracking_items")
    if isinstance(items, list) and items and isinstance(items[-1], dict):
        last = items[-1]
        carrier = str(last.get("custom_tracking_provider") or last.get("tracking_provider") or "")
        shipped = last.get("date_shipped")
        shipped_at = None
        if isinstance(shipped, (int, str)) and str(shipped).isdigit():
            shipped_at = datetime.fromtimestamp(int(shipped), UTC)
        return carrier, str(last.get("tracking_number") or ""), shipped_at
    return "", "", None


def _meta_time(order: WooOrder, key: str) -> datetime | None:
    value = _meta(order, key)
    if not isinstance(value, str) or not value:
        return None
    try:
        return utc(datetime.fromisoformat(value))
    except ValueError:
        raise UnmappableError(f"meta_data {key}: {value!r} is not an ISO date",
                              field="$.meta_data") from None


def to_order(source: str, raw: WooOrder) -> Order:
    currency = (raw.currency or "").upper()
    if len(currency) != 3:
        raise UnmappableError(f"currency {raw.currency!r} is not an ISO code", field="$.currency")
    items: list[OrderItem] = []
    for index, line in enumerate(raw.line_items):
        quantity = int(line.quantity) if line.quantity == line.quantity.to_integral_value() else 1
        items.append(OrderItem(
            name=html.unescape(line.name),  # WooCommerce sends "Tee &ndash; Black"
            quantity=quantity, sku=line.sku or "",
            price_minor=_unit_price_minor(line, quantity, currency, f"$.line_items[{index}].price"),
        ))
    carrier, tracking_number, shipped_at = _tracking(raw)
    if shipped_at is None and raw.status == "completed":
        shipped_at = utc(raw.date_completed_gmt)
    total_minor = to_minor(raw.total, currency, field="$.total")
    paid_at = utc(raw.date_paid_gmt)
    shipping = raw.shipping if raw.shipping.address_1 or raw.shipping.city else raw.billing
    tags = [f"shipping:{line.method_id}" for line in raw.shipping_lines if line.method_id]
    return Order(
        source=source, external_id=str(raw.id), number=raw.number or str(raw.id),
        customer=Customer(
            name=full_name(raw.billing.first_name, raw.billing.last_name),
            email=raw.billing.email or "", phone=raw.billing.phone or shipping.phone or "",
        ),
        address=_address(shipping), items=items, total_minor=total_minor,
        paid_minor=total_minor if paid_at is not None else 0, currency=currency,
        status=STATUS.get(raw.status, raw.status), carrier=carrier,
        tracking_number=tracking_number, placed_at=utc(raw.date_created_gmt), paid_at=paid_at,
        shipped_at=shipped_at, ship_by=_meta_time(raw, "_shopdesk_ship_by"),
        deliver_by=_meta_time(raw, "_shopdesk_deliver_by"), tags=tags,
        note=raw.customer_note,
    )


def _unit_price_minor(line: WooLineItem, quantity: int, currency: str, field: str) -> int:
    """line_items[].price is computed by WooCommerce (subtotal / quantity) and may carry more
    decimals than the currency: round it half-up to the currency's minor unit."""
    try:
        if line.price is not None:
            price = Decimal(str(line.price))
        else:
            price = Decimal(line.subtotal or "0") / max(quantity, 1)
        unit = Decimal(1).scaleb(-exponent(currency))
        return to_minor(price.quantize(unit, rounding=ROUND_HALF_UP), currency, field=field)
    except InvalidOperation:
        raise UnmappableError(f"{field}: {line.price!r} is not an amount", field=field) from None


def map_delivery(source: str, topic: str, body: bytes) -> Mapped:
    """Raises UnmappableError naming what it could not read. The text in it is plain (no control
    characters, also none spelled as HTML entities: domain.plain_text)."""
    return plain_copy(_map_delivery(source, topic, body))


def _map_delivery(source: str, topic: str, body: bytes) -> Mapped:
    digest = body_hash(body)
    if topic not in TOPICS:
        raise UnmappableError(
            f"unsupported topic {topic!r}; shopdesk takes {', '.join(TOPICS)}",
            field="X-WC-Webhook-Topic",
        )
    if topic == "order.deleted":
        try:
            deleted = _deleted_decoder.decode(body)
        except DECODE_ERRORS as error:
            raise decode_error(error, "order.deleted body") from None
        return Mapped(
            topic=topic, dedupe_key=f"wc:{deleted.id}:deleted:{digest}",
            patch=OrderPatch(external_id=str(deleted.id), values={"status": "deleted"}),
            events=[EventIn(type="cancelled", data={"deleted": True})],
        )
    try:
        raw = _order_decoder.decode(body)
    except DECODE_ERRORS as error:
        raise decode_error(error, "WooCommerce order") from None
    try:
        order = to_order(source, raw)
    except UnmappableError:
        raise
    except Exception as error:
        raise UnmappableError(str(error), field=getattr(error, "field", None)) from None
    modified = raw.date_modified_gmt.isoformat() if raw.date_modified_gmt else ""
    return Mapped(
        topic=topic, dedupe_key=f"wc:{raw.id}:{modified}:{digest}", order=order,
        at=utc(raw.date_modified_gmt),
    )
