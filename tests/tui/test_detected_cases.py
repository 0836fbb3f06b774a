"""Detection in the TUI at 80x24: the Detected view (key 0) lists the cases the rules opened, the
case screen shows the rule and its evidence, and what shopdesk did by itself (detected cases,
SLA escalations) is a notice, not a silent change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from queue_world import ME, NOW, FakeClock, queue_settings, screen_text, settle, wait_until

from shopdesk.domain.cases import Customer, Order
from shopdesk.services import Services
from shopdesk.store import orders as order_rows
from shopdesk.tui.app import ShopdeskApp


@pytest.fixture
async def services(store):
    services = Services(store, queue_settings(), clock=FakeClock())
    async with store.transaction() as conn:
        await order_rows.upsert_order(conn, Order(
            source="shop", external_id="77", number="#7007", total_minor=12000, paid_minor=9000,
            paid_at=NOW - timedelta(hours=1), placed_at=NOW - timedelta(hours=2),
            customer=Customer(name="赵敏", phone="13800001111"), address="Hangzhou"), NOW)
    yield services
    await services.detection.aclose()


async def test_the_detected_view_and_the_case_screen_show_the_rule_and_its_evidence(services):
    app = ShopdeskApp(services, operator=ME, lang="en")
    async with app.run_test(size=(160, 50), notifications=True) as pilot:  # evidence on one line
        await settle(pilot)
        report = await services.detection.run_sweep()
        services.detection.announce(report)
        assert len(report.opened) == 1
        await wait_until(pilot, lambda: any("opened by detection" in n.message
                                            for n in app._notifications), timeout=10)
        await pilot.press("0")
        await settle(pilot)
        text = screen_text(app)
        assert "Det 1" in text or "Detected 1" in text
        assert "#7007" in text and "payment mismat" in text
        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(app)
        assert "Detected" in text
        assert "paid 90.00 CNY ≠ total 120.00 CNY" in text


async def test_automatic_escalations_are_a_notice(services):
    app = ShopdeskApp(services, operator=ME, lang="en")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        case, _ = await services.cases.open(services.actor(ME), kind="lost", level=3)
        services.clock.now = NOW + timedelta(hours=3)
        report = await services.detection.run_sweep()
        assert case.ref in report.escalated
        await wait_until(pilot, lambda: any("escalated: SLA breached" in n.message
                                            for n in app._notifications), timeout=10)
        assert any(case.ref in n.message for n in app._notifications)
