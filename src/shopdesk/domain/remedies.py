"""What may go back to the customer: a refund is capped by what was paid on the order (DESIGN §2
Remedies). Refunds are paid back in the order's currency.

What is already gone counts against the cap: the refunds proposed or approved on the order's cases,
and what was paid back. Paid back is the larger of the refunds marked done here and the refunds the
shop's platform reported (Shopify's refunds/create): a refund done from a case is usually made on
the platform too, and then reported by it, so the two are not added."""

from __future__ import annotations

from collections.abc import Iterable

from shopdesk.domain.cases import Order, Remedy
from shopdesk.domain.errors import ValidationError
from shopdesk.domain.money import format_minor

# Remedies that pay money back to the customer, out of what they paid on the order.
REFUNDS: frozenset[str] = frozenset({"refund_full", "refund_partial", "cashback"})
# Remedy statuses that still take (or took) money out of the order.
LIVE_STATUSES: frozenset[str] = frozenset({"proposed", "approved", "done"})


def refundable_minor(order: Order) -> int | None:
    """What was paid on the order; its total when no payment is recorded; None when neither is
    known (an order shopdesk knows only by its id)."""
    return order.paid_minor or order.total_minor or None


def check_refund(
    remedy_type: str,
    amount_minor: int,
    currency: str,
    order: Order | None,
    others: Iterable[Remedy] = (),
    platform_refunded_minor: int = 0,
) -> None:
    """Refuse a refund above what is left of the order's payment after the `others` refunds
    (proposed, approved or done) on the order's cases and the refunds the platform reported (in the
    order's currency), or in another currency than the order's."""
    if remedy_type not in REFUNDS or order is None:
        return
    limit = refundable_minor(order)
    if limit is None:
        return
    order_currency = order.currency.upper()
    if currency.upper() != order_currency:
        raise ValidationError(
            f"a refund is paid back in the order's currency {order_currency}, not {currency}",
            field="currency",
            code="refund_currency",
            params={"order_currency": order_currency, "currency": currency},
        )
    refunds = [other for other in others if other.type in REFUNDS
               and other.status in LIVE_STATUSES and other.currency.upper() == order_currency]
    done = sum(other.amount_minor for other in refunds if other.status == "done")
    pending = sum(other.amount_minor for other in refunds if other.status != "done")
    taken = max(done, platform_refunded_minor) + pending
    if taken + amount_minor <= limit:
        return
    number = order.number or order.external_id
    name = f"order {number}" if number.startswith("#") else f"order #{number}"
    if order.paid_minor:
        cap = f"{format_minor(limit, order_currency)} paid on {name}"
    else:
        cap = f"{format_minor(limit, order_currency)} total of {name} (no payment recorded)"
    asked = format_minor(amount_minor, order_currency)
    params = {
        "asked": asked,
        "cap": format_minor(limit, order_currency),
        "order": name.removeprefix("order "),
    }
    if taken:
        left = format_minor(max(limit - taken, 0), order_currency)
        raise ValidationError(
            f"the amount {asked} is more than the {left} left to refund of the {cap}; "
            f"{format_minor(taken, order_currency)} is already refunded or proposed on its cases"
            + (" (refunds the shop's platform reported included)"
               if platform_refunded_minor > done else ""),
            field="amount",
            code="refund_over_left_paid" if order.paid_minor else "refund_over_left_total",
            params={**params, "left": left, "taken": format_minor(taken, order_currency)},
        )
    raise ValidationError(
        f"the amount {asked} is more than the {cap}", field="amount",
        code="refund_over_paid" if order.paid_minor else "refund_over_total",
        params=params,
    )
