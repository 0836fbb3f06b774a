"""Group commit: items submitted at about the same time written many to one transaction.

A batch is written by `write(db, items)` (a plain module-level function returning one result per
item) with its BEGIN and COMMIT, either on the store's writer thread or, once `use_process()` was
called (the API does, while it serves), in a helper process with a connection of its own
(write_process.py). The helper is what lets webhook intake keep up: on the writer thread every
SQLite step gives up the GIL and must win it back from the event loop, so the loop and the
writer together never use more than one core; the helper has a GIL of its own.

Either way a submitter gets its result only once the transaction holding its item committed, and
the store's write lock is held while a batch is written, so the process's other writes
(`Store.transaction()`) queue on that lock rather than on SQLite's busy timeout.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import sqlite3
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from shopdesk.store.write_process import (
    HUNG_SECONDS,
    STOP_SECONDS,
    WriteProcess,
    WriteProcessEnded,
)

if TYPE_CHECKING:
    from shopdesk.store.db import Store

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

    def __init__(self, store: Store, write: Callable[[sqlite3.Connection, list[T]], list[R]], *,
                 max_batch: int, item_type: Any = Any) -> None:
        self._store = store
        self._write = write
        self._max_batch = max_batch
        self._item_type = item_type  # how the helper decodes the items (msgspec types)
        # appended to by the loop, taken from by the writer's thread (deque: both are atomic)
        self._pending: collections.deque[tuple[T, asyncio.Future[R]]] = collections.deque()
        self._drainer: asyncio.Task[None] | None = None
        self._process: WriteProcess | None = None
        self._process_wanted = False
        # during a turn of the helper's: the helper, and the batches sent to it not yet answered
        self._streaming: WriteProcess | None = None
        self._in_flight: collections.deque[tuple[list[tuple[T, asyncio.Future[R]]],
                                                 asyncio.Future[tuple[list, bool]]]] = (
            collections.deque())
        self._flush_scheduled = False
        self.batches = 0  # transactions written, and the items they held
        self.items = 0

    async def submit(self, item: T) -> R:
        """The item's result, once the transaction holding it has committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._pending.append((item, future))
        streaming = self._streaming
        if streaming is not None:  # a turn of the helper's is under way: send it along
            if not self._flush_scheduled:
                self._flush_scheduled = True
                if streaming.loop is loop:
                    loop.call_soon(self._flush)
                else:  # a test client's loop; the helper's answers come on its own
                    streaming.loop.call_soon_threadsafe(self._flush)
        elif self._drainer is None or self._drainer.done():
            self._drainer = loop.create_task(self._drain(), name="group-writer")
        return await future

    def use_process(self) -> None:
        """Write in a helper process from now on (started here; the first batch waits until it is
        ready). If it cannot be started, batches are written on the writer thread as before."""
        self._process_wanted = True
        if self._process is None:
            self._process = WriteProcess.start(self._store.path)

    @property
    def process_pid(self) -> int | None:
        """The helper process's pid while there is one."""
        return self._process.pid if self._process is not None else None

    async def aclose(self) -> None:
        """Wait for the items already submitted to be written; stop the helper process."""
        drainer = self._drainer
        if drainer is not None and not drainer.done():
            if not await _finished(drainer, STOP_SECONDS) and self._process is not None:
                self._process_wanted = False  # what still waits is written on the thread
                self._process.kill(f"has not finished its batches in {STOP_SECONDS:g} s")
            await _finished(drainer, None)
        self._process_wanted = False
        process, self._process = self._process, None
        if process is not None:
            await process.stop()

    async def _drain(self) -> None:
        store = self._store
        try:
            while self._pending:  # submit() appends only on the loop: no wake-up is lost
                process = await self._ready_process()
                if process is not None:
                    last = await self._process_turn(process)
                else:
                    async with store._write_lock:
                        last = [await store._writer._execute(self._turn, store._writer._conn)]
                # The last batch of a turn is answered once the lock is free and, if nothing else
                # waits, this task is done: whoever goes on from that answer finds the store idle.
                for batch, outcomes in last:
                    _settle(batch, outcomes)
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

    async def _ready_process(self) -> WriteProcess | None:
        """The helper process, started again if it ended; None: write on the thread."""
        if not self._process_wanted:
            return None
        process = self._process
        if process is not None and process.loop not in (None, asyncio.get_running_loop()):
            return None  # it talks on another loop (a test client's): the thread writes these
        if process is None or process.ended:
            if process is not None:
                await process.stop()
            process = self._process = WriteProcess.start(self._store.path)
        if await process.ready():
            return process
        log.error("the store's write process did not start; writing on this process's thread")
        self._process_wanted = False
        self._process = None
        await process.stop()
        return None

    def _take(self) -> list[tuple[T, asyncio.Future[R]]]:
        return [self._pending.popleft() for _ in range(min(self._max_batch, len(self._pending)))]

    async def _process_turn(self, process: WriteProcess) -> list[tuple[list, list]]:
        """One turn of the helper's: while it lasts, items are sent as they are submitted (one
        batch per turn of the loop, `_flush`), so the helper always has the next batch at hand
        when it commits one and writes all it has in one transaction. Every batch is answered from
        here but the last, which is returned to be answered once the lock is released."""
        loop = asyncio.get_running_loop()
        last: list[tuple[list, list]] = []
        async with self._store._write_lock:
            ends = loop.time() + self.TURN_SECONDS
            self._streaming = process
            # A turn streams for TURN_SECONDS, then waits for the batches in flight: one that
            # lasts HUNG_SECONDS waits for a helper that does not answer (killed: they fail).
            watchdog = loop.call_later(HUNG_SECONDS, process.kill,
                                       f"has not answered a batch for {HUNG_SECONDS:g} s")
            try:
                while True:
                    if self._streaming is not None:
                        self._flush()
                    if not self._in_flight:
                        break
                    batch, written = self._in_flight[0]
                    outcomes, first_of_transaction = await written
                    self._in_flight.popleft()
                    self.batches += first_of_transaction
                    self.items += len(batch)
                    if loop.time() >= ends:
                        self._streaming = None  # what comes now waits for the next turn
                    if self._in_flight or (self._streaming is not None and self._pending):
                        _settle(batch, outcomes)
                    else:
                        last = [(batch, outcomes)]
            except WriteProcessEnded as error:  # killed? not the items' fault: a new helper
                self._fail_in_flight(error)  # writes what comes next
            except BaseException as error:
                self._fail_in_flight(error)
                raise
            finally:
                watchdog.cancel()
                self._streaming = None
        return last

    def _flush(self) -> None:
        """Send what was submitted to the helper, during its turn."""
        self._flush_scheduled = False
        process = self._streaming
        while process is not None and self._pending:
            batch = self._take()
            self._in_flight.append(
                (batch, process.write(self._write, [item for item, _ in batch], self._max_batch,
                                      self._item_type)))

    def _fail_in_flight(self, error: BaseException) -> None:
        while self._in_flight:
            batch, written = self._in_flight.popleft()
            if written.done():
                if not written.cancelled():
                    written.exception()  # its helper ended: said once, in the log, by WriteProcess
            else:
                written.cancel()
            _settle(batch, [error] * len(batch))

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


async def _finished(task: asyncio.Task[Any], timeout: float | None) -> bool:
    """Wait for the task (a drainer, maybe of another loop: a test client's) to end, at most
    `timeout` seconds; whether it ended. Its outcome is not raised here."""
    if task.get_loop() is asyncio.get_running_loop():
        await asyncio.wait({task}, timeout=timeout)
    else:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not task.done() and (deadline is None or time.monotonic() < deadline):
            await asyncio.sleep(0.005)
    if task.done() and not task.cancelled():
        task.exception()  # its submitters were given it already
    return task.done()


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
