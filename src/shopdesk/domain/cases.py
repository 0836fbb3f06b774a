"""The records the desk keeps, as msgspec Structs: cases, their timeline, orders, remedies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from shopdesk.domain.filters import CaseFilter


def case_ref(case_id: int) -> str:
    """The human reference of a case: C-000123."""
    return f"C-{case_id:06d}"


def parse_case_ref(text: str) -> str | None:
    """What an operator types for a case: C-000012, c-12, C12 or 12 -> "C-000012"; None when the
    text is not a case reference (an order number, a phone, a name …). A bare number may also be
    an order number, phone or tracking number (`is_bare_number`): only the C forms are sure."""
    number = text.strip().upper().removeprefix("C-").removeprefix("C").strip()
    if number.isascii() and number.isdigit() and 0 < len(number) <= 12 and int(number) > 0:
        return case_ref(int(number))
    return None


def is_bare_number(text: str) -> bool:
    """Whether a case ref was typed without its C: "600" (WooCommerce order numbers look alike),
    not "C-600" or "c600"."""
    stripped = text.strip()
    return stripped.isascii() and stripped.isdigit()


def incident_ref(incident_id: int) -> str:
    return f"I-{incident_id:04d}"


class Actor(msgspec.Struct, frozen=True):
    """Who does something: an operator name and the role config gives them."""

    name: str
    role: str = "operator"


class Customer(msgspec.Struct, omit_defaults=True):
    name: str = ""
    email: str = ""
    phone: str = ""


class OrderItem(msgspec.Struct, omit_defaults=True):
    name: str
    quantity: int = 1
    sku: str = ""
    price_minor: int = 0


class Order(msgspec.Struct, kw_only=True, omit_defaults=True):
    """shopdesk's snapshot of one order it heard about."""

    id: int | None = None
    source: str
    external_id: str  # text: Shopify's ids exceed 2^53
    number: str = ""
    customer: Customer = msgspec.field(default_factory=Customer)
    address: str = ""
    items: list[OrderItem] = msgspec.field(default_factory=list)
    total_minor: int = 0
    paid_minor: int = 0
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
    note: str = ""
    """The buyer's note on the order (WooCommerce customer_note, Shopify note)."""
    is_test: bool = False
    updated_at: datetime | None = None
    changed_at: datetime | None = None
    """When the shop changed the order as this snapshot has it (the newest delivery's own time:
    WooCommerce date_modified_gmt, Shopify updated_at, generic occurred_at); None if unknown."""


class OrderEvent(msgspec.Struct, kw_only=True):
    id: int | None = None
    order_id: int
    type: str  # created, paid, shipped, tracking_update, delivered, cancelled, refund_requested, refunded, updated
    at: datetime
    data: dict[str, Any] = msgspec.field(default_factory=dict)


class Case(msgspec.Struct, kw_only=True):
    id: int
    ref: str
    kind: str
    level: int
    urgent: bool
    status: str
    tier: str
    title: str
    description: str
    assignee: str | None
    department: str | None
    responsible_party: str | None
    responsible_department: str | None
    joint_department: str | None
    root_cause: str
    evidence: list[str]
    order_id: int | None
    customer: Customer
    source: str  # manual | api | detection | demo
    opened_by: str
    opened_at: datetime
    first_response_at: datetime | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    due_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    reopened_at: datetime | None = None  # the last reopen: the resolution clock runs from here
    resolution: str
    version: int
    updated_at: datetime
    updated_by: str
    rule: str | None = None
    """The detection rule that opened the case (None: opened by a person or a report)."""
    rule_subject: str | None = None
    """What the rule found it on: "order:<id>" or "buyer:phone:<digits>" / "buyer:email:<…>"."""
    rule_evidence: str = ""
    """What the rule compared when it opened the case: "unpaid 3h 2m > 30m"."""
    cleared_at: datetime | None = None
    """When the rule's condition stopped holding (the payment arrived), while still worked on."""
    # Joined from the order, for the queue (not columns of cases):
    order_number: str = ""
    carrier: str = ""
    tracking_number: str = ""


class CaseEvent(msgspec.Struct, kw_only=True):
    """One line of the append-only timeline (异常处理档案)."""

    id: int
    case_id: int
    at: datetime
    actor: str
    type: str
    data: dict[str, Any]


class Remedy(msgspec.Struct, kw_only=True):
    id: int
    case_id: int
    type: str
    amount_minor: int
    currency: str
    status: str
    note: str
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    done_at: datetime | None


class Contact(msgspec.Struct, kw_only=True):
    id: int
    case_id: int
    at: datetime
    actor: str
    channel: str
    direction: str
    template: str | None
    summary: str
    next_follow_up_at: datetime | None


class Survey(msgspec.Struct, kw_only=True):
    case_id: int
    score: int
    comment: str
    at: datetime
    actor: str
    answered_by: str = "operator"  # "customer": the customer's own answer (with a survey token)


class Incident(msgspec.Struct, kw_only=True):
    id: int
    ref: str
    title: str
    type: str
    level: int
    status: str  # active | stable | closed
    started_at: datetime
    ended_at: datetime | None  # closed at
    owner: str
    description: str
    review_cause: str
    review_impact: str
    review_changes: str  # the lessons: what changes
    stable_at: datetime | None = None
    case_filter: CaseFilter | None = None
    """New cases matching this join the incident as they arrive, while it is active."""


class CaseDetail(msgspec.Struct, kw_only=True):
    """Everything the case screen and `cases show` present."""

    case: Case
    order: Order | None
    events: list[CaseEvent]
    remedies: list[Remedy]
    contacts: list[Contact]
    survey: Survey | None
    incidents: list[Incident]
