"""Opening a store: pragmas, migrations, one serialised writer, a separate reader.

Writes go through `Store.transaction()`: one asyncio.Lock (statements from two tasks would otherwise
interleave inside each other's transactions on a shared connection, omnilib/aiosqlite#19), then
`BEGIN IMMEDIATE` so another process waits on busy_timeout instead of failing mid-transaction. Reads
use their own connection, so in WAL mode they never wait behind a write.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

import aiosqlite

from shopdesk.domain.errors import ShopdeskError, StoreVersionError
from shopdesk.store import migrations

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
T = TypeVar("T")
R = TypeVar("R")


async def _connect(path: Path, *, readonly: bool) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        conn.row_factory = sqlite3.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA foreign_keys = ON")
        if readonly:
            await conn.execute("PRAGMA query_only = ON")
        else:
            # WAL is switched on in Store.open once the store's version is known to be ours, so a
            # newer store is refused without a byte of it changed.
            # FULL: a delivery answered 2xx survives power loss.
            await conn.execute("PRAGMA synchronous = FULL")
    except BaseException:
        await conn.close()  # else its thread keeps the process alive (e.g. a file that is not SQLite)
        raise
    return conn


class Store:
    """One store file: a writer connection behind a lock and a reader connection."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection):
        self.path = path
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> Store:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            writer = await _connect(path, readonly=False)
        except sqlite3.Error as error:
            raise ShopdeskError(f"cannot open store {path}: {error}", field="db") from error
        try:
            await _migrate(writer, path)
            async with writer.execute("PRAGMA journal_mode = WAL") as cursor:
                await cursor.fetchall()  # finish the statement, or it holds its lock
            reader = await _connect(path, readonly=True)
        except sqlite3.DatabaseError as error:
            await writer.close()
            raise ShopdeskError(f"{path} is not a shopdesk store: {error}", field="db") from error
        except BaseException:
            await writer.close()
            raise
        return cls(path, writer, reader)

    async def close(self) -> None:
        async with self._write_lock:
            await self._reader.close()
            await self._writer.close()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write: lock, BEGIN IMMEDIATE, commit on success, roll back on any error."""
        async with self._write_lock:
            # BEGIN runs on aiosqlite's thread even if this task is cancelled while it waits: then
            # roll it back before the lock is released, or the writer stays in a transaction for good
            begin = asyncio.ensure_future(self._writer.execute("BEGIN IMMEDIATE"))
            try:
                await asyncio.shield(begin)
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await begin
                    await self._writer.execute("ROLLBACK")
                raise
            try:
                yield self._writer
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            else:
                await self._writer.execute("COMMIT")

    async def write_in_one_step(self, write: Callable[..., T], *args: Any) -> T:
        """One write done by a plain function, `write(sqlite3_connection, *args)`, on the writer
        connection's own thread: lock, then BEGIN IMMEDIATE, the function and COMMIT (ROLLBACK on
        error) as a single item of aiosqlite's queue. For batch writers (webhook intake's group
        commit), where a round trip to the loop per statement costs more than the statements.
        Uses aiosqlite's `_execute`, the primitive behind all its public methods."""

        async with self._write_lock:
            return await self._writer._execute(_in_transaction, self._writer._conn, write, *args)

    def group_writer(self, write: Callable[[sqlite3.Connection, list[T]], list[R]], *,
                     max_batch: int) -> GroupWriter[T, R]:
        """A writer of items many to a transaction (group commit); see GroupWriter."""
        return GroupWriter(self, write, max_batch=max_batch)

    @property
    def reader(self) -> aiosqlite.Connection:
        """The connection for reads; never used for writes."""
        return self._reader

    async def data_version(self) -> int:
        """Changes whenever any other connection (this process's writer included) commits."""
        async with self._reader.execute("PRAGMA data_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0])


def _in_transaction(db: sqlite3.Connection, write: Callable[..., T], *args: Any) -> T:
    db.execute("BEGIN IMMEDIATE")
    try:
        result = write(db, *args)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return result


class GroupWriter(Generic[T, R]):
    """Group commit: items submitted at about the same time are written by `write(db, items)` (a
    plain function returning one result per item) in one transaction, many to one fsync.

    The writer connection's thread takes the next batch as soon as it has committed one, without a
    round trip to the event loop (which only wakes the submitters of each batch). One turn of that
    thread holds the store's write lock at most TURN_SECONDS (then other writes, which queue on the
    lock, go first); the last batch of a turn is answered once the lock is released. A batch that
    fails is written again one item to a transaction, so a bad item fails alone; `submit` raises
    its error."""

    TURN_SECONDS = 0.05

    def __init__(self, store: Store, write: Callable[[sqlite3.Connection, list[T]], list[R]], *,
                 max_batch: int) -> None:
        self._store = store
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
            await drainer

    async def _drain(self) -> None:
        store = self._store
        try:
            while self._pending:  # submit() appends only on the loop: no wake-up is lost
                async with store._write_lock:
                    batch, outcomes = await store._writer._execute(self._turn, store._writer._conn)
                # The last batch of a turn is answered once the lock is free and, if nothing else
                # waits, this task is done: whoever goes on from that answer finds the store idle.
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

    def _turn(self, db: sqlite3.Connection) -> tuple[list[tuple[T, asyncio.Future[R]]], list]:
        """On the writer's thread: batches until nothing waits or the turn is over; every batch
        but the last is answered from here, the last by the loop once the lock is released."""
        ends = time.monotonic() + self.TURN_SECONDS
        batch: list[tuple[T, asyncio.Future[R]]] = []
        outcomes: list = []
        while self._pending:
            if batch:
                _settle_from_thread(batch, outcomes)
            batch = [self._pending.popleft()
                     for _ in range(min(self._max_batch, len(self._pending)))]
            try:
                outcomes = self._write_batch(db, [item for item, _ in batch])
            except BaseException as error:  # not an item's fault (e.g. the store closed)
                _settle_from_thread(batch, [error] * len(batch))
                raise
            self.batches += 1
            self.items += len(batch)
            if time.monotonic() >= ends:
                break
        return batch, outcomes

    def _write_batch(self, db: sqlite3.Connection, items: list[T]) -> list[R | Exception]:
        try:
            return _in_transaction(db, self._write_each, items)
        except Exception:
            log.exception("a batch of %d items failed; writing them one by one", len(items))
        outcomes: list[R | Exception] = []
        for item in items:
            try:
                outcomes.extend(_in_transaction(db, self._write_each, [item]))
            except Exception as error:  # noqa: BLE001 - this item's answer
                outcomes.append(error)
        return outcomes

    def _write_each(self, db: sqlite3.Connection, items: list[T]) -> list[R]:
        results = list(self._write(db, items))
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


async def _migrate(conn: aiosqlite.Connection, path: Path) -> None:
    await conn.execute("BEGIN IMMEDIATE")
    try:
        async with conn.execute("PRAGMA user_version") as cursor:
            version = int((await cursor.fetchone())[0])
        if version > migrations.SCHEMA_VERSION:
            raise StoreVersionError(
                f"{path} is a version {version} store, written by a newer shopdesk; "
                f"this shopdesk reads up to version {migrations.SCHEMA_VERSION}: upgrade shopdesk",
                field="db",
            )
        async with conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'") as cursor:
            has_tables = int((await cursor.fetchone())[0]) > 0
        statements = migrations.plan(version, has_tables)
        for statement in statements:
            await conn.execute(statement)
        await conn.execute("COMMIT")
        if statements and version:
            log.info("upgraded %s from version %d to %d", path, version, migrations.SCHEMA_VERSION)
    except BaseException:
        await conn.execute("ROLLBACK")
        raise


@contextlib.asynccontextmanager
async def open_store(path: str | Path) -> AsyncIterator[Store]:
    store = await Store.open(path)
    try:
        yield store
    finally:
        await store.close()
