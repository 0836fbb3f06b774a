"""Store.group_writer: items submitted together share one transaction; a bad item fails alone; a
result is given only once its transaction committed; other writes get their turn while a stream of
items keeps coming."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest

from shopdesk.store import open_store


def _add_sources(db: sqlite3.Connection, names: list[str]) -> list[int]:
    ids = []
    for name in names:
        if name.startswith("bad"):
            raise ValueError(f"{name} is a bad item")
        cursor = db.execute(
            "INSERT INTO sources (name, kind, secret, created_at) VALUES (?, 'generic', 'x', 't')",
            (name,))
        ids.append(cursor.lastrowid)
    return ids


def _slow(db: sqlite3.Connection, names: list[str]) -> list[int]:
    ids = _add_sources(db, names)
    time.sleep(0.01)
    return ids


def _forgets_one(db: sqlite3.Connection, names: list[str]) -> list[int]:
    return _add_sources(db, names)[1:]


def _writer(store, write, max_batch: int):
    return store.group_writer(write, max_batch=max_batch)


async def _names(store) -> list[str]:
    async with store.reader.execute("SELECT name FROM sources ORDER BY id") as cursor:
        return [row[0] for row in await cursor.fetchall()]


async def test_items_submitted_together_share_one_transaction(tmp_path):
    async with open_store(tmp_path / "s.db") as store:
        writer = _writer(store, _add_sources, 100)
        ids = await asyncio.gather(*(writer.submit(f"s{n}") for n in range(10)))
        assert writer.batches == 1 and writer.items == 10
        assert sorted(ids) == list(range(1, 11))
        assert await _names(store) == [f"s{n}" for n in range(10)]


async def test_a_result_is_given_once_its_transaction_committed(tmp_path):
    async with open_store(tmp_path / "s.db") as store:
        writer = _writer(store, _add_sources, 100)
        await writer.submit("committed")
        assert await _names(store) == ["committed"]  # the reader connection sees it


async def test_a_bad_item_fails_alone(tmp_path):
    async with open_store(tmp_path / "s.db") as store:
        writer = _writer(store, _add_sources, 100)
        outcomes = await asyncio.gather(
            writer.submit("a"), writer.submit("bad one"), writer.submit("b"),
            return_exceptions=True)
        assert isinstance(outcomes[1], ValueError) and "bad one" in str(outcomes[1])
        assert await _names(store) == ["a", "b"]
        assert await writer.submit("after") > 0  # the writer goes on


async def test_batches_are_at_most_max_batch(tmp_path):
    async with open_store(tmp_path / "s.db") as store:
        writer = _writer(store, _add_sources, 4)
        await asyncio.gather(*(writer.submit(f"s{n}") for n in range(10)))
        assert writer.batches == 3 and writer.items == 10


async def test_a_write_that_returns_too_few_results_fails_instead_of_hanging(tmp_path):
    async with open_store(tmp_path / "s.db") as store:
        writer = _writer(store, _forgets_one, 100)
        outcomes = await asyncio.wait_for(asyncio.gather(
            writer.submit("a"), writer.submit("b"), return_exceptions=True), timeout=10)
        assert all(isinstance(outcome, ValueError) for outcome in outcomes)
        assert await _names(store) == []  # nothing of a broken write is kept


async def test_other_writes_get_their_turn_while_items_keep_coming(tmp_path):
    """A stream of items does not keep store.transaction() waiting until the stream ends."""
    async with open_store(tmp_path / "s.db") as store:
        writer = _writer(store, _slow, 1)
        stop = asyncio.Event()

        async def keep_submitting(prefix: str) -> None:
            n = 0
            while not stop.is_set():
                n += 1
                await writer.submit(f"{prefix}{n}")

        streams = [asyncio.create_task(keep_submitting(f"s{k}-")) for k in range(4)]
        await asyncio.sleep(0.05)

        async def operator_write() -> None:
            async with store.transaction() as conn:
                await conn.execute("INSERT INTO sources (name, kind, secret, created_at) "
                                   "VALUES ('operator', 'generic', 'x', 't')")

        try:
            await asyncio.wait_for(operator_write(), timeout=2)
        finally:
            stop.set()
            await asyncio.gather(*streams)
        assert "operator" in await _names(store)


@pytest.mark.parametrize("count", [1, 300])
async def test_aclose_waits_for_what_was_submitted(tmp_path, count):
    async with open_store(tmp_path / "s.db") as store:
        writer = _writer(store, _add_sources, 256)
        tasks = [asyncio.create_task(writer.submit(f"s{n}")) for n in range(count)]
        await asyncio.sleep(0)
        await writer.aclose()
        await asyncio.gather(*tasks)
        assert len(await _names(store)) == count
