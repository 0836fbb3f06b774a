"""Shopify webhooks: topic in X-Shopify-Topic, delivery id in X-Shopify-Webhook-Id.

orders/* carry the order (ids are integers beyond 2^53: msgspec decodes them exactly and shopdesk
keeps them as text); fulfillments/* carry a fulfilment and refunds/create a refund, both naming
their order by `order_id`. `"test": true` marks Shopify's "send test notification".
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

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
from shopdesk.domain.intake.money import to_minor
from shopdesk.domain.intake.names import full_name
from shopdesk.domain.plain_text import plain_copy

ORDER_TOPICS = ("orders/create", "orders/updated", "orders/paid", "orders/cancelled",
                "orders/fulfilled")
FULFILLMENT_TOPICS = ("fulfillments/create", "fulfillments/update")
REFUND_TOPICS = ("refunds/create",)
TOPICS: tuple[str, ...] = (*ORDER_TOPICS, *FULFILLMENT_TOPICS, *REFUND_TOPICS)


class ShopifyAddress(msgspec.Struct, kw_only=True):
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province: str | None = None
    zip: str | None = None
    country: str | None = None
    phone: str | None = None


class ShopifyCustomer(msgspec.Struct, kw_only=True):
    id: int | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None


class ShopifyLineItem(msgspec.Struct, kw_only=True):
    id: int | None = None
    name: str | None = None
    title: str | None = None
    quantity: int = 1
    sku: str | None = None
    price: Decimal = Decimal(0)


class ShopifyFulfillment(msgspec.Struct, kw_only=True):
    id: int
    order_id: int | None = None
    status: str | None = None
    shipment_status: str | None = None
    tracking_company: str | None = None
    tracking_number: str | None = None
    tracking_numbers: list[str] = msgspec.field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None


class ShopifyOrder(msgspec.Struct, kw_only=True):
    id: int
    name: str | None = None
    order_number: int | None = None
    email: str | None = None
    phone: str | None = None
    currency: str | None = None
    total_price: Decimal = Decimal(0)
    financial_status: str | None = None
    fulfillment_status: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    processed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    tags: str = ""
    note: str | None = None
    """The buyer's note at checkout."""
    test: bool = False
    customer: ShopifyCustomer | None = None
    shipping_address: ShopifyAddress | None = None
    billing_address: ShopifyAddress | None = None
    line_items: list[ShopifyLineItem] = msgspec.field(default_factory=list)
    fulfillments: list[ShopifyFulfillment] = msgspec.field(default_factory=list)


class ShopifyTransaction(msgspec.Struct, kw_only=True):
    amount: Decimal = Decimal(0)
    kind: str | None = None
    status: str | None = None
    currency: str | None = None


class ShopifyRefund(msgspec.Struct, kw_only=True):
    id: int
    order_id: int
    created_at: datetime | None = None
    note: str | None = None
    transactions: list[ShopifyTransaction] = msgspec.field(default_factory=list)


_order_decoder = msgspec.json.Decoder(ShopifyOrder)
_fulfillment_decoder = msgspec.json.Decoder(ShopifyFulfillment)
_refund_decoder = msgspec.json.Decoder(ShopifyRefund)


def _status(order: ShopifyOrder) -> str:
    if order.cancelled_at is not None:
        return "cancelled"
    if order.financial_status in ("refunded",):
        return "refunded"
    if order.fulfillment_status == "fulfilled":
        return "shipped"
    if order.financial_status in ("paid", "partially_refunded"):
        return "paid"
    return order.financial_status or "pending"


def _address(address: ShopifyAddress | None) -> str:
    if address is None:
        return ""
    name = address.name or full_name(address.first_name, address.last_name)
    parts = (name, address.company, address.address1, address.address2, address.city,
             address.province, address.zip, address.country)
    return ", ".join(part for part in parts if part)


def to_order(source: str, raw: ShopifyOrder) -> Order:
    currency = (raw.currency or "").upper()
    if len(currency) != 3:
        raise UnmappableError(f"currency {raw.currency!r} is not an ISO code", field="$.currency")
    customer = raw.customer or ShopifyCustomer()
    name = full_name(customer.first_name, customer.last_name)
    if not name and raw.shipping_address is not None:
        name = raw.shipping_address.name or ""
    items = [
        OrderItem(name=line.name or line.title or "", quantity=line.quantity, sku=line.sku or "",
                  price_minor=to_minor(line.price, currency, field=f"$.line_items[{i}].price"))
        for i, line in enumerate(raw.line_items)
    ]
    total_minor = to_minor(raw.total_price, currency, field="$.total_price")
    paid = raw.financial_status in ("paid", "partially_refunded", "refunded")
    shipment = raw.fulfillments[-1] if raw.fulfillments else None
    delivered = shipment is not None and shipment.shipment_status == "delivered"
    return Order(
        source=source, external_id=str(raw.id),
        number=raw.name or (str(raw.order_number) if raw.order_number else str(raw.id)),
        customer=Customer(name=name, email=raw.email or customer.email or "",
                          phone=raw.phone or customer.phone or (
                              raw.shipping_address.phone if raw.shipping_address else None) or ""),
        address=_address(raw.shipping_address or raw.billing_address), items=items,
        total_minor=total_minor, paid_minor=total_minor if paid else 0, currency=currency,
        status=_status(raw),
        carrier=(shipment.tracking_company or "") if shipment else "",
        tracking_number=_tracking_number(shipment) if shipment else "",
        placed_at=utc(raw.created_at),
        paid_at=utc(raw.processed_at or raw.created_at) if paid else None,
        shipped_at=utc(shipment.created_at) if shipment else None,
        delivered_at=utc(shipment.updated_at) if delivered and shipment else None,
        tags=[tag.strip() for tag in raw.tags.split(",") if tag.strip()],
        note=raw.note or "",
        is_test=raw.test,
    )


def _tracking_number(shipment: ShopifyFulfillment) -> str:
    return shipment.tracking_number or (shipment.tracking_numbers[0]
                                        if shipment.tracking_numbers else "")


def map_delivery(source: str, topic: str, webhook_id: str | None, body: bytes,
                 body_digest: str) -> Mapped:
    """Raises UnmappableError naming what it could not read. The text in it is plain (no control
    characters: domain.plain_text)."""
    return plain_copy(_map_delivery(source, topic, webhook_id, body, body_digest))


def _map_delivery(source: str, topic: str, webhook_id: str | None, body: bytes,
                  body_digest: str) -> Mapped:
    key = f"shopify:{webhook_id}" if webhook_id else f"body:{body_digest}"
    if topic not in TOPICS:
        raise UnmappableError(
            f"unsupported topic {topic!r}; shopdesk takes {', '.join(TOPICS)}",
            field="X-Shopify-Topic",
        )
    try:
        if topic in ORDER_TOPICS:
            raw = _order_decoder.decode(body)
            order = to_order(source, raw)
            return Mapped(topic=topic, dedupe_key=key, order=order, is_test=raw.test,
                          at=utc(raw.updated_at))
        if topic in FULFILLMENT_TOPICS:
            shipment = _fulfillment_decoder.decode(body)
            if shipment.order_id is None:
                raise UnmappableError("a fulfillment without order_id", field="$.order_id")
            delivered = shipment.shipment_status == "delivered"
            values = {"carrier": shipment.tracking_company or "",
                      "tracking_number": _tracking_number(shipment),
                      "shipped_at": utc(shipment.created_at),
                      "last_tracking_at": utc(shipment.updated_at or shipment.created_at),
                      "status": "delivered" if delivered else "shipped"}
            if delivered:
                values["delivered_at"] = utc(shipment.updated_at)
            event = ("shipped" if topic == "fulfillments/create" else
                     "delivered" if delivered else "tracking_update")
            return Mapped(
                topic=topic, dedupe_key=key,
                patch=OrderPatch(external_id=str(shipment.order_id), values=values),
                at=utc(shipment.updated_at or shipment.created_at),
                events=[EventIn(type=event, at=utc(shipment.updated_at or shipment.created_at),
                                data={"carrier": values["carrier"],
                                      "tracking_number": values["tracking_number"],
                                      "shipment_status": shipment.shipment_status or ""})],
            )
        refund = _refund_decoder.decode(body)
        amounts = [t for t in refund.transactions if t.kind == "refund" and t.status != "failure"]
        currency = (amounts[0].currency or "") if amounts else ""
        total = sum((t.amount for t in amounts), Decimal(0))
        return Mapped(
            topic=topic, dedupe_key=key,
            patch=OrderPatch(external_id=str(refund.order_id)),
            events=[EventIn(type="refunded", at=utc(refund.created_at), data={
                "refund_id": str(refund.id), "note": refund.note or "",
                "amount_minor": to_minor(total, currency or "XXX", field="$.transactions"),
                "currency": currency,
            })],
        )
    except DECODE_ERRORS as error:
        raise decode_error(error, f"Shopify {topic} body") from None
    except UnmappableError:
        raise
    except Exception as error:  # a ValidationError from amounts
        raise UnmappableError(str(error), field=getattr(error, "field", None)) from None
