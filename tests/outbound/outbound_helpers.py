"""Helpers of the outbound tests: a movable clock, the sender running for a block, waiting on a
condition, a case with a customer who has an email address."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

from shopdesk.domain.cases import Customer, Order
from shopdesk.sending.sender import OutboxSender
from shopdesk.services import Services

MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@contextlib.asynccontextmanager
async def sending(services: Services, **options):
    """The outbox sender running in this loop for the block."""
    sender = OutboxSender(services, poll_seconds=0.2, **options)
    task = asyncio.create_task(sender.run())
    try:
        yield sender
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def wait_until(predicate, timeout: float = 30.0, every: float = 0.02):
    """Wait for `await predicate()` to be truthy (polls; the condition, not a fixed sleep)."""
    async with asyncio.timeout(timeout):
        while True:
            value = await predicate()
            if value:
                return value
            await asyncio.sleep(every)


async def open_case(services: Services, *, urgent: bool = False, level: int = 1,
                    email: str = "wang@example.com", name: str = "Wang Fang"):
    order = Order(source="api", external_id="1001", number="SO-1001",
                  customer=Customer(name=name, email=email))
    case, _ = await services.cases.open(
        services.actor("li.na"), kind="delivery_delayed", level=level, urgent=urgent,
        title="Parcel stuck", order=order, customer=Customer(name=name, email=email),
    )
    return case
