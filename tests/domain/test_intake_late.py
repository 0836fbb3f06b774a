"""The newest state of an order wins over a delivery that arrives late (N12): pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from shopdesk.domain.cases import Order
from shopdesk.domain.intake.mapping import (
    EventIn,
    Mapped,
    OrderPatch,
    apply_patch,
    is_late,
    settle_order,
)

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def shipped(at: datetime | None = T0) -> Order:
    return Order(source="shop", external_id="1", status="shipped", carrier="SF",
                 tracking_number="SF1", shipped_at=T0, paid_at=T0 - timedelta(hours=1),
                 changed_at=at)


def paid_snapshot() -> Order:
    return Order(source="shop", external_id="1", status="paid", paid_at=T0 - timedelta(hours=1))


def test_an_older_snapshot_changes_nothing_and_derives_no_events():
    late = Mapped(topic="order.updated", dedupe_key="k", order=paid_snapshot(),
                  at=T0 - timedelta(minutes=5))
    order, events = settle_order(shipped(), "shop", late)
    assert order == shipped()
    assert events == []


def test_an_older_event_keeps_the_facts_its_sender_stated():
    stated = [EventIn(type="paid", at=T0 - timedelta(hours=1))]
    late = Mapped(topic="paid", dedupe_key="k", order=paid_snapshot(), events=stated,
                  at=T0 - timedelta(hours=1))
    order, events = settle_order(shipped(), "shop", late)
    assert order.status == "shipped" and events == stated


def test_a_newer_or_same_time_snapshot_replaces_and_moves_the_time_forward():
    for at in (T0, T0 + timedelta(seconds=1)):
        newer = Mapped(topic="u", dedupe_key="k", order=paid_snapshot(), at=at)
        order, events = settle_order(shipped(), "shop", newer)
        assert order.status == "paid" and order.changed_at == at
        assert events  # derived from the difference, as before


def test_untimed_deliveries_apply_and_keep_the_stored_time():
    untimed = Mapped(topic="u", dedupe_key="k", order=paid_snapshot())
    order, _ = settle_order(shipped(), "shop", untimed)
    assert order.status == "paid" and order.changed_at == T0
    assert not is_late(shipped(at=None), T0 - timedelta(days=1))  # an old store's snapshot
    assert not is_late(None, T0)


def test_a_late_patch_fills_only_what_the_newer_snapshot_lacks():
    stored = Order(source="shop", external_id="1", status="paid", changed_at=T0)
    patch = OrderPatch(external_id="1", values={"status": "shipped", "carrier": "UPS",
                                                "tracking_number": "1Z", "tags": ["late"]})
    order = apply_patch(stored, "shop", patch, at=T0 - timedelta(hours=1))
    assert (order.status, order.carrier, order.tracking_number) == ("paid", "UPS", "1Z")
    assert order.tags == ["late"] and order.changed_at == T0
    on_time = apply_patch(stored, "shop", patch, at=T0 + timedelta(hours=1))
    assert on_time.status == "shipped" and on_time.changed_at == T0 + timedelta(hours=1)


@given(st.permutations(range(6)))
def test_whatever_order_deliveries_arrive_in_the_newest_one_is_stored(arrival):
    """Six snapshots of one order, status s0..s5 at minutes 0..5, arriving in any order."""
    stored = None
    for minute in arrival:
        mapped = Mapped(topic="u", dedupe_key=str(minute), at=T0 + timedelta(minutes=minute),
                        order=Order(source="shop", external_id="1", status=f"s{minute}"))
        stored, _ = settle_order(stored, "shop", mapped)
    assert stored.status == "s5" and stored.changed_at == T0 + timedelta(minutes=5)
