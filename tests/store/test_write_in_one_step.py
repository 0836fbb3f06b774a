"""Store.write_in_one_step: a batch writer's transaction in one step on the writer's thread."""

from __future__ import annotations

import sqlite3

import pytest

from shopdesk.store import open_store


def _add_source(db: sqlite3.Connection, name: str) -> int:
    db.execute("INSERT INTO sources (name, kind, secret, created_at) VALUES (?, 'generic', 'x', 't')",
               (name,))
    return db.execute("SELECT count(*) FROM sources").fetchone()[0]


async def test_commits_and_returns_the_result(tmp_path):
    async with open_store(tmp_path / "s.db") as store:
        assert await store.write_in_one_step(_add_source, "a") == 1
        async with store.reader.execute("SELECT name FROM sources") as cursor:
            assert [row[0] for row in await cursor.fetchall()] == ["a"]


async def test_an_error_rolls_everything_back(tmp_path):
    def add_then_fail(db: sqlite3.Connection) -> None:
        _add_source(db, "b")
        raise ValueError("broken batch")

    async with open_store(tmp_path / "s.db") as store:
        with pytest.raises(ValueError, match="broken batch"):
            await store.write_in_one_step(add_then_fail)
        async with store.reader.execute("SELECT count(*) FROM sources") as cursor:
            assert (await cursor.fetchone())[0] == 0
        async with store.transaction() as conn:  # the writer is usable afterwards
            await conn.execute(
                "INSERT INTO sources (name, kind, secret, created_at) VALUES ('c', 'generic', 'x', 't')")
