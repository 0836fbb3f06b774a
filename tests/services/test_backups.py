"""Backups (README "Backups"): a copy made while webhooks come in is whole and restores row for row;
scheduled backups rotate; the last backup shows on /healthz; a copy that cannot be written leaves
nothing under its name."""

from __future__ import annotations

import asyncio
import errno
import itertools
import signal
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from api_helpers import encode, generic_event, generic_headers
from clocks import FakeClock
from litestar.testing import AsyncTestClient
from ports import free_port
from waiting import eventually, scaled

from shopdesk import logs

from shopdesk.api.app import create_app
from shopdesk.serving.server import serve_api
from shopdesk.config import BackupSettings, Settings
from shopdesk.domain.errors import ValidationError
from shopdesk.services import Services
from shopdesk.services.backups import backup_forever
from shopdesk.services.demo import fill_demo
from shopdesk.services.restore import restore
from shopdesk.store import backup as store_backup
from shopdesk.store import open_store

SECRET = "whsec_backup_test_secret_0123456789"


def rows_of(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows in a fixed order, read from the file (the last-backup record aside:
    it is written after each copy)."""
    conn = sqlite3.connect(path)
    try:
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]
        found = {}
        for table in tables:
            where = " WHERE key != 'last_backup'" if table == "store_meta" else ""
            found[table] = sorted(conn.execute(f"SELECT * FROM {table}{where}").fetchall(),
                                  key=repr)
        return found
    finally:
        conn.close()


def webhook(n: int) -> tuple[bytes, dict]:
    event = generic_event(id=f"evt_{n}")
    event["order"] = {**event["order"], "id": f"o{n}", "number": f"SO-{n}"}
    body = encode(event)
    return body, generic_headers(body, SECRET)


async def test_a_backup_under_webhook_load_is_whole_and_restores_row_for_row(tmp_path):
    path = tmp_path / "shop.db"
    logs.configure_file_logging(tmp_path / "serve.log")
    async with open_store(path) as store:
        await fill_demo(store, cases=200)
        services = Services(store)
        await services.sources.add("shop", "generic", SECRET)
        answered: list[int] = []
        during: list[int] = []  # webhooks answered while a backup was being made
        backing_up = False
        stop = asyncio.Event()
        numbers = itertools.count()

        port = free_port()
        ready = asyncio.Event()
        serving = asyncio.create_task(serve_api(services, services.settings, port=port,
                                                ready=ready))
        await asyncio.wait_for(ready.wait(), scaled(20))
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}",
                                         timeout=scaled(30)) as client:
                async def sender() -> None:
                    while not stop.is_set():
                        body, headers = webhook(next(numbers))
                        response = await client.post("/webhooks/shop", content=body,
                                                     headers=headers)
                        assert response.status_code == 200, response.text
                        answered.append(1)
                        if backing_up:
                            during.append(1)

                senders = [asyncio.create_task(sender()) for _ in range(4)]
                await eventually(lambda: len(answered) >= 20, what="webhooks coming in")
                copies = []
                for attempt in range(10):  # until a copy was made with webhooks landing meanwhile
                    backing_up = True
                    copies.append(await services.backups.back_up(tmp_path / f"mid-{attempt}.db"))
                    backing_up = False
                    if during:
                        break
                assert during, "no webhook was answered while a backup was being made"
                stop.set()
                await asyncio.gather(*senders)
        finally:
            signal.raise_signal(signal.SIGTERM)  # what `kill` does to `shopdesk serve`
            await asyncio.wait_for(serving, scaled(20))

        mid = store_backup.inspect(copies[-1].path)  # whole: integrity_check ok
        assert mid.cases >= 200
        # A snapshot of one moment: every order event it holds has its order, and vice versa.
        conn = sqlite3.connect(copies[-1].path)
        orphans = conn.execute("SELECT count(*) FROM order_events WHERE order_id NOT IN "
                               "(SELECT id FROM orders)").fetchone()[0]
        conn.close()
        assert orphans == 0

        final = await services.backups.back_up(tmp_path / "final.db")
        assert (await services.backups.last()).path == final.path
        expected = rows_of(path)
    restored = tmp_path / "restored.db"
    outcome = await restore(final.path, restored)
    assert outcome.aside is None
    assert rows_of(restored) == expected
    assert sum(len(rows) for rows in expected.values()) > 1000  # a real store, compared in full


async def test_scheduled_backups_come_every_interval_and_keep_the_newest(tmp_path):
    clock = FakeClock(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))
    directory = tmp_path / "backups"
    settings = Settings(backup=BackupSettings(dir=str(directory), every="1d", keep=2))
    async with open_store(tmp_path / "shop.db") as store:
        services = Services(store, settings, clock=clock)
        seen: set[str] = set()

        def made(count: int):
            def check() -> bool:
                seen.update(p.name for p in directory.glob("*.db"))
                return len(seen) >= count
            return check

        task = asyncio.create_task(backup_forever(services, poll=0.01))
        try:
            await eventually(made(1), what="the first backup, due at once")
            await asyncio.sleep(0.1)  # nothing new is due before a day has passed
            assert made(2)() is False
            for day in range(2, 5):
                clock.advance(days=1)
                await eventually(made(day), what=f"backup {day}")
            await eventually(lambda: len(list(directory.glob("*.db"))) == 2,
                             what="the older backups deleted")
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        kept = sorted(p.name for p in directory.glob("*.db"))
        assert kept == ["shop-20261203-030000.db", "shop-20261204-030000.db"]
        assert sorted(seen)[:2] == ["shop-20261201-030000.db", "shop-20261202-030000.db"]
        for name in kept:
            store_backup.inspect(directory / name)
        last = await services.backups.last()
        assert last.at == datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
        async with AsyncTestClient(create_app(services), base_url="http://127.0.0.1:8765") as client:
            health = (await client.get("/healthz")).json()
        assert health["last_backup"] == "2026-12-04T03:00:00+00:00"


async def test_healthz_says_no_backup_yet(tmp_path):
    async with open_store(tmp_path / "shop.db") as store:
        async with AsyncTestClient(create_app(Services(store)),
                                   base_url="http://127.0.0.1:8765") as client:
            assert (await client.get("/healthz")).json()["last_backup"] is None


async def test_no_schedule_without_a_backup_dir(tmp_path):
    async with open_store(tmp_path / "shop.db") as store:
        await asyncio.wait_for(backup_forever(Services(store)), 5)  # returns at once
        assert await Services(store).backups.last() is None


@pytest.mark.parametrize("failing", ["copy", "rename"])
async def test_a_disk_that_refuses_the_copy_leaves_nothing_under_the_name(
        tmp_path, monkeypatch, failing):
    """A read-only or full disk, at the copy or at the final rename: a clear error naming the
    path, no file under the name, no temporary file left, no last-backup recorded."""
    async with open_store(tmp_path / "shop.db") as store:
        services = Services(store)
        target = tmp_path / "out" / "copy.db"
        target.parent.mkdir()
        if failing == "rename":
            def read_only(*args):
                raise OSError(errno.EROFS, "Read-only file system")
            monkeypatch.setattr(store_backup.os, "replace", read_only)
            reason = "Read-only file system"
        else:
            def full(path, what):  # the copy was written, then the disk filled up
                assert path.exists()
                raise sqlite3.OperationalError("database or disk is full")
            monkeypatch.setattr(store_backup, "_check", full)
            reason = "database or disk is full"
        with pytest.raises(ValidationError) as error:
            await services.backups.back_up(target)
        assert str(error.value) == f"cannot write {target}: {reason}"
        assert error.value.field == "path"
        assert list(target.parent.iterdir()) == []
        assert await services.backups.last() is None


async def test_an_existing_path_is_refused_without_force_and_replaced_with_it(tmp_path):
    async with open_store(tmp_path / "shop.db") as store:
        services = Services(store)
        target = tmp_path / "copy.db"
        target.write_bytes(b"an older backup")
        with pytest.raises(ValidationError, match="exists; choose another name or add --force"):
            await services.backups.back_up(target)
        assert target.read_bytes() == b"an older backup"
        await services.backups.back_up(target, force=True)
        assert store_backup.inspect(target).version >= 1


async def test_restore_keeps_the_replaced_store_aside(tmp_path):
    path = tmp_path / "shop.db"
    async with open_store(path) as store:
        services = Services(store)
        await services.sources.add("shop", "generic", SECRET)
        copy = await services.backups.back_up(tmp_path / "copy.db")
        await services.sources.add("later", "generic", SECRET)  # after the backup
        before = rows_of(path)
    outcome = await restore(copy.path, path, now=datetime(2026, 12, 8, 9, 30))
    assert outcome.aside == tmp_path / "shop.db.replaced-20261208-093000"
    assert rows_of(outcome.aside) == before  # the replaced store, whole, WAL folded in
    async with open_store(path) as store:
        names = [s.name for s in await Services(store).sources.list()]
    assert names == ["shop"]


async def test_restore_is_refused_while_the_store_is_open(tmp_path):
    path = tmp_path / "shop.db"
    async with open_store(path) as store:
        copy = await Services(store).backups.back_up(tmp_path / "copy.db")
        identity = path.stat().st_ino
        with pytest.raises(Exception, match="is open in another process"):
            await restore(copy.path, path)
        assert path.stat().st_ino == identity
        assert not list(tmp_path.glob("*.replaced-*"))
        assert await Services(store).sources.list() == []  # the open store goes on working
