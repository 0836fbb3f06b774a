"""Detection rules, pure: each rule on both sides of its threshold, with its evidence; buyers
without phone or email are never grouped; a rule that raises is reported and skipped; the next
check time is when time alone could make a rule hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from shopdesk.domain import detection
from shopdesk.domain.cases import Customer, Order, OrderEvent, OrderItem
from shopdesk.domain.detection import BuyerOrder, Facts, Thresholds, evaluate, next_check

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
TH = Thresholds()


def order(**fields) -> Order:
    base = dict(id=7, source="shop", external_id="7", number="1007",
                customer=Customer(name="Wang Fang", phone="13800138000", email="w@example.com"),
                address="Shanghai, Pudong, Century Ave 1",
                items=[OrderItem(name="Tee", quantity=1, sku="TEE-1", price_minor=9900)],
                total_minor=9900, paid_minor=9900, currency="CNY", status="processing",
                placed_at=NOW - timedelta(hours=1), paid_at=NOW - timedelta(minutes=50))
    base.update(fields)
    return Order(**base)


def rules_found(facts: Facts, thresholds: Thresholds = TH) -> dict[str, str]:
    return {finding.rule: finding.evidence for finding in evaluate(facts, thresholds)}


def test_an_ordinary_paid_order_on_its_way_trips_no_rule():
    assert rules_found(Facts(order=order(), now=NOW)) == {}


@pytest.mark.parametrize(("minutes", "found"), [(29, False), (31, True)])
def test_payment_timeout_either_side_of_its_threshold(minutes, found):
    unpaid = order(paid_at=None, paid_minor=0, placed_at=NOW - timedelta(minutes=minutes))
    result = rules_found(Facts(order=unpaid, now=NOW))
    assert ("payment_timeout" in result) is found
    if found:
        assert result["payment_timeout"] == "unpaid 31m > 30m"


def test_a_cancelled_unpaid_order_times_out_nothing():
    cancelled = order(paid_at=None, paid_minor=0, status="cancelled",
                      placed_at=NOW - timedelta(days=3))
    assert rules_found(Facts(order=cancelled, now=NOW)) == {}


@pytest.mark.parametrize(("paid", "tolerance", "found"), [
    (9900, 0, False), (8900, 0, True), (10900, 0, True), (9800, 100, False), (9799, 100, True),
])
def test_payment_mismatch_either_way_beyond_the_tolerance(paid, tolerance, found):
    facts = Facts(order=order(paid_minor=paid), now=NOW)
    result = rules_found(facts, msgspec.structs.replace(TH, payment_tolerance_minor=tolerance))
    assert ("payment_mismatch" in result) is found
    if paid == 8900:
        assert result["payment_mismatch"] == "paid 89.00 CNY ≠ total 99.00 CNY (short 10.00 CNY)"


def _other(order_id: int, minutes_before: int, *, paid=True, ended=False, key="tee-1x1"):
    return BuyerOrder(id=order_id, number=f"100{order_id}",
                      placed_at=NOW - timedelta(hours=1, minutes=minutes_before), paid=paid,
                      ended=ended, items_key=key)


@pytest.mark.parametrize(("minutes", "found"), [(9, True), (11, False)])
def test_duplicate_order_names_the_earlier_order_within_the_window(minutes, found):
    facts = Facts(order=order(), buyer_orders=[_other(3, minutes)], now=NOW)
    findings = [f for f in evaluate(facts, TH) if f.rule == "duplicate_order"]
    assert bool(findings) is found
    if found:
        assert findings[0].related == ("1003",)
        assert "#1003" in findings[0].evidence


def test_a_duplicate_is_found_on_the_later_order_only_and_not_for_other_items():
    earlier = order(id=3, number="1003", placed_at=NOW - timedelta(hours=1, minutes=5))
    later = BuyerOrder(id=7, number="1007", placed_at=NOW - timedelta(hours=1), paid=True,
                       ended=False, items_key="tee-1x1")
    assert "duplicate_order" not in rules_found(Facts(order=earlier, buyer_orders=[later], now=NOW))
    other_items = Facts(order=order(), buyer_orders=[_other(3, 5, key="mug-1x1")], now=NOW)
    assert "duplicate_order" not in rules_found(other_items)


@pytest.mark.parametrize(("others", "found"), [(1, False), (2, True)])
def test_bulk_unpaid_is_one_finding_for_the_buyer_naming_every_order(others, found):
    unpaid = order(paid_at=None, paid_minor=0, placed_at=NOW - timedelta(minutes=5))
    buyer = [_other(index, 10 * index, paid=False, key=f"k{index}") for index in range(1, others + 1)]
    findings = [f for f in evaluate(Facts(order=unpaid, buyer_orders=buyer, now=NOW), TH)
                if f.rule == "bulk_unpaid"]
    assert bool(findings) is found
    if found:
        assert findings[0].subject == "buyer:phone:13800138000"
        assert set(findings[0].related) == {"1001", "1002", "1007"}


def test_a_buyer_without_phone_or_email_is_never_grouped():
    anonymous = order(customer=Customer(name="Guest"), paid_at=None, paid_minor=0,
                      placed_at=NOW - timedelta(minutes=5))
    buyer = [_other(1, 1, paid=False), _other(2, 2, paid=False), _other(3, 3, paid=False)]
    found = rules_found(Facts(order=anonymous, buyer_orders=buyer, now=NOW))
    assert "bulk_unpaid" not in found and "duplicate_order" not in found


@pytest.mark.parametrize(("ship_by", "shipped", "found"), [
    (NOW - timedelta(minutes=1), False, True), (NOW + timedelta(minutes=1), False, False),
    (NOW - timedelta(days=1), True, False),
])
def test_ship_delayed(ship_by, shipped, found):
    facts = Facts(order=order(ship_by=ship_by, shipped_at=NOW - timedelta(days=2) if shipped
                              else None), now=NOW)
    assert ("ship_delayed" in rules_found(facts)) is found


def test_delivery_delayed_by_deliver_by_and_by_stalled_tracking():
    late = order(deliver_by=NOW - timedelta(hours=2), shipped_at=NOW - timedelta(days=1),
                 tracking_number="SF1")
    assert "after deliver-by" in rules_found(Facts(order=late, now=NOW))["delivery_delayed"]
    in_time = order(deliver_by=NOW + timedelta(hours=2), shipped_at=NOW - timedelta(days=1),
                    tracking_number="SF1")
    assert "delivery_delayed" not in rules_found(Facts(order=in_time, now=NOW))
    stalled = order(shipped_at=NOW - timedelta(days=5), last_tracking_at=NOW - timedelta(days=4),
                    tracking_number="SF1")
    assert rules_found(Facts(order=stalled, now=NOW))["delivery_delayed"] == \
        "no tracking update for 4d > 3d"
    moving = order(shipped_at=NOW - timedelta(days=5), last_tracking_at=NOW - timedelta(days=2),
                   tracking_number="SF1")
    assert "delivery_delayed" not in rules_found(Facts(order=moving, now=NOW))


@pytest.mark.parametrize(("days", "refunded", "found"), [(2, False, False), (4, False, True),
                                                         (4, True, False)])
def test_refund_issue(days, refunded, found):
    events = [OrderEvent(order_id=7, type="refund_requested", at=NOW - timedelta(days=days))]
    if refunded:
        events.append(OrderEvent(order_id=7, type="refunded", at=NOW - timedelta(days=1)))
    assert ("refund_issue" in rules_found(Facts(order=order(), events=events, now=NOW))) is found


@pytest.mark.parametrize(("address", "phone", "expected"), [
    ("", "13800138000", "no address"),
    ("Pudong 1", "", "no phone"),
    ("Pudong 1", "call me", "phone 'call me' is not a phone number"),
    ("Pudong 1", "12", "phone '12' is not a phone number"),
    ("Pudong 1", "+86 138-0013-8000", None),
])
def test_address_error(address, phone, expected):
    facts = Facts(order=order(address=address,
                              customer=Customer(name="W", phone=phone, email="w@example.com")),
                  now=NOW)
    assert rules_found(facts).get("address_error") == expected


@pytest.mark.parametrize(("on_hand", "found"), [(0, True), (1, False), (None, False)])
def test_out_of_stock_on_a_line_the_shop_reported_short(on_hand, found):
    stock = {} if on_hand is None else {"TEE-1": on_hand}
    result = rules_found(Facts(order=order(), stock=stock, now=NOW))
    assert ("out_of_stock" in result) is found
    if found:
        assert result["out_of_stock"] == "TEE-1 needs 1, stock 0"


@pytest.mark.parametrize(("fields", "found"), [
    ({"tags": ["VIP"]}, "tag VIP"),
    ({"total_minor": 800_000, "paid_minor": 800_000}, "amount 8,000.00 CNY"),
    ({"total_minor": 499_999, "paid_minor": 499_999}, None),
    ({"note": "请加急发货"}, "note says '加急'"),
    ({"note": "URGENT please"}, "note says 'URGENT'"),
    ({"deliver_by": NOW + timedelta(hours=10)}, "lead time 48h"),
    ({"deliver_by": NOW + timedelta(days=5)}, None),
])
def test_urgent_order_criteria(fields, found):
    findings = [f for f in evaluate(Facts(order=order(**fields), now=NOW), TH)
                if f.rule == "urgent_order"]
    if found is None:
        assert not findings
    else:
        assert findings[0].urgent
        assert found in findings[0].evidence


def test_a_disabled_rule_finds_nothing():
    unpaid = Facts(order=order(paid_at=None, paid_minor=0, placed_at=NOW - timedelta(hours=3)),
                   now=NOW)
    rules = [msgspec.structs.replace(rule, enabled=rule.name != "payment_timeout")
             for rule in detection.RULES]
    assert "payment_timeout" not in {f.rule for f in evaluate(unpaid, TH, rules)}


def test_a_rule_that_raises_is_reported_and_the_others_still_run(monkeypatch):
    def broken(facts, thresholds):
        raise ZeroDivisionError("odd order")

    monkeypatch.setitem(detection.CHECKS, "payment_mismatch", broken)
    problems = []
    facts = Facts(order=order(paid_minor=1, tags=["vip"]), now=NOW)
    findings = evaluate(facts, TH, failed=problems.append)
    assert [problem.rule for problem in problems] == ["payment_mismatch"]
    assert "urgent_order" in {finding.rule for finding in findings}


def test_next_check_is_the_earliest_threshold_still_ahead():
    unpaid = order(paid_at=None, paid_minor=0, placed_at=NOW - timedelta(minutes=10),
                   ship_by=NOW + timedelta(hours=5))
    assert next_check(Facts(order=unpaid, now=NOW), TH) == NOW + timedelta(minutes=20, seconds=1)
    shipped = order(shipped_at=NOW - timedelta(days=1), tracking_number="SF1",
                    last_tracking_at=NOW - timedelta(days=1))
    assert next_check(Facts(order=shipped, now=NOW), TH) == NOW + timedelta(days=2, seconds=1)
    delivered = order(shipped_at=NOW - timedelta(days=3), delivered_at=NOW - timedelta(days=1))
    assert next_check(Facts(order=delivered, now=NOW), TH) is None
