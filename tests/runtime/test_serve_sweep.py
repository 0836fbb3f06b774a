"""`shopdesk serve` sweeps the store it serves: an SLA breach escalates and a stale resolved case
closes with no TUI running; the sweep stops with the server."""

from __future__ import annotations

import asyncio
import re
import signal
from datetime import UTC, datetime, timedelta

from clocks import FakeClock
from ports import free_port
from waiting import eventually, scaled

from shopdesk import logs
from shopdesk.config import DetectionSettings, Settings
from shopdesk.domain.cases import Customer
from shopdesk.services import Services
from shopdesk.serving.server import serve_api
from shopdesk.store import open_store

MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai




async def test_serve_escalates_breaches_and_closes_stale_cases_without_a_tui(tmp_path):
    logs.configure_file_logging(tmp_path / "serve.log")
    settings = Settings(detection=DetectionSettings(sweep_seconds=1))
    clock = FakeClock(MONDAY_10)
    async with open_store(tmp_path / "shop.db") as store:
        services = Services(store, settings, clock=clock)
        anyone = services.actor("li.na")
        breached, _ = await services.cases.open(
            anyone, kind="lost", level=3, customer=Customer(name="张伟"))
        stale, _ = await services.cases.open(anyone, kind="damaged", level=1)
        await services.cases.triage(anyone, stale.ref)
        await services.cases.resolve(anyone, stale.ref, "replaced")
        clock.now = MONDAY_10 + timedelta(days=settings.close_after_days, hours=1)

        ready = asyncio.Event()
        serving = asyncio.create_task(serve_api(services, settings, port=free_port(),
                                                ready=ready))
        await asyncio.wait_for(ready.wait(), scaled(10))
        try:
            async def closed() -> bool:  # the first sweep comes after sweep_seconds (1 s)
                return (await services.cases.get(stale.ref)).status == "closed"

            await eventually(closed, what="the sweep to close the stale case")
            case = await services.cases.get(breached.ref)
            assert (case.status, case.tier) == ("escalated", "supervisor")
            assert (await services.cases.get(stale.ref)).status == "closed"
        finally:
            signal.raise_signal(signal.SIGTERM)  # what `kill` does to `shopdesk serve`
            await asyncio.wait_for(serving, scaled(20))
        assert not [task for task in asyncio.all_tasks() if task.get_name() == "sweep"]
    text = (tmp_path / "serve.log").read_text(encoding="utf-8")
    assert re.search(r"sweep: checked \d+ orders; .*escalated \['C-\d+'\], "
                     r"closed resolved \['C-\d+'\]", text), text
