"""A write cancelled while it waits (a TUI worker replaced by a newer one, an app exiting) leaves no
transaction open on the writer: the next write, this process's or another's, goes through."""

from __future__ import annotations

import asyncio
import sqlite3

from waiting import scaled

from shopdesk.store import open_store


async def test_a_transaction_cancelled_at_its_begin_leaves_the_writer_free(tmp_path):
    path = tmp_path / "shop.db"
    async with open_store(path) as store:
        async with store.transaction() as conn:
            await conn.execute("CREATE TABLE scratch (key TEXT)")
        for delay in (0, 0, 0.001):  # at BEGIN, and a moment later
            async def write() -> None:
                async with store.transaction() as conn:
                    await conn.execute("INSERT INTO scratch VALUES ('k')")

            task = asyncio.create_task(write())
            await asyncio.sleep(delay)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            async with store.transaction() as conn:  # was: "cannot start a transaction within a
                await conn.execute("DELETE FROM scratch WHERE key = 'k'")  # transaction"
        other = sqlite3.connect(path, timeout=scaled(5))  # another process is not locked out either
        with other:
            other.execute("INSERT INTO scratch VALUES ('other')")
        other.close()
