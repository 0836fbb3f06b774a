"""Cases opened by hand: a customer phoned, mailed or chatted, and an operator records it.

The TUI's `N` form and `shopdesk cases open` both call `open_by_hand`, which takes what an operator
types (text fields) and calls `services.cases.open` like the case API does. The order is named by
its number as the customer says it ("#10036", "10036"): an order shopdesk follows is linked (its
customer too, unless one was typed); a number shopdesk has not heard of is stored as a manual order
carrying just that number, so the case is still found by it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shopdesk.domain import kinds
from shopdesk.domain.cases import Actor, Case, Customer, Order
from shopdesk.domain.errors import ValidationError
from shopdesk.store import orders as order_rows

if TYPE_CHECKING:
    from shopdesk.services import Services

TITLE_MAX = 200
NUMBER_MAX = 64


def parse_level(text: str | int) -> int:
    """1, 2, 3 or L1..L3."""
    value = str(text).strip().upper().removeprefix("L")
    if value not in ("1", "2", "3"):
        raise ValidationError(f"level must be 1, 2 or 3, not {str(text).strip()!r}", field="level")
    return int(value)


async def order_by_number(services: Services, number: str) -> Order | None:
    """The one order shopdesk follows with this number; None when it knows none. Two orders with
    the number (from two shops) are refused: the operator names the platform id instead."""
    found = await order_rows.find_orders_by_number(services.store.reader, number, limit=5)
    if len(found) > 1:
        sources = ", ".join(sorted({f"{order.source} {order.external_id}" for order in found}))
        raise ValidationError(
            f"order {number} is ambiguous: it matches {len(found)} orders ({sources}); "
            "type the platform order id instead",
            field="order_number",
        )
    return found[0] if found else None


async def open_by_hand(
    services: Services,
    actor: Actor,
    *,
    kind: str,
    title: str,
    level: str | int = 1,
    urgent: bool = False,
    description: str = "",
    customer_name: str = "",
    customer_phone: str = "",
    order_number: str = "",
) -> Case:
    """Open a case from what an operator typed; refusals name the field at fault."""
    kind = kind.strip().lower()
    if not kind:
        raise ValidationError("a kind is required", field="kind")
    kinds.check_kind(kind)
    level_number = parse_level(level)
    title = " ".join(title.split())
    if not title:
        raise ValidationError("a title is required: what the customer reports", field="title")
    if len(title) > TITLE_MAX:
        raise ValidationError(f"the title is {len(title)} characters; at most {TITLE_MAX}",
                              field="title")
    customer_name = " ".join(customer_name.split())
    customer_phone = customer_phone.strip()
    if customer_phone and not any(char.isdigit() for char in customer_phone):
        raise ValidationError(f"{customer_phone!r} is not a phone number", field="customer_phone")
    number = order_number.strip()
    if len(number) > NUMBER_MAX or any(char.isspace() for char in number):
        raise ValidationError(f"{number!r} is not an order number", field="order_number")
    customer = (Customer(name=customer_name, phone=customer_phone)
                if customer_name or customer_phone else None)
    order_id = None
    order = None
    if number and number.removeprefix("#"):
        known = await order_by_number(services, number)
        if known is not None:
            order_id = known.id
            same_person = not customer_name or customer_name == known.customer.name
            if customer is not None and same_person:  # what was typed, the rest from the order
                customer = Customer(name=customer_name or known.customer.name,
                                    phone=customer_phone or known.customer.phone,
                                    email=known.customer.email)
        else:
            order = Order(source="manual", external_id=number.removeprefix("#"),
                          number=number if number.startswith("#") else f"#{number}",
                          customer=customer or Customer(), currency=services.settings.currency)
    case, _ = await services.cases.open(
        actor, kind=kind, level=level_number, urgent=urgent, title=title,
        description=description.strip(), order_id=order_id, order=order, customer=customer,
        source="manual", data={"by_hand": True},
    )
    return case
