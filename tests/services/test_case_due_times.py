"""One due time per case everywhere (N1): the stored due times (queue, `cases list`, the Overdue
view, the sweep) follow an SLA config change the next time shopdesk opens the store, and are the
case screen's clocks. A reopen starts a new resolution clock (N5)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

import msgspec
from test_cases import (
    MONDAY_10,
    Clock,
    events,
    new_case,
    operator,
    settings,
    shanghai,
    supervisor,
    world,
)

from shopdesk.config import SlaTargets
from shopdesk.domain.filters import CaseFilter
from shopdesk.services import Services
from shopdesk.store import open_store

__all__ = ["settings", "world"]  # fixtures, shared with test_cases


def stored(path, ref: str) -> tuple:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT due_at, first_response_due_at, resolution_due_at, version FROM cases "
            "WHERE ref = ?", (ref,)).fetchone()


async def agree(services: Services, ref: str) -> datetime | None:
    """The case's running due time as the queue, the overdue filter and the case screen see it;
    asserts they are one."""
    case = await services.cases.get(ref)
    [listed] = [c for c in await services.cases.list(limit=500) if c.ref == ref]
    first, resolution = await services.cases.clocks(case)
    assert listed.due_at == case.due_at
    overdue = {c.ref for c in await services.cases.list(CaseFilter(overdue=True), limit=500)}
    if case.status == "waiting":  # paused: no running due time, on the case screen neither
        assert case.due_at is None and first.due_at is None and ref not in overdue
        return None
    assert (case.first_response_due_at, case.resolution_due_at) == (first.due_at, resolution.due_at)
    running = resolution if case.first_response_at else first
    assert case.due_at == min(running.due_at, resolution.due_at)
    assert (ref in overdue) == running.breached
    return case.due_at


# --- a config change reaches the stored due times (N1) ---------------------------------------------


async def test_a_declared_holiday_moves_the_stored_due_times_when_shopdesk_opens_again(
    tmp_path, settings
):
    path = tmp_path / "desk.db"
    clock = Clock(MONDAY_10)
    async with open_store(path) as store:
        services = Services(store, settings, clock=clock)
        case = await new_case(services)  # L2 on Monday 10:00: first response due Monday 15:00
        waiting = await new_case(services, level=1)
        await services.cases.triage(operator(services), waiting.ref)
        await services.cases.wait(operator(services), waiting.ref, on="carrier")
        assert case.due_at == shanghai(23, 15)
    version_before = stored(path, case.ref)[3]

    # The owner declares Monday 23 Nov a holiday; it is Monday 16:00.
    holiday = msgspec.structs.replace(settings, holidays=[date(2026, 11, 23)])
    clock.now = shanghai(23, 16)
    async with open_store(path) as store:
        services = Services(store, holiday, clock=clock)
        due = await agree(services, case.ref)
        # 4 business hours from Tuesday 09:00: 09-12, 13-14
        assert due == shanghai(24, 14)
        assert await services.cases.sweep() == {"escalated": 0, "closed": 0}  # not breached
        assert (await services.cases.get(case.ref)).status == "new"
        assert await services.cases.count(CaseFilter(overdue=True)) == 0
        # The waiting case keeps no running due; its clocks' due times moved too (L1: 1 business
        # day for the first response, from Tuesday 09:00: Tuesday 18:00).
        paused = await services.cases.get(waiting.ref)
        assert paused.due_at is None and paused.first_response_due_at == shanghai(24, 18)
        await agree(services, waiting.ref)
    # Derived figures, not an edit: nobody's open form goes stale over it.
    assert stored(path, case.ref)[3] == version_before

    # Back to the old calendar: back to the old due time, and the sweep escalates on it.
    async with open_store(path) as store:
        services = Services(store, settings, clock=clock)
        assert await agree(services, case.ref) == shanghai(23, 15)
        assert (await services.cases.sweep())["escalated"] == 1


async def test_sla_targets_edited_in_config_reach_the_queue(tmp_path, settings):
    path = tmp_path / "desk.db"
    clock = Clock(MONDAY_10)
    async with open_store(path) as store:
        services = Services(store, settings, clock=clock)
        case = await new_case(services, level=2)
        await services.cases.log_contact(operator(services), case.ref, channel="phone",
                                         summary="called")
        assert (await services.cases.get(case.ref)).due_at == shanghai(26, 10)  # 3 business days
    faster = msgspec.structs.replace(
        settings, sla={**settings.sla, "L2": SlaTargets(first_response="4h", resolution="1d")})
    async with open_store(path) as store:
        services = Services(store, faster, clock=clock)
        assert await services.cases.ensure_due_times() == 1
        assert await services.cases.ensure_due_times() == 0  # checked once
        assert await agree(services, case.ref) == shanghai(24, 10)


async def test_the_same_config_recomputes_nothing_and_resolved_cases_keep_their_history(
    tmp_path, settings
):
    path = tmp_path / "desk.db"
    clock = Clock(MONDAY_10)
    async with open_store(path) as store:
        services = Services(store, settings, clock=clock)
        done = await new_case(services)
        await services.cases.triage(operator(services), done.ref)
        await services.cases.resolve(operator(services), done.ref, "sent again")
        await new_case(services)
    history = stored(path, done.ref)
    async with open_store(path) as store:
        assert await Services(store, settings, clock=clock).cases.ensure_due_times() == 0
    holiday = msgspec.structs.replace(settings, holidays=[date(2026, 11, 23)])
    async with open_store(path) as store:
        # only the active case: a resolved one was measured against the due time it had
        assert await Services(store, holiday, clock=clock).cases.ensure_due_times() == 1
    assert stored(path, done.ref) == history


async def test_a_shopdesk_still_running_an_older_config_does_not_escalate_on_it(tmp_path, settings):
    path = tmp_path / "desk.db"
    clock = Clock(MONDAY_10)
    async with open_store(path) as old_store, open_store(path) as new_store:
        old = Services(old_store, settings, clock=clock)  # e.g. `shopdesk serve`, started before
        case = await new_case(old)  # due Monday 15:00
        holiday = msgspec.structs.replace(settings, holidays=[date(2026, 11, 23)])
        new = Services(new_store, holiday, clock=clock)  # the TUI, opened after the edit
        assert await new.cases.ensure_due_times() == 1
        clock.now = shanghai(23, 16)
        assert (await old.cases.sweep())["escalated"] == 0  # its calendar is no longer the store's
        assert (await new.cases.get(case.ref)).status == "new"
        assert (await new.cases.sweep())["escalated"] == 0  # due Tuesday 14:00


# --- a reopen starts a new resolution clock (N5) ---------------------------------------------------


async def test_a_case_reopened_a_week_later_gets_a_new_resolution_clock(world):
    services, clock, _changes = world
    case = await new_case(services)  # L2: resolution within 3 business days
    await services.cases.triage(operator(services), case.ref)
    await services.cases.log_contact(operator(services), case.ref, channel="phone", summary="sorry")
    clock.now = shanghai(24, 11)
    await services.cases.resolve(operator(services), case.ref, "parcel found")
    await services.cases.close(operator(services), case.ref)

    clock.now = shanghai(30, 10)  # the next Monday: the first resolution due (Thu 26) is long past
    reopened = await services.cases.reopen(operator(services), case.ref, "parcel still missing")
    assert reopened.reopened_at == shanghai(30, 10)
    assert reopened.due_at == reopened.resolution_due_at == datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    assert await agree(services, case.ref) == reopened.due_at
    first, resolution = await services.cases.clocks(reopened)
    assert first.stopped and not first.breached  # the first response stays met
    assert not resolution.breached and resolution.remaining == resolution.target
    assert await services.cases.sweep() == {"escalated": 0, "closed": 0}
    assert await services.cases.count(CaseFilter(overdue=True)) == 0

    # Its own three business days later, the new clock breaches and escalates as any other.
    clock.now = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
    assert (await services.cases.sweep())["escalated"] == 1
    assert (await events(services, case.ref))[-1].data["reason"] == "SLA breached"


async def test_a_reopen_of_a_case_resolved_without_a_contact_keeps_its_first_response_met(world):
    services, clock, _changes = world
    case = await new_case(services, level=3)  # first response due 11:00
    await services.cases.escalate(operator(services), case.ref, "refund")
    clock.now = shanghai(23, 10, 30)
    await services.cases.resolve(supervisor(services), case.ref, "refunded, customer told")
    clock.now = shanghai(27, 10)
    reopened = await services.cases.reopen(operator(services), case.ref, "refund not received")
    # The resolution told the customer: it was the first response (as the reports count it).
    assert reopened.first_response_at == shanghai(23, 10, 30)
    assert reopened.due_at == reopened.resolution_due_at == shanghai(30, 10)  # L3: 1 business day
    first, _resolution = await services.cases.clocks(reopened)
    assert first.stopped and not first.breached
    assert await services.cases.sweep() == {"escalated": 0, "closed": 0}


async def test_waiting_before_the_reopen_does_not_count_on_the_new_clock(world):
    services, clock, _changes = world
    case = await new_case(services)
    await services.cases.triage(operator(services), case.ref)
    await services.cases.wait(operator(services), case.ref, on="carrier")
    clock.now = shanghai(25, 10)
    await services.cases.resume(operator(services), case.ref)
    await services.cases.resolve(operator(services), case.ref, "delivered")
    clock.now = shanghai(26, 10)
    reopened = await services.cases.reopen(operator(services), case.ref, "wrong parcel")
    # Thursday 10:00 + 3 business days (weekend off); the two days waited before do not count
    assert reopened.due_at == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    await services.cases.wait(operator(services), case.ref, on="customer")
    clock.now = shanghai(27, 10)
    resumed = await services.cases.resume(operator(services), case.ref)
    assert resumed.due_at == datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # a business day later
    assert await agree(services, case.ref) == resumed.due_at


async def test_exports_and_reports_read_the_due_times_of_the_config_they_run_with(
    tmp_path, settings
):
    import csv
    import io

    path = tmp_path / "desk.db"
    clock = Clock(MONDAY_10)
    async with open_store(path) as store:
        services = Services(store, settings, clock=clock)
        case = await new_case(services)  # first response due Monday 15:00
    clock.now = shanghai(23, 16)
    holiday = msgspec.structs.replace(settings, holidays=[date(2026, 11, 23)])
    async with open_store(path) as store:  # e.g. `shopdesk export cases` right after the edit
        services = Services(store, holiday, clock=clock)
        data = b"".join([chunk async for chunk in services.exports.stream("cases")])
        [row] = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        assert row["ref"] == case.ref
        assert row["first_response_due_at"] == "2026-11-24T14:00:00+08:00"
        assert row["first_response_met"] == ""  # still running, not breached
        first = (await services.reports.summary()).first_response
        assert (first.breached, first.pending) == (0, 1)
    async with open_store(path) as store:
        services = Services(store, settings, clock=clock)  # the holiday undone: due at 15:00
        first = (await services.reports.summary()).first_response
        assert (first.breached, first.pending) == (1, 0)
