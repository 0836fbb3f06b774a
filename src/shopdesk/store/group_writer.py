"""Group commit: items submitted at about the same time written many to one transaction.

A batch is written by `write(db, items)` (a plain module-level function returning one result per
item) with its BEGIN and COMMIT on the store's writer connection, in one step on its thread. A
submitter gets its result only once the transaction holding its item committed, and the store's
write lock is held while a batch is written, so the process's other writes
(`Store.transaction()`) queue on that lock rather than on SQLite's busy timeout.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import sqlite3
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import aiosqlite

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")
Write = Callable[[sqlite3.Connection, list[Any]], list[Any]]


class GroupWriter(Generic[T, R]):
    """Items submitted at about the same time are written by `write(db, items)` in one
    transaction, many to one fsync.

    The writer takes the next batch as soon as it has committed one. One turn holds the store's
    write lock at most TURN_SECONDS (then other writes, which queue on the lock, go first); the last
    batch of a turn is answered once the lock is released. A batch that fails is written again one
    item to a transaction, so a bad item fails alone; `submit` raises its error."""

    TURN_SECONDS = 0.05

    def __init__(self, lock: asyncio.Lock, writer: aiosqlite.Connection,
                 write: Callable[[sqlite3.Connection, list[T]], list[R]], *, max_batch: int) -> None:
        self._lock = lock  # the store's write lock, and its writer connection
        self._writer = writer
        self._write = write
        self._max_batch = max_batch
        # appended to by the loop, taken from by the writer's thread (deque: both are atomic)
        self._pending: collections.deque[tuple[T, asyncio.Future[R]]] = collections.deque()
        self._drainer: asyncio.Task[None] | None = None
        self.batches = 0  # transactions written, and the items they held
        self.items = 0

    async def submit(self, item: T) -> R:
        """The item's result, once the transaction holding it has committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._pending.append((item, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = loop.create_task(self._drain(), name="group-writer")
        return await future

    async def aclose(self) -> None:
        """Wait for the items already submitted to be written."""
        drainer = self._drainer
        if drainer is not None and not drainer.done():
            await _finished(drainer)

    async def _drain(self) -> None:
        writer = self._writer
        try:
            while self._pending:  # submit() appends only on the loop: no wake-up is lost
                async with self._lock:
                    last = await writer._execute(self._turn, writer._conn)
                # The last batch of a turn is answered once the lock is free and, if nothing else
                # waits, this task is done: whoever goes on from that answer finds the store idle.
                _settle(*last)
        except BaseException as error:  # the writer is gone (store closed, shutdown): say so
            while self._pending:
                _, future = self._pending.popleft()
                if future.done():
                    continue
                if isinstance(error, asyncio.CancelledError):
                    future.cancel()
                else:
                    future.set_exception(error)
            raise

    def _take(self) -> list[tuple[T, asyncio.Future[R]]]:
        return [self._pending.popleft() for _ in range(min(self._max_batch, len(self._pending)))]

    def _turn(self, db: sqlite3.Connection) -> tuple[list[tuple[T, asyncio.Future[R]]], list]:
        """On the writer's thread: batches until nothing waits or the turn is over; every batch
        but the last is answered from here, the last by the loop once the lock is released."""
        ends = time.monotonic() + self.TURN_SECONDS
        batch: list[tuple[T, asyncio.Future[R]]] = []
        outcomes: list = []
        while self._pending:
            if batch:
                _settle_from_thread(batch, outcomes)
            batch = self._take()
            try:
                outcomes = write_batch(db, self._write, [item for item, _ in batch])
            except BaseException as error:  # not an item's fault (e.g. the store closed)
                _settle_from_thread(batch, [error] * len(batch))
                raise
            self.batches += 1
            self.items += len(batch)
            if time.monotonic() >= ends:
                break
        return batch, outcomes


async def _finished(task: asyncio.Task[Any]) -> None:
    """Wait for the task (a drainer, maybe of another loop: a test client's) to end. Its outcome
    is not raised here."""
    if task.get_loop() is asyncio.get_running_loop():
        await asyncio.wait({task})
    else:
        while not task.done():
            await asyncio.sleep(0.005)
    if not task.cancelled():
        task.exception()  # its submitters were given it already


def in_transaction(db: sqlite3.Connection, write: Callable[..., T], *args: Any) -> T:
    """`write(db, *args)` between BEGIN IMMEDIATE and COMMIT (ROLLBACK if it raises)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        result = write(db, *args)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return result


def write_batch(db: sqlite3.Connection, write: Write, items: list[Any]) -> list[Any]:
    """One transaction for the batch; if it fails, one per item, so that a bad item fails alone
    (its outcome is then its exception). Raises only what is not an item's fault."""
    try:
        return in_transaction(db, _write_each, write, items)
    except Exception:
        log.exception("a batch of %d items failed; writing them one by one", len(items))
    outcomes: list[Any] = []
    for item in items:
        try:
            outcomes.extend(in_transaction(db, _write_each, write, [item]))
        except Exception as error:  # noqa: BLE001 - this item's answer
            outcomes.append(error)
    return outcomes


def _write_each(db: sqlite3.Connection, write: Write, items: list[Any]) -> list[Any]:
    results = list(write(db, items))
    if len(results) != len(items):  # else a submitter would wait forever
        raise ValueError(f"a group write returned {len(results)} results for {len(items)} items")
    return results


def _settle(batch: list[tuple[Any, asyncio.Future[Any]]], outcomes: list[Any]) -> None:
    """On a loop: give each future its outcome (on its own loop, should it be another one)."""
    running = asyncio.get_running_loop()
    for (_, future), outcome in zip(batch, outcomes, strict=True):
        if future.get_loop() is running:
            _settle_one(future, outcome)
        else:
            future.get_loop().call_soon_threadsafe(_settle_one, future, outcome)


def _settle_from_thread(batch: list[tuple[Any, asyncio.Future[Any]]], outcomes: list[Any]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any]]] = {}
    for (_, future), outcome in zip(batch, outcomes, strict=True):
        by_loop.setdefault(future.get_loop(), []).append((future, outcome))
    for loop, settled in by_loop.items():
        loop.call_soon_threadsafe(_settle_all, settled)


def _settle_all(settled: list[tuple[asyncio.Future[Any], Any]]) -> None:
    for future, outcome in settled:
        _settle_one(future, outcome)


def _settle_one(future: asyncio.Future[Any], outcome: Any) -> None:
    if future.done():  # its request was cancelled meanwhile
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
