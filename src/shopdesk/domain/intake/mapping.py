"""What a mapped delivery is, whichever platform sent it, and the pure steps shared by all.

Each platform module (generic, woocommerce, shopify) turns (headers, raw body) into a `Mapped`, or
raises `UnmappableError` naming what it could not read. The intake service then stores it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec

from shopdesk.domain.cases import Order
from shopdesk.domain.decode_errors import explain, not_utf8_reason
from shopdesk.domain.errors import ShopdeskError, ValidationError
from shopdesk.domain.kinds import KINDS


class UnmappableError(ValidationError):
    """A (correctly signed) body that cannot be read as an order event."""


class EventIn(msgspec.Struct, kw_only=True):
    """An order event to append: created, paid, shipped, …"""

    type: str
    at: datetime | None = None
    data: dict[str, Any] = msgspec.field(default_factory=dict)


Kind = Literal[KINDS]  # type: ignore[valid-type]
Level = Annotated[int, msgspec.Meta(ge=1, le=3, description="1 low, 2 medium, 3 high")]


class ReportIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An exception report (异常上报) from a plugin: opens a case."""

    kind: Kind
    level: Level = 1
    urgent: bool = False
    title: str = ""
    description: str = ""
    evidence: list[str] = msgspec.field(default_factory=list)


class OrderPatch(msgspec.Struct, kw_only=True):
    """Some fields of an order known by its external id (a fulfilment, a refund, a deletion)."""

    external_id: str
    values: dict[str, Any] = msgspec.field(default_factory=dict)


class Mapped(msgspec.Struct, kw_only=True):
    topic: str
    dedupe_key: str
    order: Order | None = None
    """A full snapshot; events are derived from how it differs from the stored one."""
    patch: OrderPatch | None = None
    events: list[EventIn] = msgspec.field(default_factory=list)
    """Events the sender stated; when empty, derived from the snapshot change."""
    report: ReportIn | None = None
    report_key: str | None = None
    """Dedupes the case a report opens (the sender's event id, else the delivery's key)."""
    is_test: bool = False
    at: datetime | None = None
    """When the change happened at the shop, if the payload says."""
    stock: dict[str, int] | None = None
    """A stock report (SKU -> quantity on hand) instead of an order change."""


def is_late(previous: Order | None, at: datetime | None) -> bool:
    """Whether a delivery the shop sent about its order at `at` is older than the stored snapshot
    (webhooks arrive out of order: retries, queues, a burst). Untimed ones are never late."""
    return (previous is not None and previous.changed_at is not None and at is not None
            and at < previous.changed_at)


def settle_order(
    previous: Order | None, source: str, mapped: Mapped
) -> tuple[Order, list[EventIn]]:
    """The snapshot to store for a mapped delivery, given the stored one, and its order events.

    The newest state wins: a full snapshot older than the stored one (`is_late`) changes nothing
    of it — status, carrier, tracking, dates stay as the newer delivery left them — and adds only
    the events the sender stated (facts with their own times), none derived from the difference
    (that would be the order going backwards). A late patch fills only the fields the stored
    snapshot lacks. The stored snapshot's time moves forward only."""
    at = mapped.at
    late = is_late(previous, at)
    if mapped.order is not None:
        if late:
            assert previous is not None
            return previous, list(mapped.events)
        kept_time = previous.changed_at if previous is not None else None
        order = msgspec.structs.replace(mapped.order, changed_at=at or kept_time)
        return order, mapped.events or derive_events(previous, order)
    assert mapped.patch is not None
    return apply_patch(previous, source, mapped.patch, at=at), list(mapped.events)


def apply_patch(previous: Order | None, source: str, patch: OrderPatch,
                at: datetime | None = None) -> Order:
    """The stored snapshot with the patch's values, or a minimal snapshot when none is stored. A
    patch older than the stored snapshot (`at` before its time) fills only empty fields."""
    base = previous or Order(source=source, external_id=patch.external_id)
    values = dict(patch.values)
    if is_late(base, at):
        values = {name: value for name, value in values.items()
                  if name == "tags" or getattr(base, name) in (None, "", 0, [])}
    elif at is not None:
        values["changed_at"] = at
    if "tags" in values:
        values["tags"] = sorted({*base.tags, *values["tags"]})
    return msgspec.structs.replace(base, **values)


def derive_events(previous: Order | None, current: Order) -> list[EventIn]:
    """Order events implied by a new snapshot: what changed since the stored one."""
    events: list[EventIn] = []
    if previous is None:
        events.append(EventIn(type="created", at=current.placed_at))

    def newly(name: str) -> bool:
        return getattr(current, name) is not None and (
            previous is None or getattr(previous, name) is None
        )

    if newly("paid_at"):
        events.append(EventIn(type="paid", at=current.paid_at,
                              data={"paid_minor": current.paid_minor}))
    if current.tracking_number and (previous is None
                                    or previous.tracking_number != current.tracking_number):
        events.append(EventIn(type="shipped" if previous is None or not previous.tracking_number
                              else "tracking_update",
                              at=current.shipped_at or current.last_tracking_at,
                              data={"carrier": current.carrier,
                                    "tracking_number": current.tracking_number}))
    elif newly("shipped_at"):
        events.append(EventIn(type="shipped", at=current.shipped_at))
    if newly("delivered_at"):
        events.append(EventIn(type="delivered", at=current.delivered_at))
    if (previous is not None and current.status != previous.status
            and current.status in ("cancelled", "refunded")
            and not any(event.type == current.status for event in events)):
        events.append(EventIn(type=current.status))
    if previous is not None and not events:
        events.append(EventIn(type="updated", data={"status": current.status}))
    return events


def utc(moment: datetime | None) -> datetime | None:
    """An aware datetime in UTC; a naive one is taken as UTC (WooCommerce's *_gmt fields)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# What msgspec raises for a body it cannot read: UnicodeDecodeError too up to msgspec 0.22 (a JSON
# string that is not UTF-8; 0.23 says it with a DecodeError).
DECODE_ERRORS = (msgspec.DecodeError, UnicodeDecodeError)


def decode_error(error: ValueError, what: str) -> UnmappableError:
    """msgspec's message in words (`decode_errors.explain`), which names the path, as an
    UnmappableError; a bad enum value also lists the values allowed there."""
    reason = not_utf8_reason(error)
    if reason is not None:
        return UnmappableError(f"{what}: the body is not valid UTF-8 ({reason})", field="body")
    text, field = explain(str(error))
    if field is None:  # the whole body: of the wrong type at its root ("$"), or not JSON
        field = "$" if text.startswith("Expected") else "body"
    if text.startswith("Invalid enum value") and field:
        allowed = ALLOWED_BY_FIELD.get(field.rsplit(".", 1)[-1])
        if allowed:
            text = f"{text}; expected one of: {', '.join(allowed)}"
    return UnmappableError(f"{what}: {text}", field=field)


ALLOWED_BY_FIELD: dict[str, tuple[str, ...]] = {"kind": KINDS}


class WrongContentType(ShopdeskError):
    """A webhook body that is not JSON (HTTP 415)."""
