"""Detection on a real store: the event path (after intake, off the request) and the sweep open a
case once per rule and order or buyer; the same event twice and two sweeps open nothing new; an
event and a sweep racing open one case; an order whose check was lost (killed between commit and
check) is found by the next sweep; clearing closes an untouched case and marks a worked one; the
SLA watch escalates in tiers; stock reports make orders short."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from operator_seats import seat_from_settings
from test_cases import Clock

from shopdesk.config import DetectionSettings, Operator, Settings
from shopdesk.domain.cases import Customer, Order, OrderItem
from shopdesk.domain.filters import CaseFilter
from shopdesk.services import Services
from shopdesk.services.detection import DETECTION
from shopdesk.store import open_store
from shopdesk.store import orders as order_rows

# Monday 23 Nov 2026, 10:00 in Shanghai.
MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def settings(**detection) -> Settings:
    return Settings(operators=[Operator(name="li.na", role="operator"),
                               Operator(name="zhou.min", role="supervisor"),
                               Operator(name="lin.feng", role="owner")],
                    detection=DetectionSettings(**detection))


@pytest.fixture
async def world(tmp_path):
    clock = Clock(MONDAY_10)
    async with open_store(tmp_path / "detect.db") as store:
        services = Services(store, settings(), clock=clock)
        await seat_from_settings(services)  # roles live in the store
        yield services, clock
        await services.detection.aclose()


def paid_order(external_id: str = "1", **fields) -> Order:
    values = dict(source="shop", external_id=external_id, number=f"10{external_id}",
                  customer=Customer(name="Wang Fang", phone="13800138000", email="w@example.com"),
                  address="Shanghai, Pudong, Century Ave 1",
                  items=[OrderItem(name="Tee", quantity=1, sku="TEE-1", price_minor=9900)],
                  total_minor=9900, paid_minor=9900, status="processing",
                  placed_at=MONDAY_10 - timedelta(minutes=20),
                  paid_at=MONDAY_10 - timedelta(minutes=15))
    values.update(fields)
    return Order(**values)


def unpaid(external_id: str = "1", **fields) -> Order:
    return paid_order(external_id, paid_at=None, paid_minor=0, **fields)


async def store_order(services: Services, order: Order) -> int:
    """What intake's write does for an order snapshot (the check time is set by the write)."""
    async with services.store.transaction() as conn:
        return await order_rows.upsert_order(conn, order, services.now())


async def detected(services: Services, **filters) -> list:
    return await services.cases.list(CaseFilter(source="detection", **filters), limit=100)


async def test_an_unpaid_order_opens_a_case_once_it_passes_the_timeout(world):
    services, clock = world
    order_id = await store_order(services, unpaid())
    report = await services.detection.check_orders([order_id])
    assert report.opened == []  # 20 minutes unpaid: not yet
    clock.advance(minutes=11)
    report = await services.detection.sweep()
    assert len(report.opened) == 1
    (case,) = await detected(services)
    assert (case.rule, case.kind, case.level, case.opened_by) == (
        "payment_timeout", "payment_timeout", 1, "detection")
    assert case.rule_evidence == "unpaid 31m > 30m"
    assert case.order_id == order_id and case.title == "Unpaid past the payment timeout: #101"


async def test_two_sweeps_and_the_same_event_twice_open_nothing_new(world):
    services, clock = world
    order_id = await store_order(services, unpaid(placed_at=MONDAY_10 - timedelta(hours=2)))
    first = await services.detection.sweep()
    assert len(first.opened) == 1
    assert (await services.detection.sweep()).checked == 0  # nothing due: nothing read
    services.detection.order_changed(order_id)
    services.detection.order_changed(order_id)
    await services.detection.settle()
    await store_order(services, unpaid(placed_at=MONDAY_10 - timedelta(hours=2)))  # a replay
    assert (await services.detection.sweep()).opened == []
    assert len(await detected(services)) == 1


async def test_the_event_path_and_a_sweep_racing_open_one_case(world):
    services, _ = world
    order_ids = [await store_order(services, unpaid(str(n), customer=Customer(
        name=f"buyer {n}", phone=f"1390000000{n}"), placed_at=MONDAY_10 - timedelta(hours=1)))
        for n in range(5)]
    for order_id in order_ids:
        services.detection.order_changed(order_id)
    await asyncio.gather(services.detection.sweep(), services.detection.check_orders(order_ids),
                         services.detection.settle())
    cases = await detected(services)
    assert sorted(case.order_id for case in cases) == sorted(order_ids)  # one each, no more


async def test_a_check_lost_to_a_kill_is_found_by_the_next_sweep(tmp_path):
    clock = Clock(MONDAY_10)
    path = tmp_path / "killed.db"
    async with open_store(path) as store:  # the write commits; the process dies before checking
        services = Services(store, settings(), clock=clock)
        await store_order(services, paid_order(paid_minor=5000))
    async with open_store(path) as store:  # a new process: its first sweep finds it
        services = Services(store, settings(), clock=clock)
        report = await services.detection.sweep()
        assert [f.rule for f in report.findings] == ["payment_mismatch"]
        assert len(await detected(services)) == 1


async def test_a_cleared_case_nobody_touched_closes_itself(world):
    services, clock = world
    order_id = await store_order(services, unpaid(placed_at=MONDAY_10 - timedelta(hours=2)))
    (ref,) = (await services.detection.sweep()).opened
    await store_order(services, paid_order(placed_at=MONDAY_10 - timedelta(hours=2)))
    report = await services.detection.check_orders([order_id])
    assert report.closed == [ref]
    case = await services.cases.get(ref)
    assert case.status == "closed" and case.cleared_at is not None
    timeline = [event.type for event in (await services.cases.detail(ref)).events]
    assert timeline == ["opened", "cleared"]


async def test_a_cleared_case_an_operator_worked_stays_open_marked_cleared(world):
    services, clock = world
    order_id = await store_order(services, unpaid(placed_at=MONDAY_10 - timedelta(hours=2)))
    (ref,) = (await services.detection.sweep()).opened
    await services.cases.triage(services.actor("li.na"), ref)
    await store_order(services, paid_order(placed_at=MONDAY_10 - timedelta(hours=2)))
    report = await services.detection.check_orders([order_id])
    assert report.cleared == [ref] and report.closed == []
    case = await services.cases.get(ref)
    assert case.status == "open" and case.cleared_at is not None
    # the condition comes back: the same case, marked found again — no second case
    await store_order(services, unpaid(placed_at=MONDAY_10 - timedelta(hours=2)))
    report = await services.detection.check_orders([order_id])
    assert report.opened == []
    assert (await services.cases.get(ref)).cleared_at is None
    assert len(await detected(services)) == 1


async def test_duplicate_and_bulk_unpaid_group_by_buyer(world):
    services, clock = world
    ids = [await store_order(services, unpaid(str(n), placed_at=MONDAY_10 - timedelta(minutes=n)))
           for n in (9, 6, 3)]
    await services.detection.check_orders(ids)
    cases = await detected(services)
    rules = sorted(case.rule for case in cases)
    assert rules == ["bulk_unpaid", "duplicate_order", "duplicate_order"]
    bulk = next(case for case in cases if case.rule == "bulk_unpaid")
    assert all(f"#10{n}" in bulk.rule_evidence for n in (9, 6, 3))
    # two paid: fewer than three unpaid; the untouched bulk case closes
    for n in (9, 6):
        await store_order(services, paid_order(str(n), placed_at=MONDAY_10 - timedelta(minutes=n)))
    await services.detection.check_orders(ids)
    assert (await services.cases.get(bulk.ref)).status == "closed"


async def test_an_urgent_order_opens_an_urgent_case_with_the_urgent_sla(world):
    services, _ = world
    order_id = await store_order(services, paid_order(tags=["VIP"]))
    await services.detection.check_orders([order_id])
    (case,) = await detected(services)
    assert case.rule == "urgent_order" and case.urgent
    # urgent: confirmed within 2 business days (L2 alone: 3) -> Wednesday 10:00 Shanghai
    assert case.resolution_due_at == datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


async def test_stock_import_makes_open_orders_with_that_sku_short(world):
    services, _ = world
    order_id = await store_order(services, paid_order())
    await services.detection.check_orders([order_id])
    assert await detected(services) == []
    affected = await services.detection.import_stock({"TEE-1": 0})
    assert affected == [order_id]
    report = await services.detection.sweep()
    assert [f.rule for f in report.findings] == ["out_of_stock"]


async def test_a_disabled_rule_and_a_changed_level_are_read_from_config(tmp_path):
    clock = Clock(MONDAY_10)
    async with open_store(tmp_path / "cfg.db") as store:
        services = Services(store, settings(disabled=["payment_timeout"],
                                            levels={"payment_mismatch": 3}), clock=clock)
        await store_order(services, unpaid("1", placed_at=MONDAY_10 - timedelta(hours=3)))
        await store_order(services, paid_order("2", paid_minor=1))
        await services.detection.sweep()
        (case,) = await detected(services)
        assert (case.rule, case.level) == ("payment_mismatch", 3)
        states = {state.name: state for state in await services.detection.rule_states()}
        assert not states["payment_timeout"].enabled and states["payment_mismatch"].live == 1


async def test_a_dry_run_says_what_it_would_do_and_changes_nothing(world, tmp_path):
    services, _ = world
    await store_order(services, unpaid(placed_at=MONDAY_10 - timedelta(hours=3)))
    report = await services.detection.run_sweep(dry_run=True)
    assert [(f.action, f.rule) for f in report.findings] == [("open", "payment_timeout")]
    assert await detected(services) == []
    assert (await services.detection.sweep()).opened  # still due after the dry run


async def test_a_rule_that_raises_is_logged_with_the_order_and_the_sweep_goes_on(
        world, monkeypatch, caplog):
    from shopdesk.domain import detection

    services, _ = world

    def broken(facts, thresholds):
        if facts.order.external_id == "1":
            raise ValueError("odd order")
        return None

    monkeypatch.setitem(detection.CHECKS, "ship_delayed", broken)
    await store_order(services, unpaid("1", placed_at=MONDAY_10 - timedelta(hours=3)))
    await store_order(services, unpaid("2", placed_at=MONDAY_10 - timedelta(hours=3),
                                       customer=Customer(name="B", phone="13900000000")))
    report = await services.detection.sweep()
    assert len(report.opened) == 2 and len(report.failed) == 1
    assert "#101" in report.failed[0] and "odd order" in caplog.text


async def test_the_sla_watch_escalates_to_supervisor_then_to_owner(world):
    services, clock = world
    changes = []
    services.changes.subscribe(changes.append)
    case, _ = await services.cases.open(services.actor("li.na"), kind="lost", level=3)
    # L3: first response 1h, resolution 1 business day
    clock.advance(hours=2)
    report = await services.detection.run_sweep()
    assert report.escalated == [case.ref]
    assert (await services.cases.get(case.ref)).tier == "supervisor"
    assert any(change.what == "escalation" for change in changes)
    assert (await services.detection.run_sweep()).escalated == []  # once per breach
    clock.advance(days=1)  # past the resolution due time, not yet a whole target later
    assert (await services.detection.run_sweep()).escalated == []
    clock.advance(days=2)
    report = await services.detection.run_sweep()
    assert report.escalated == [case.ref]
    after = await services.cases.get(case.ref)
    assert after.tier == "owner"
    reasons = [event.data.get("reason") for event in (await services.cases.detail(case.ref)).events
               if event.type == "escalated"]
    assert reasons[0] == "SLA breached" and "again" in reasons[1]


def test_two_sweep_processes_on_one_file_open_one_case(tmp_path):
    """Two processes (a TUI and `serve`, say) each sweeping the same store: the unique index of
    live detected cases, not a read-then-write, keeps it to one."""
    import subprocess
    import sys
    import textwrap

    path = tmp_path / "two.db"

    async def seed():
        async with open_store(path) as store:
            services = Services(store, settings(), clock=Clock(MONDAY_10))
            for n in range(20):
                await store_order(services, unpaid(str(n), customer=Customer(
                    name=f"b{n}", phone=f"1380000{n:04d}"), placed_at=MONDAY_10 - timedelta(hours=1)))

    asyncio.run(seed())
    script = textwrap.dedent(f"""
        import asyncio
        from datetime import datetime, UTC
        from shopdesk.services import Services
        from shopdesk.store import open_store
        async def main():
            async with open_store({str(path)!r}) as store:
                services = Services(store, clock=lambda: datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
                order_ids = list(range(1, 21))
                await services.detection.check_orders(order_ids)
        asyncio.run(main())
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(2)]
    assert [proc.wait(timeout=120) for proc in procs] == [0, 0]
    with sqlite3.connect(path) as conn:
        per_order = conn.execute("SELECT order_id, count(*) FROM cases WHERE rule = "
                                 "'payment_timeout' GROUP BY order_id").fetchall()
    assert len(per_order) == 20 and all(count == 1 for _, count in per_order)


async def test_detected_cases_can_be_listed_by_rule(world):
    services, _ = world
    await store_order(services, paid_order("1", paid_minor=1))
    await store_order(services, unpaid("2", placed_at=MONDAY_10 - timedelta(hours=3),
                                       customer=Customer(name="x", phone="13911112222")))
    await services.detection.sweep()
    mismatched = await services.cases.list(CaseFilter(rule="payment_mismatch"), limit=10)
    assert [case.rule for case in mismatched] == ["payment_mismatch"]
    assert DETECTION.name == "detection"


async def test_a_store_from_before_detection_has_its_orders_checked_once(tmp_path):
    """Upgrading a version 9 store: every order it knows is due once, so the first sweep finds
    what the rules would have found."""
    from test_db import undo_version_10, undo_version_11

    path = tmp_path / "v9.db"
    clock = Clock(MONDAY_10)
    async with open_store(path) as store:
        services = Services(store, settings(), clock=clock)
        await store_order(services, unpaid(placed_at=MONDAY_10 - timedelta(hours=5)))
    with sqlite3.connect(path) as conn:
        undo_version_11(conn)
        undo_version_10(conn)
        conn.execute("PRAGMA user_version = 9")
    async with open_store(path) as store:
        services = Services(store, settings(), clock=clock)
        report = await services.detection.sweep()
        assert [f.rule for f in report.findings] == ["payment_timeout"]
        assert (await services.detection.sweep()).checked == 0


async def test_reopening_a_cleared_case_after_the_rule_opened_a_new_one(world):
    """The old case closed as cleared, the rule found the order again (a new case); reopening the
    old one is allowed and leaves one live case for the rule (no unique-index error)."""
    services, _ = world
    order_id = await store_order(services, unpaid(placed_at=MONDAY_10 - timedelta(hours=2)))
    (first,) = (await services.detection.sweep()).opened
    await store_order(services, paid_order(placed_at=MONDAY_10 - timedelta(hours=2)))
    await services.detection.check_orders([order_id])
    await store_order(services, unpaid(placed_at=MONDAY_10 - timedelta(hours=2)))
    (second,) = (await services.detection.check_orders([order_id])).opened
    reopened = await services.cases.reopen(services.actor("lin.feng"), first, "customer called")
    assert reopened.status == "open" and reopened.rule_subject is None
    live = [case for case in await detected(services) if case.rule_subject is not None]
    assert [case.ref for case in live] == [second]
