"""Opening a store: pragmas, migrations, one serialised writer, a separate reader.

Writes go through `Store.transaction()`: one asyncio.Lock (statements from two tasks would otherwise
interleave inside each other's transactions on a shared connection, omnilib/aiosqlite#19), then
`BEGIN IMMEDIATE` so another process waits on busy_timeout instead of failing mid-transaction. Reads
use their own connection, so in WAL mode they never wait behind a write.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from shopdesk.domain.errors import ShopdeskError, StoreUnavailable, StoreVersionError
from shopdesk.store import migrations
from shopdesk.store.group_writer import GroupWriter, in_transaction

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
# (store, task) holding a transaction: a transaction() inside it, in that task, is a savepoint.
_HELD: contextvars.ContextVar[tuple[Any, Any] | None] = contextvars.ContextVar(
    "shopdesk_transaction", default=None)
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
        self.loop = asyncio.get_running_loop()
        """The loop the store was opened on: its lock and connections belong to it (a test
        client may serve the API on a loop of its own and hand work back here)."""
        self._group_writers: list[GroupWriter] = []
        self._savepoints = 0
        try:  # the loop the store was opened on: its lock and connections belong to it
            self.loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self.loop = None
        self._identity = _identity(path)  # the file opened, to notice it deleted or replaced

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
        for writer in self._group_writers:
            await writer.aclose()
        async with self._write_lock:
            await self._reader.close()
            await self._writer.close()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write: lock, BEGIN IMMEDIATE, commit on success, roll back on any error. Refused
        (StoreUnavailable) once the store's file was deleted or moved away.

        Inside another transaction of this store in the same task, a SAVEPOINT instead: an error
        undoes only what the inner block wrote, and the outer one goes on (a bulk action writes
        many cases to a commit, each case whole or not at all)."""
        task = asyncio.current_task()
        held = _HELD.get()
        if held is not None and held[0] is self and held[1] is task:
            async with self._savepoint() as conn:
                yield conn
            return
        self.ensure_present()
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
            token = _HELD.set((self, task))
            try:
                yield self._writer
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            else:
                await self._writer.execute("COMMIT")
            finally:
                _HELD.reset(token)

    @contextlib.asynccontextmanager
    async def _savepoint(self) -> AsyncIterator[aiosqlite.Connection]:
        self._savepoints += 1
        name = f"sp{self._savepoints}"
        await self._writer.execute(f"SAVEPOINT {name}")
        try:
            yield self._writer
        except BaseException:
            await self._writer.execute(f"ROLLBACK TO {name}")
            await self._writer.execute(f"RELEASE {name}")
            raise
        else:
            await self._writer.execute(f"RELEASE {name}")

    async def write_in_one_step(self, write: Callable[..., T], *args: Any) -> T:
        """One write done by a plain function, `write(sqlite3_connection, *args)`, on the writer
        connection's own thread: lock, then BEGIN IMMEDIATE, the function and COMMIT (ROLLBACK on
        error) as a single item of aiosqlite's queue. For batch writers (webhook intake's group
        commit), where a round trip to the loop per statement costs more than the statements.
        Uses aiosqlite's `_execute`, the primitive behind all its public methods."""

        async with self._write_lock:
            return await self._writer._execute(in_transaction, self._writer._conn, write, *args)

    def group_writer(self, write: Callable[[sqlite3.Connection, list[T]], list[R]], *,
                     max_batch: int) -> GroupWriter[T, R]:
        """A writer of items many to a transaction (group commit); see GroupWriter. The store
        closes it (waiting for what was submitted) when it closes. `write` runs on the writer
        connection's thread."""
        writer = GroupWriter(self._write_lock, self._writer, write, max_batch=max_batch)
        self._group_writers.append(writer)
        return writer

    def vanished(self) -> bool:
        """Whether the store's path no longer leads to the file this store opened (deleted or
        moved while shopdesk runs: what is written then goes to a file nobody will open again)."""
        return self._identity is not None and _identity(self.path) != self._identity

    def ensure_present(self) -> None:
        """Raise StoreUnavailable once the store's file was deleted or moved away."""
        if self.vanished():
            raise StoreUnavailable(
                f"the store file {self.path} was deleted or moved while shopdesk runs: nothing "
                "can be saved; restart shopdesk on the store", field="store")

    @property
    def own_view(self) -> aiosqlite.Connection:
        """The connection that sees what this task has written: the writer inside this task's
        transaction (not yet committed, so not on the reader), else the reader."""
        held = _HELD.get()
        if held is not None and held[0] is self and held[1] is asyncio.current_task():
            return self._writer
        return self._reader

    @property
    def reader(self) -> aiosqlite.Connection:
        """The connection for reads; never used for writes."""
        return self._reader

    async def data_version(self) -> int:
        """Changes whenever any other connection (this process's writer included) commits."""
        async with self._reader.execute("PRAGMA data_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0])


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_dev, found.st_ino


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
