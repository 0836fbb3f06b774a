"""A small hand-computed week for the report and export tests (figures in tests/services/test_reports.py).

Monday 2026-11-16 to Monday 2026-11-23 in Shanghai (business hours 09-12, 13-18, Mon-Fri); "now" is
Friday 2026-11-20 12:00. Every case is built through the services with a fake clock.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from clocks import FakeClock

from shopdesk.config import Settings
from shopdesk.domain.cases import Customer, Order
from shopdesk.services import Services
from shopdesk.store import Store

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in November 2026, Shanghai."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


PERIOD = (local(16, 0), local(23, 0))
NOW = local(20, 12)




async def build_week(store: Store, settings: Settings | None = None) -> tuple[Services, FakeClock]:
    clock = FakeClock(local(13, 9))
    services = Services(store, settings or Settings(), clock=clock)
    cases = services.cases
    olga = services.actor("olga")

    async def order(number: str, carrier: str, shipped: datetime) -> int:
        return await services.orders.upsert(Order(
            source="shopify", external_id=f"ext-{number}", number=number, carrier=carrier,
            customer=Customer(name="张伟", phone="+86 138 0013 8000"), total_minor=49400,
            currency="CNY", status="shipped", tracking_number=f"T{number}", shipped_at=shipped,
        ))

    # Before the period: an SF order shipped, a case opened (both left out of the week's figures).
    await order("9000", "SF", local(12, 10))
    await cases.open(olga, kind="lost", level=1, title="last week")

    clock.at(local(16, 8))
    o1 = await order("1001", "SF", local(16, 8))
    o2 = await order("1002", "SF", local(16, 8))
    await order("1003", "SF", local(17, 8))
    o5 = await order("1005", "YTO", local(16, 8))
    await order("1006", "YTO", local(18, 8))

    clock.at(local(16, 9))
    a, _ = await cases.open(olga, kind="lost", level=3, order_id=o1, title="=包裹丢失 lost parcel")
    b, _ = await cases.open(olga, kind="damaged", level=2, order_id=o2, title="破损, \"box\" crushed")
    c, _ = await cases.open(olga, kind="complaint", level=1, urgent=True, title="VIP complaint")
    d, _ = await cases.open(olga, kind="delivery_delayed", level=2, urgent=True, order_id=o5)
    e, _ = await cases.open(olga, kind="other", level=1, title="duplicate")
    for ref in (a.ref, b.ref, c.ref, d.ref):
        await cases.triage(olga, ref)

    clock.at(local(16, 9, 10))
    await cases.void(olga, e.ref, "opened twice")

    clock.at(local(16, 9, 30))  # A: first response after 0.5 h (due 10:00) - met
    await cases.log_contact(olga, a.ref, channel="phone", summary="apologised, searching")
    clock.at(local(16, 10))  # C: after 1 h (urgent: due end of day) - met
    await cases.log_contact(olga, c.ref, channel="chat", summary="致歉")
    clock.at(local(16, 10, 30))
    remedy_a = await cases.propose_remedy(olga, a.ref, type="refund_partial", amount_minor=5000)
    await cases.complete_remedy(olga, remedy_a.id)
    await cases.set_responsibility(
        olga, a.ref, party="carrier", department="logistics", joint_department="warehouse"
    )
    clock.at(local(16, 11))  # A resolved after 2 h (due Monday 18:00) - met
    await cases.resolve(olga, a.ref, "refunded 50")
    clock.at(local(16, 15))  # B: first response after 6 h (due 14:00) - breached
    await cases.log_contact(olga, b.ref, channel="phone", summary="sorry")
    remedy_b = await cases.propose_remedy(olga, b.ref, type="coupon", amount_minor=2000)
    await cases.complete_remedy(olga, remedy_b.id)
    await cases.set_responsibility(olga, b.ref, party="warehouse", department="warehouse")
    await cases.set_responsibility(olga, d.ref, party="carrier", department="logistics")
    clock.at(local(17, 10))  # B and C resolved after 25 h - both met
    await cases.resolve(olga, b.ref, "coupon sent")
    await cases.resolve(olga, c.ref, "answered")
    clock.at(local(18, 9))
    await cases.record_survey(olga, a.ref, 5, "很好")
    await cases.record_survey(olga, b.ref, 3)

    clock.at(local(20, 11))  # F: opened an hour before now, both clocks still running
    await cases.open(olga, kind="wrong_item", level=1, title="wrong tea")
    clock.at(NOW)
    return services, clock
