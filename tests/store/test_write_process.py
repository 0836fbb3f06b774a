"""The store's write process (GroupWriter.use_process): batches are written by a helper process of
its own; a killed helper fails only the batch in hand and another takes over; the helper ends with
the store, and when the process that started it dies; if it cannot start, the thread writes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest
from processes import alive, gone

from shopdesk.domain.errors import TransitionError
from shopdesk.store import group_writer, open_store, write_process
from shopdesk.store.write_process import WriteProcessEnded


def _pids(db: sqlite3.Connection, names: list[str]) -> list[int]:
    """Writes a source per name; the result is the pid of the process that wrote it."""
    for name in names:
        db.execute("INSERT INTO sources (name, kind, secret, created_at) "
                   "VALUES (?, 'generic', 'x', 't')", (name,))
    return [os.getpid()] * len(names)


def _slow_pids(db: sqlite3.Connection, names: list[str]) -> list[int]:
    time.sleep(0.3)
    return _pids(db, names)


def _refuses(db: sqlite3.Connection, names: list[str]) -> list[int]:
    if "closed case" in names:
        raise TransitionError("resolve", "closed", [])
    return _pids(db, names)


def _helper(store, write):
    """A group writer of `write` whose batches the helper process writes."""
    writer = store.group_writer(write, max_batch=100)
    writer.use_process()
    return writer


async def _names(store) -> list[str]:
    async with store.reader.execute("SELECT name FROM sources ORDER BY id") as cursor:
        return [row[0] for row in await cursor.fetchall()]


async def test_batches_are_written_by_a_helper_process(tmp_path):
    async with open_store(tmp_path / "s.db") as store:
        writer = _helper(store, _pids)
        pids = await asyncio.gather(*(writer.submit(f"s{n}") for n in range(5)))
        helper = writer.process_pid
        assert helper is not None and helper != os.getpid()
        assert set(pids) == {helper}
        assert await _names(store) == [f"s{n}" for n in range(5)]  # committed, seen here
    assert gone(helper)  # closing the store stopped it


async def test_a_killed_helper_fails_the_batch_in_hand_and_a_new_one_takes_over(tmp_path):
    async with open_store(tmp_path / "s.db") as store:
        writer = _helper(store, _slow_pids)
        first = writer.process_pid
        await writer.submit("warm")  # the helper is up
        in_hand = asyncio.gather(*(writer.submit(f"lost{n}") for n in range(3)),
                                 return_exceptions=True)
        await asyncio.sleep(0.1)  # the helper is in the middle of that batch
        os.kill(first, signal.SIGKILL)
        outcomes = await asyncio.wait_for(in_hand, timeout=30)
        assert all(isinstance(outcome, WriteProcessEnded) for outcome in outcomes), outcomes
        assert "nothing of this batch was acknowledged" in str(outcomes[0])
        after = await asyncio.wait_for(writer.submit("after"), timeout=60)
        assert after == writer.process_pid and after != first
        assert await _names(store) == ["warm", "after"]  # the killed batch left nothing behind
    with sqlite3.connect(tmp_path / "s.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


async def test_an_error_that_cannot_be_pickled_comes_back_in_words(tmp_path):
    async with open_store(tmp_path / "s.db") as store:
        writer = _helper(store, _refuses)
        outcomes = await asyncio.gather(writer.submit("open case"), writer.submit("closed case"),
                                        return_exceptions=True)
        assert outcomes[0] == writer.process_pid
        assert isinstance(outcomes[1], RuntimeError)
        assert "TransitionError: cannot resolve a case that is closed" in str(outcomes[1])
        assert await _names(store) == ["open case"]


async def test_if_the_helper_cannot_start_the_thread_writes(tmp_path, monkeypatch):
    monkeypatch.setattr(write_process, "command",
                        lambda: [sys.executable, "-c", "import sys; sys.exit(3)"])
    async with open_store(tmp_path / "s.db") as store:
        writer = _helper(store, _pids)
        assert await writer.submit("s1") == os.getpid()
        assert writer.process_pid is None
        assert await _names(store) == ["s1"]


def test_the_helper_ends_when_the_process_that_started_it_is_killed(tmp_path):
    script = textwrap.dedent(f"""
        import asyncio, os, sys
        sys.path[:0] = [{os.path.dirname(__file__)!r}, {os.path.dirname(os.path.dirname(__file__))!r}]
        from test_write_process import _pids
        from shopdesk.store import open_store

        async def main():
            async with open_store({str(tmp_path / "s.db")!r}) as store:
                writer = store.group_writer(_pids, max_batch=10)
                writer.use_process()
                await writer.submit("before the kill")
                print(writer.process_pid, flush=True)
                await asyncio.sleep(60)

        asyncio.run(main())
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        helper = int(parent.stdout.readline())
        assert alive(helper)
        parent.kill()
        parent.wait()
        assert gone(helper)
    finally:
        if parent.poll() is None:
            parent.kill()
    with sqlite3.connect(tmp_path / "s.db") as db:
        assert db.execute("SELECT name FROM sources").fetchall() == [("before the kill",)]


async def test_stop_signals_are_for_the_server_not_the_helper(tmp_path):
    """The helper is in a session of its own (Ctrl+C or a hangup in the terminal running `shopdesk
    serve` reaches the server only) and lets SIGTERM, SIGINT and SIGHUP pass (a service manager
    stopping every process of the service): the server drains its deliveries through the helper,
    then closes it; the helper never stops in the middle of a batch."""
    async with open_store(tmp_path / "s.db") as store:
        writer = _helper(store, _pids)
        helper = await writer.submit("s1")
        assert os.getsid(helper) == helper != os.getsid(0)
        assert os.getpgid(helper) != os.getpgid(0)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            os.kill(helper, signum)
        assert await writer.submit("s2") == helper
        assert await _names(store) == ["s1", "s2"]
    assert gone(helper)


async def test_a_helper_that_stops_answering_is_killed_and_replaced(tmp_path, monkeypatch):
    """A helper stuck (here: stopped; in life a disk that does not answer) does not hang intake
    for good: after HUNG_SECONDS its batch fails, unacknowledged, and a new helper goes on."""
    monkeypatch.setattr(group_writer, "HUNG_SECONDS", 0.5)
    async with open_store(tmp_path / "s.db") as store:
        writer = _helper(store, _pids)
        stuck = await writer.submit("warm")
        os.kill(stuck, signal.SIGSTOP)
        try:
            with pytest.raises(WriteProcessEnded):
                await asyncio.wait_for(writer.submit("held"), timeout=30)
            after = await asyncio.wait_for(writer.submit("after"), timeout=60)
            assert after not in (stuck, os.getpid())
        finally:
            with contextlib.suppress(ProcessLookupError):  # killed, as it should be
                os.kill(stuck, signal.SIGCONT)
        assert gone(stuck)
        assert await _names(store) == ["warm", "after"]


async def test_closing_does_not_wait_for_a_stuck_helper_for_ever(tmp_path, monkeypatch):
    """`shopdesk serve` stopping with its helper stuck: after STOP_SECONDS the helper is killed and
    the store closes (the batch in hand unacknowledged), instead of a process that never ends."""
    monkeypatch.setattr(group_writer, "STOP_SECONDS", 0.5)
    store_cm = open_store(tmp_path / "s.db")
    store = await store_cm.__aenter__()
    writer = _helper(store, _pids)
    stuck = await writer.submit("warm")
    os.kill(stuck, signal.SIGSTOP)
    try:
        held = asyncio.create_task(writer.submit("held"))
        await asyncio.sleep(0.1)
        await asyncio.wait_for(store_cm.__aexit__(None, None, None), timeout=30)
        with pytest.raises(WriteProcessEnded):
            await held
    finally:
        with contextlib.suppress(ProcessLookupError):  # killed, as it should be
            os.kill(stuck, signal.SIGCONT)
    assert gone(stuck)


async def test_a_helper_never_creates_the_store_file(tmp_path):
    """A store deleted under a running server: a new helper refuses to open it (the thread writes,
    as before) instead of leaving an empty file at the store's path."""
    path = tmp_path / "dir with space 店" / "s.db"
    async with open_store(path) as store:
        writer = _helper(store, _pids)
        first = await writer.submit("s1")
        for leftover in path.parent.iterdir():
            leftover.unlink()
        os.kill(first, signal.SIGKILL)
        with contextlib.suppress(WriteProcessEnded):
            await writer.submit("s2")  # may meet the killed helper
        await asyncio.gather(writer.submit("s3"), return_exceptions=True)  # (the thread's file
        assert writer.process_pid is None  # is gone too: a disk I/O error, not a false 2xx)
        assert not path.exists()


async def test_a_helper_from_other_code_refuses_and_the_thread_writes(tmp_path, monkeypatch,
                                                                       caplog):
    """shopdesk upgraded (or its files edited) under a running server: a helper started now runs
    the new code, which may not read this process's batches. It refuses; the thread writes."""
    monkeypatch.setattr(write_process, "CODE_ID", "code-of-before")
    async with open_store(tmp_path / "s.db") as store:
        writer = _helper(store, _pids)
        assert await writer.submit("s1") == os.getpid()
        assert writer.process_pid is None
        assert await _names(store) == ["s1"]
    assert "restart that process" in caplog.text
