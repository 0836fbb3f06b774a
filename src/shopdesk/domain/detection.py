"""Detection rules (订单异常监测): which abnormal or urgent orders open a case by themselves.

Rules are data (`RULES`: name, the kind it opens, level, urgent or not, the thresholds it reads, a
sequence and an on/off switch — the shape of OCA's `base_exception`); `evaluate` is a pure function
of the facts about one order (its snapshot, its events, the same buyer's other recent orders, stock
levels where known, now) and the thresholds. It returns the findings that hold *now*: a rule whose
finding is absent for an order that has a live case of that rule has cleared (the payment arrived).
`next_check` says when time alone could change the answer, so the sweep reads only orders due.

No I/O here: the services layer loads the facts and applies the findings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import msgspec

from shopdesk.domain.cases import Order, OrderEvent
from shopdesk.domain.money import format_minor

# Statuses (as shops word them) of an order that is over: nothing more to detect on it.
ENDED_STATUSES: frozenset[str] = frozenset(
    {"cancelled", "canceled", "refunded", "failed", "trash", "voided", "void"}
)
_URGENT_WORDS = re.compile(r"加急|急件|urgent|asap|rush", re.IGNORECASE)
_PHONE_CHARS = re.compile(r"^\+?[0-9 ()\-.]+$")


class Thresholds(msgspec.Struct, frozen=True, kw_only=True):
    """The rules' thresholds (config `[detection]`, copied here so the domain reads no config)."""

    payment_timeout_minutes: int = 30
    payment_tolerance_minor: int = 0
    duplicate_window_minutes: int = 10
    bulk_unpaid_count: int = 3
    bulk_unpaid_window_hours: int = 24
    tracking_stall_days: int = 3
    refund_overdue_days: int = 3
    urgent_amount_minor: int = 500_000
    urgent_tags: tuple[str, ...] = ("vip", "urgent", "加急")
    lead_time_hours: int = 48


class Rule(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    kind: str
    level: int
    urgent: bool = False
    sequence: int
    enabled: bool = True
    subject: str = "order"  # "order": one case per order; "buyer": one case per buyer
    thresholds: tuple[str, ...] = ()
    """The Thresholds fields the rule reads (shown by `shopdesk rules`)."""
    title: str = ""


RULES: tuple[Rule, ...] = (
    Rule(name="payment_timeout", kind="payment_timeout", level=1, sequence=10,
         thresholds=("payment_timeout_minutes",), title="Unpaid past the payment timeout"),
    Rule(name="payment_mismatch", kind="payment_mismatch", level=2, sequence=20,
         thresholds=("payment_tolerance_minor",), title="Paid amount differs from the total"),
    Rule(name="duplicate_order", kind="duplicate_order", level=1, sequence=30,
         thresholds=("duplicate_window_minutes",), title="Same buyer and items ordered twice"),
    Rule(name="bulk_unpaid", kind="bulk_unpaid", level=2, sequence=40, subject="buyer",
         thresholds=("bulk_unpaid_count", "bulk_unpaid_window_hours"),
         title="Many unpaid orders from one buyer"),
    Rule(name="ship_delayed", kind="ship_delayed", level=2, sequence=50,
         title="Not shipped by the ship-by time"),
    Rule(name="delivery_delayed", kind="delivery_delayed", level=2, sequence=60,
         thresholds=("tracking_stall_days",), title="Late delivery or tracking stalled"),
    Rule(name="refund_issue", kind="refund_issue", level=2, sequence=70,
         thresholds=("refund_overdue_days",), title="Refund requested and not done"),
    Rule(name="address_error", kind="address_error", level=1, sequence=80,
         title="Address or phone missing or wrong"),
    Rule(name="out_of_stock", kind="out_of_stock", level=2, sequence=90,
         title="An order line the shop reported short"),
    Rule(name="urgent_order", kind="urgent_order", level=2, urgent=True, sequence=100,
         thresholds=("urgent_amount_minor", "urgent_tags", "lead_time_hours"),
         title="Urgent order"),
)
RULE_NAMES: tuple[str, ...] = tuple(rule.name for rule in RULES)


class BuyerOrder(msgspec.Struct, frozen=True, kw_only=True):
    """Another order of the same buyer (same phone or email), as the buyer rules compare them."""

    id: int
    number: str
    placed_at: datetime | None
    paid: bool
    ended: bool
    items_key: str


class Facts(msgspec.Struct, kw_only=True):
    order: Order
    events: list[OrderEvent] = msgspec.field(default_factory=list)
    buyer_orders: list[BuyerOrder] = msgspec.field(default_factory=list)
    """The buyer's other orders placed near this one (never this one)."""
    stock: dict[str, int] = msgspec.field(default_factory=dict)
    """SKU -> quantity the shop reported on hand, for this order's SKUs that have a report."""
    now: datetime


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    rule: str
    kind: str
    level: int
    urgent: bool
    subject: str
    """What the case is about: "order:<id>", or "buyer:<phone or email>" for buyer rules."""
    evidence: str
    """The values compared, in words: "unpaid 3h 2m > 30m"."""
    related: tuple[str, ...] = ()
    """The other orders the finding names (numbers), e.g. the earlier order of a duplicate."""


# --- facts about an order --------------------------------------------------------------------


def display_number(order: Order | BuyerOrder) -> str:
    number = order.number if isinstance(order, BuyerOrder) else (order.number or order.external_id)
    return number if number.startswith("#") else f"#{number}"


def is_ended(order: Order) -> bool:
    return order.status.strip().lower() in ENDED_STATUSES


def is_paid(order: Order) -> bool:
    return order.paid_at is not None or order.paid_minor > 0


def is_shipped(order: Order) -> bool:
    return order.shipped_at is not None or bool(order.tracking_number) or order.delivered_at is not None


def items_key(order: Order) -> str:
    """The order's lines as one comparable text: SKU (else name) and quantity, sorted."""
    lines = sorted(f"{(item.sku or item.name).strip().lower()}x{item.quantity}"
                   for item in order.items)
    return "|".join(lines)


def normal_phone(phone: str) -> str:
    """A phone's digits (a leading + kept), for grouping and checking."""
    phone = phone.strip()
    digits = re.sub(r"\D", "", phone)
    return ("+" + digits) if phone.startswith("+") else digits


def is_phone(phone: str) -> bool:
    """Looks like a phone number: digits with the usual separators, 7 to 15 digits (E.164)."""
    return bool(_PHONE_CHARS.match(phone.strip())) and 7 <= len(re.sub(r"\D", "", phone)) <= 15


def buyer_key(order: Order) -> str | None:
    """Who the buyer is for grouping: their phone, else their email; None when neither is known
    (such an order is never grouped with others)."""
    phone = normal_phone(order.customer.phone)
    if len(phone.lstrip("+")) >= 7:
        return f"phone:{phone}"
    email = order.customer.email.strip().lower()
    if "@" in email:
        return f"email:{email}"
    return None


def span(delta: timedelta) -> str:
    """3d 2h, 2h 5m, 45m: a wall-clock span in words for evidence."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"


def _last_event(events: Iterable[OrderEvent], type_: str) -> OrderEvent | None:
    found = None
    for event in events:
        if event.type == type_ and (found is None or event.at >= found.at):
            found = event
    return found


# --- the rules -------------------------------------------------------------------------------
# Each: (facts, thresholds) -> (evidence, related orders) when it holds, else None.

Outcome = tuple[str, tuple[str, ...]] | None


def _payment_timeout(facts: Facts, th: Thresholds) -> Outcome:
    order = facts.order
    if is_paid(order) or is_ended(order) or order.placed_at is None or order.total_minor <= 0:
        return None
    unpaid_for = facts.now - order.placed_at
    limit = timedelta(minutes=th.payment_timeout_minutes)
    if unpaid_for <= limit:
        return None
    return f"unpaid {span(unpaid_for)} > {span(limit)}", ()


def _payment_mismatch(facts: Facts, th: Thresholds) -> Outcome:
    order = facts.order
    if not is_paid(order) or is_ended(order):
        return None
    difference = order.paid_minor - order.total_minor
    if abs(difference) <= th.payment_tolerance_minor:
        return None
    paid = format_minor(order.paid_minor, order.currency)
    total = format_minor(order.total_minor, order.currency)
    gap = format_minor(abs(difference), order.currency)
    return f"paid {paid} ≠ total {total} ({'over' if difference > 0 else 'short'} {gap})", ()


def _duplicate_order(facts: Facts, th: Thresholds) -> Outcome:
    order = facts.order
    key = items_key(order)
    if is_ended(order) or order.placed_at is None or not key:
        return None
    window = timedelta(minutes=th.duplicate_window_minutes)
    earlier = [other for other in facts.buyer_orders
               if other.items_key == key and not other.ended and other.placed_at is not None
               and (other.placed_at, other.id) < (order.placed_at, order.id or 0)
               and order.placed_at - other.placed_at <= window]
    if not earlier:
        return None
    first = min(earlier, key=lambda other: (other.placed_at, other.id))
    assert first.placed_at is not None
    return (f"same buyer and items as {display_number(first)}, placed "
            f"{span(order.placed_at - first.placed_at)} earlier (window {span(window)})",
            (first.number,))


def _unpaid_group(facts: Facts, th: Thresholds) -> list[tuple[str, datetime, int]]:
    """(number, placed at, id) of the buyer's unpaid orders, this one included, placed within
    the window before the newest of them."""
    rows: list[tuple[str, datetime, int]] = []
    order = facts.order
    if not is_paid(order) and not is_ended(order) and order.placed_at is not None:
        rows.append((order.number or order.external_id, order.placed_at, order.id or 0))
    rows += [(other.number, other.placed_at, other.id) for other in facts.buyer_orders
             if not other.paid and not other.ended and other.placed_at is not None]
    if not rows:
        return []
    newest = max(placed for _, placed, _ in rows)
    window = timedelta(hours=th.bulk_unpaid_window_hours)
    return sorted((row for row in rows if newest - row[1] <= window), key=lambda row: (row[1], row[2]))


def _bulk_unpaid(facts: Facts, th: Thresholds) -> Outcome:
    if buyer_key(facts.order) is None:
        return None
    group = _unpaid_group(facts, th)
    if len(group) < th.bulk_unpaid_count:
        return None
    numbers = tuple(number for number, _, _ in group)
    named = ", ".join(n if n.startswith("#") else f"#{n}" for n in numbers)
    return (f"{len(group)} unpaid orders within {th.bulk_unpaid_window_hours}h "
            f"(≥ {th.bulk_unpaid_count}): {named}", numbers)


def _ship_delayed(facts: Facts, th: Thresholds) -> Outcome:
    order = facts.order
    if is_shipped(order) or is_ended(order) or order.ship_by is None:
        return None
    if facts.now <= order.ship_by:
        return None
    return f"not shipped {span(facts.now - order.ship_by)} after ship-by " \
           f"{order.ship_by:%Y-%m-%d %H:%M} UTC", ()


def _delivery_delayed(facts: Facts, th: Thresholds) -> Outcome:
    order = facts.order
    if is_ended(order):
        return None
    if order.deliver_by is not None:
        if order.delivered_at is None and facts.now > order.deliver_by:
            return (f"not delivered {span(facts.now - order.deliver_by)} after deliver-by "
                    f"{order.deliver_by:%Y-%m-%d %H:%M} UTC"), ()
        if order.delivered_at is not None and order.delivered_at > order.deliver_by:
            return (f"delivered {span(order.delivered_at - order.deliver_by)} after deliver-by "
                    f"{order.deliver_by:%Y-%m-%d %H:%M} UTC"), ()
    if order.delivered_at is None and is_shipped(order):
        last = order.last_tracking_at or order.shipped_at
        stall = timedelta(days=th.tracking_stall_days)
        if last is not None and facts.now - last > stall:
            return f"no tracking update for {span(facts.now - last)} > {span(stall)}", ()
    return None


def _refund_issue(facts: Facts, th: Thresholds) -> Outcome:
    requested = _last_event(facts.events, "refund_requested")
    if requested is None:
        return None
    refunded = _last_event(facts.events, "refunded")
    if (refunded is not None and refunded.at >= requested.at) or \
            facts.order.status.strip().lower() == "refunded":
        return None
    limit = timedelta(days=th.refund_overdue_days)
    waited = facts.now - requested.at
    if waited <= limit:
        return None
    return f"refund requested {span(waited)} ago, not refunded (> {span(limit)})", ()


def _address_error(facts: Facts, th: Thresholds) -> Outcome:
    order = facts.order
    if is_ended(order) or order.delivered_at is not None:
        return None
    problems = []
    phone = order.customer.phone.strip()
    if not order.address.strip():
        problems.append("no address")
    if not phone:
        problems.append("no phone")
    elif not is_phone(phone):
        problems.append(f"phone {phone!r} is not a phone number")
    return ("; ".join(problems), ()) if problems else None


def _out_of_stock(facts: Facts, th: Thresholds) -> Outcome:
    order = facts.order
    if is_shipped(order) or is_ended(order):
        return None
    short = []
    for item in order.items:
        if item.sku and item.sku in facts.stock and facts.stock[item.sku] < item.quantity:
            short.append(f"{item.sku} needs {item.quantity}, stock {facts.stock[item.sku]}")
    return ("; ".join(short), ()) if short else None


def _urgent_order(facts: Facts, th: Thresholds) -> Outcome:
    order = facts.order
    if is_ended(order) or order.delivered_at is not None:
        return None
    reasons = []
    if order.deliver_by is not None and order.placed_at is not None:
        window = order.deliver_by - order.placed_at
        if window < timedelta(hours=th.lead_time_hours):
            reasons.append(f"deliver-by {span(window)} after placing < lead time "
                           f"{th.lead_time_hours}h")
    if order.total_minor >= th.urgent_amount_minor:
        reasons.append(f"amount {format_minor(order.total_minor, order.currency)} ≥ "
                       f"{format_minor(th.urgent_amount_minor, order.currency)}")
    wanted = {tag.strip().lower() for tag in th.urgent_tags}
    tags = [tag for tag in order.tags if tag.strip().lower() in wanted]
    if tags:
        reasons.append(f"tag {', '.join(tags)}")
    match = _URGENT_WORDS.search(order.note)
    if match:
        reasons.append(f"note says {match.group(0)!r}")
    return ("; ".join(reasons), ()) if reasons else None


CHECKS: dict[str, Callable[[Facts, Thresholds], Outcome]] = {
    "payment_timeout": _payment_timeout,
    "payment_mismatch": _payment_mismatch,
    "duplicate_order": _duplicate_order,
    "bulk_unpaid": _bulk_unpaid,
    "ship_delayed": _ship_delayed,
    "delivery_delayed": _delivery_delayed,
    "refund_issue": _refund_issue,
    "address_error": _address_error,
    "out_of_stock": _out_of_stock,
    "urgent_order": _urgent_order,
}


def subject_of(rule: Rule, order: Order) -> str | None:
    """The subject a rule's case is about for this order (None: the rule cannot apply)."""
    if rule.subject == "buyer":
        key = buyer_key(order)
        return f"buyer:{key}" if key else None
    return f"order:{order.id}"


def active_rules(rules: Iterable[Rule] = RULES) -> list[Rule]:
    return sorted((rule for rule in rules if rule.enabled), key=lambda rule: rule.sequence)


class RuleFailed(Exception):
    """A rule raised on one order: the caller logs it with the order and goes on."""

    def __init__(self, rule: str, error: Exception) -> None:
        super().__init__(f"rule {rule} failed: {error!r}")
        self.rule = rule
        self.error = error


def evaluate(facts: Facts, thresholds: Thresholds, rules: Iterable[Rule] = RULES,
             failed: Callable[[RuleFailed], None] | None = None) -> list[Finding]:
    """The findings that hold now for one order, in rule sequence. A rule that raises is
    reported to `failed` (if given, else re-raised) and skipped; the others still run."""
    findings: list[Finding] = []
    for rule in active_rules(rules):
        subject = subject_of(rule, facts.order)
        if subject is None:
            continue
        try:
            outcome = CHECKS[rule.name](facts, thresholds)
        except Exception as error:
            if failed is None:
                raise
            failed(RuleFailed(rule.name, error))
            continue
        if outcome is None:
            continue
        evidence, related = outcome
        findings.append(Finding(rule=rule.name, kind=rule.kind, level=rule.level,
                                urgent=rule.urgent, subject=subject, evidence=evidence,
                                related=related))
    return findings


def next_check(facts: Facts, thresholds: Thresholds) -> datetime | None:
    """The earliest moment after `facts.now` at which time alone could make a rule hold that does
    not hold now (the order's next check time), or None if only a new event could."""
    order = facts.order
    if is_ended(order):
        return None
    moments: list[datetime] = []
    if not is_paid(order) and order.placed_at is not None and order.total_minor > 0:
        moments.append(order.placed_at + timedelta(minutes=thresholds.payment_timeout_minutes))
    if not is_shipped(order) and order.ship_by is not None:
        moments.append(order.ship_by)
    if order.delivered_at is None:
        if order.deliver_by is not None:
            moments.append(order.deliver_by)
        if is_shipped(order):
            last = order.last_tracking_at or order.shipped_at
            if last is not None:
                moments.append(last + timedelta(days=thresholds.tracking_stall_days))
    requested = _last_event(facts.events, "refund_requested")
    if requested is not None:
        moments.append(requested.at + timedelta(days=thresholds.refund_overdue_days))
    # A second past the threshold: the rules compare with `>`.
    future = [moment + timedelta(seconds=1) for moment in moments if moment >= facts.now]
    return min(future) if future else None


def clears_by_itself(events_by: Iterable[str], automatic: frozenset[str]) -> bool:
    """Whether a case whose finding cleared may close itself: nobody but shopdesk touched it
    (`events_by`: the actors of its timeline; `automatic`: shopdesk's own actor names)."""
    return all(actor in automatic for actor in events_by)
