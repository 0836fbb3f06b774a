"""Remedies awaiting approval are found (QA N2): tab 9 "Approvals" lists the active cases with a
proposed remedy, `cases list --awaiting-approval` the same; a supervisor's TUI raises a toast when a
remedy comes to await approval or a case is escalated to their tier; an operator's does not."""

from __future__ import annotations

import pytest
from queue_world import (
    ME,
    SUPERVISOR,
    FakeClock,
    queue_settings,
    screen_text,
    seed_queue,
    settle,
)

from shopdesk.domain.filters import CaseFilter
from shopdesk.services import Services
from shopdesk.store import open_store
from shopdesk.tui.app import ShopdeskApp
from shopdesk.tui.i18n import t
from shopdesk.tui.widgets.case_table import CaseTable
from shopdesk.tui.widgets.view_tabs import ViewTabs


@pytest.fixture
async def world(tmp_path):
    async with open_store(tmp_path / "desk.db") as store:
        services = Services(store, queue_settings(), clock=FakeClock())
        seeded = await seed_queue(services)
        yield services, seeded


async def propose_over_limit(services: Services, ref: str):
    remedy = await services.cases.propose_remedy(
        services.actor(ME), ref, type="coupon", amount_minor=90_000, currency="CNY",
        note="coupon for next order, sorry")
    assert remedy.status == "proposed"
    return remedy


async def test_the_approvals_tab_lists_cases_with_a_proposed_remedy(world):
    services, seeded = world
    await propose_over_limit(services, seeded.lost.ref)
    small = await services.cases.propose_remedy(
        services.actor(ME), seeded.overdue.ref, type="coupon", amount_minor=1_000)
    assert small.status == "approved"  # within the operator's limit: not awaiting anyone
    assert [case.ref for case in await services.cases.list(
        CaseFilter(awaiting_approval=True))] == [seeded.lost.ref]
    app = ShopdeskApp(services, operator=SUPERVISOR, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        tabs = app.screen.query_one(ViewTabs)
        assert tabs.counts["approvals"] == 1
        first_line = screen_text(app).splitlines()[1]
        assert "Appr 1" in first_line and "Intake 0" in first_line  # the nine tabs fit 80 columns
        await pilot.press("9")
        await settle(pilot)
        table = app.screen.query_one("#cases", CaseTable)
        assert table.total == 1 and table.current.ref == seeded.lost.ref
        # approved: it leaves the view
        pending = await services.cases.pending_remedies()
        await services.cases.approve_remedy(services.actor(SUPERVISOR), pending[0].id)
        await settle(pilot, 0.4)
        assert tabs.counts["approvals"] == 0 and table.total == 0


async def test_a_supervisor_is_told_of_a_remedy_to_approve_and_an_escalation(world):
    services, seeded = world
    app = ShopdeskApp(services, operator=SUPERVISOR, lang="en")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        queue = app.screen
        assert queue.approval_alerts == []  # what awaited already at start is not news
        remedy = await propose_over_limit(services, seeded.lost.ref)
        await settle(pilot, 0.4)
        assert len(queue.approval_alerts) == 1
        assert queue.approval_alerts[0].startswith(f"{seeded.lost.ref} remedy #{remedy.id} coupon")
        assert "900.00 CNY" in queue.approval_alerts[0] and f"by {ME}" in queue.approval_alerts[0]
        toasts = [n for n in app._notifications if n.title == t("alert.approvals.title")]
        assert toasts and f"#{remedy.id}" in toasts[-1].message
        await services.cases.escalate(services.actor(ME), seeded.mine.ref,
                                      "customer wants a refund above my limit")
        await settle(pilot, 0.4)
        assert len(queue.approval_alerts) == 2
        assert queue.approval_alerts[1] == f"{seeded.mine.ref} escalated to supervisor · Olivia Smith"
        # nothing new: no toast again
        await services.cases.add_note(services.actor(ME), seeded.fillers[0].ref, "called")
        await settle(pilot, 0.4)
        assert len(queue.approval_alerts) == 2


async def test_an_operator_gets_no_approval_toasts(world):
    services, seeded = world
    app = ShopdeskApp(services, operator=ME, lang="en")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await propose_over_limit(services, seeded.lost.ref)
        await settle(pilot, 0.4)
        assert app.screen.approval_alerts == []
        assert app.screen.query_one(ViewTabs).counts["approvals"] == 1


def test_cli_lists_cases_awaiting_approval(tmp_path, capsys):
    import asyncio

    from shopdesk.cli import main

    path = tmp_path / "desk.db"

    async def seed() -> str:
        async with open_store(path) as store:
            services = Services(store, queue_settings(), clock=FakeClock())
            seeded = await seed_queue(services)
            await propose_over_limit(services, seeded.waiting.ref)
            return seeded.waiting.ref

    ref = asyncio.run(seed())
    assert main(["--db", str(path), "cases", "list", "--awaiting-approval"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("C-")]
    assert [row.split()[0] for row in rows] == [ref]
