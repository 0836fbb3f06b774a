"""A deterministic queue for the app tests: a store with a fixed clock and cases in every view.

`seed_queue(services)` opens, through the services, cases that land in each of the queue's views
(mine, urgent, overdue, escalated, waiting, resolved today) plus filler, so paging has work to do.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import clocks
from waiting import scaled

from textual.pilot import Pilot

from operator_seats import seat_from_settings

from shopdesk.config import Operator, Settings
from shopdesk.domain.cases import Actor, Case, Customer, Order
from shopdesk.services import Services
from shopdesk.store import open_store

# Monday 2026-11-23 14:00 in Shanghai: inside business hours.
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
ME = "alice"
SUPERVISOR = "sam"
FILLER = 40


def FakeClock(now: datetime = NOW) -> clocks.FakeClock:  # noqa: N802  (made like a class)
    """The queue world's clock: NOW unless told."""
    return clocks.FakeClock(now)


def queue_settings(**overrides) -> Settings:
    values = {
        "shop_name": "Teahouse",
        "operators": [Operator(name=SUPERVISOR, role="supervisor"), Operator(name=ME)],
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Seeded:
    lost: Case  # L3, with an order tracked by SF1234567890, customer 张伟
    mine: Case  # urgent, assigned to ME
    overdue: Case
    escalated: Case
    waiting: Case
    resolved: Case
    fillers: list[Case]


async def seed_queue(services: Services) -> Seeded:
    await seat_from_settings(services)
    me = services.actor(ME)
    bot = Actor("intake")
    order_id = await services.orders.upsert(Order(
        source="shop", external_id="1001", number="#1001", carrier="SF Express",
        tracking_number="SF1234567890",
        customer=Customer(name="张伟", phone="13800000001", email="zhang.wei@example.com"),
    ))
    lost, _ = await services.cases.open(bot, kind="lost", level=3, order_id=order_id,
                                        title="Parcel lost")
    mine, _ = await services.cases.open(bot, kind="urgent_order", level=2, urgent=True,
                                        assignee=ME, customer=Customer(name="Olivia Smith"))
    overdue, _ = await services.cases.open(
        bot, kind="damaged", level=2, customer=Customer(name="王芳"),
        opened_at=NOW - timedelta(days=6),
    )
    escalated, _ = await services.cases.open(bot, kind="complaint", level=1,
                                             customer=Customer(name="Liam Wilson"))
    escalated = await services.cases.escalate(me, escalated.ref, "customer wants the owner")
    waiting, _ = await services.cases.open(bot, kind="delivery_delayed", level=1,
                                           customer=Customer(name="陈静"))
    await services.cases.triage(me, waiting.ref)
    waiting = await services.cases.wait(me, waiting.ref, on="carrier")
    resolved, _ = await services.cases.open(bot, kind="refund_issue", level=1,
                                            customer=Customer(name="Grace Lee"))
    await services.cases.triage(me, resolved.ref)
    resolved = await services.cases.resolve(me, resolved.ref, "refunded")
    fillers = []
    for number in range(FILLER):
        case, _ = await services.cases.open(
            bot, kind="other", level=1, customer=Customer(name=f"Filler {number:02d}"),
            opened_at=NOW - timedelta(minutes=number),
        )
        fillers.append(case)
    return Seeded(lost, mine, overdue, escalated, waiting, resolved, fillers)


def seed_file(path: Path, settings: Settings | None = None) -> None:
    """A seeded store file, written on a loop of its own (for the sync snapshot tests)."""

    async def main() -> None:
        async with open_store(path) as store:
            await seed_queue(Services(store, settings or queue_settings(), clock=FakeClock()))

    asyncio.run(main())


def screen_text(app) -> str:
    """What the terminal shows, as plain text."""
    return "\n".join(
        "".join(segment.text for segment in strip)
        for strip in app.screen._compositor.render_strips()
    )


async def settle(pilot: Pilot, delay: float = 0.05) -> None:
    """Let workers finish and the screen repaint."""
    await pilot.pause(delay)
    await pilot.app.workers.wait_for_complete()
    for screen in pilot.app.screen_stack:
        await screen.workers.wait_for_complete()
    await pilot.pause(delay)


async def wait_until(pilot: Pilot, condition, timeout: float) -> float:
    """Pause until `condition()` holds; returns the seconds it took (fails after `timeout`)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not condition():
        if loop.time() - started > scaled(timeout):
            raise AssertionError(f"not within {scaled(timeout)} s")
        await pilot.pause(0.02)
    return loop.time() - started
