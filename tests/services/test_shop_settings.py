"""The shop's settings live in the store: one set of rules for every process and account, changed
by owners with who and when recorded, noticed live by running processes (due times recomputed in
batches, the sweep escalating on the new policy)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date

import pytest
from operator_seats import seat_from_settings
from test_cases import Clock, new_case, operator, owner, settings, shanghai

from shopdesk.config import Settings
from shopdesk.domain.errors import PermissionDenied, ValidationError
from shopdesk.services import Services
from shopdesk.services import cases as case_service
from shopdesk.store import open_store

__all__ = ["settings"]

MONDAY_10 = shanghai(23, 10)


async def until(condition, timeout: float = 20.0) -> None:
    """Wait for `condition()` (sync or async) to hold; fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_a_setting_is_the_stores_for_every_process_and_each_change_is_recorded(
    tmp_path, settings
):
    path = tmp_path / "desk.db"
    clock = Clock(MONDAY_10)
    async with open_store(path) as store:
        services = Services(store, settings, clock=clock)
        await seat_from_settings(services)  # roles live in the store
        assert await services.shop.set(owner(services), "calendar", "cn") == "CN"
        assert await services.shop.set(owner(services), "sla.L2.first_response", "2h") == "2h"
        assert services.settings.calendar == "CN"
        assert services.policy.targets["L2"] == ("2h", "3d")
        [latest, first] = await services.shop.history()
        assert (latest.key, latest.old, latest.new, latest.actor) == (
            "sla.L2.first_response", "4h", "2h", "lin.feng")
        assert (first.key, first.old, first.new, first.at) == ("calendar", None, "CN", MONDAY_10)
    # another process, started with a config file of its own (defaults here): the store's rules
    async with open_store(path) as store:
        other = Services(store, Settings(), clock=clock)
        await other.shop.load()
        assert other.settings.calendar == "CN"
        assert other.settings.sla["L2"].first_response == "2h"
        assert date(2026, 10, 1) in other.policy.calendar.holidays


async def test_bad_values_and_keys_are_refused_naming_them_and_nothing_is_stored(tmp_path, settings):
    path = tmp_path / "desk.db"
    async with open_store(path) as store:
        services = Services(store, settings, clock=Clock(MONDAY_10))
        await seat_from_settings(services)  # roles live in the store
        for key, value, named in [
            ("calendar", "XX", "calendar"),
            ("sla.L2.first_response", "4x", "sla.L2.first_response"),
            ("api.port", 70000, "api.port"),
            ("no_such_key", 1, "no_such_key"),
            ("lang", "zh", "lang"),  # a person's setting, not the shop's
        ]:
            with pytest.raises(ValidationError) as caught:
                await services.shop.set(owner(services), key, value)
            assert named in caught.value.detail
        await services.shop.set(owner(services), "holidays", ["2026-10-10"])
        with pytest.raises(ValidationError) as caught:
            await services.shop.set(owner(services), "extra_workdays", ["2026-10-10"])
        assert "holidays" in caught.value.detail and "extra_workdays" in caught.value.detail
        assert len(await services.shop.history()) == 1
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT key FROM shop_settings").fetchall() == [("holidays",)]


async def test_only_owners_change_them_once_operators_exist(tmp_path, settings):
    async with open_store(tmp_path / "desk.db") as store:
        services = Services(store, settings, clock=Clock(MONDAY_10))
        await seat_from_settings(services)  # roles live in the store
        with pytest.raises(PermissionDenied):
            await services.shop.set(operator(services), "shop_name", "Tea")
        assert (await services.shop.values())["shop_name"] == "My shop"
        nobody_named = Services(store, Settings(), clock=Clock(MONDAY_10))
        assert await nobody_named.shop.set(nobody_named.actor("anyone"), "shop_name", "Tea") == "Tea"


async def test_a_shop_key_in_a_personal_file_is_named_with_where_it_belongs(tmp_path, settings):
    personal = tmp_path / "config.toml"
    personal.write_text('lang = "zh"\ntimezone = "Europe/Berlin"\nholidays = [2026-12-24]\n',
                        encoding="utf-8")
    async with open_store(tmp_path / "desk.db") as store:
        services = Services(store, settings, clock=Clock(MONDAY_10))
        await seat_from_settings(services)  # roles live in the store
        await services.shop.set(owner(services), "timezone", "Asia/Shanghai")
        notes = services.shop.file_notes(personal, await services.shop.stored_keys())
    assert len(notes) == 2
    assert "timezone" in notes[0] and "ignored" in notes[0]
    assert "holidays" in notes[1] and "shopdesk config import" in notes[1]


async def test_a_change_made_elsewhere_reaches_a_running_process_and_its_sweep(tmp_path, settings):
    """`shopdesk serve` runs; an owner declares a holiday with `shopdesk config set` (another
    process): serve's due times move and its sweep escalates on them, without a restart."""
    path = tmp_path / "desk.db"
    clock = Clock(MONDAY_10)
    async with open_store(path) as serve_store, open_store(path) as cli_store:
        serving = Services(serve_store, settings, clock=clock)
        await seat_from_settings(serving)  # roles live in the store
        case = await new_case(serving)  # L2: first response due Monday 15:00 (lunch between)
        assert (await serving.cases.get(case.ref)).due_at == shanghai(23, 15)
        changes = []
        serving.changes.subscribe(changes.append)
        watch = asyncio.create_task(serving.shop.watch(interval=0.05))
        try:
            cli = Services(cli_store, settings, clock=clock)
            await seat_from_settings(cli)  # roles live in the store
            await cli.shop.set(owner(cli), "holidays", ["2026-11-23"])  # Monday off after all
            await until(lambda: date(2026, 11, 23) in serving.policy.calendar.holidays)
            assert any(change.what == "settings" for change in changes)

            async def moved():
                return (await serving.cases.get(case.ref)).due_at == shanghai(24, 14)

            await until(moved)  # 4 business hours from Tuesday 09:00, lunch between
            clock.now = shanghai(24, 14, 30)
            assert (await serving.cases.sweep())["escalated"] == 1
        finally:
            watch.cancel()


async def test_recompute_goes_in_batches_each_its_own_transaction(tmp_path, settings, monkeypatch):
    monkeypatch.setattr(case_service, "RECOMPUTE_BATCH", 3)
    path = tmp_path / "desk.db"
    clock = Clock(MONDAY_10)
    async with open_store(path) as store:
        services = Services(store, settings, clock=clock)
        await seat_from_settings(services)  # roles live in the store
        refs = [(await new_case(services)).ref for _ in range(8)]
        transactions = []
        real = store.transaction

        def counting():
            transactions.append(1)
            return real()

        monkeypatch.setattr(store, "transaction", counting)
        await services.shop.load()
        services.apply_settings(Settings(operators=settings.operators,
                                         holidays=[date(2026, 11, 23)]))
        assert await services.cases.ensure_due_times() == 8
        assert len(transactions) >= 3 + 1  # three batches of at most 3, then the fingerprint
        for ref in refs:
            assert (await services.cases.get(ref)).due_at == shanghai(24, 14)
