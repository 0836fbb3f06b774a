"""Copies of a store file, safe while shopdesk writes to it, and putting one back.

A backup is `VACUUM INTO` on a connection of its own: one read transaction, so the copy is the
store as of one moment, while in WAL mode the writers (webhooks, the TUI) go on unhindered. It
is written under a temporary name in the target's directory, checked with `PRAGMA
integrity_check`, synced and only then renamed to its name: a full or read-only disk, or a crash,
never leaves a partial file under the name. Progress is the copy's size against the store's.

A restore puts a checked copy in the store's place and keeps the store it replaces aside. It needs
the store to itself: switching the store out of WAL mode is refused by SQLite while any other
connection has it open (a serving process, a terminal UI, a command), which is the check.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shopdesk.store import migrations

Progress = Callable[[int, int], None]
"""progress(bytes_done, bytes_total), called from the copying thread."""

# Tables every shopdesk store has had since version 1: what tells a store from another SQLite file.
_SHOPDESK_TABLES = {"cases", "case_events", "orders"}


class BackupError(Exception):
    """A copy or a restore that cannot be done; the text says why, for one line on stderr."""

    def __init__(self, detail: str, field: str = "path") -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


@dataclass(frozen=True)
class StoreFile:
    """What a store file says about itself."""

    path: Path
    version: int
    cases: int
    size: int


def _read_only(path: Path) -> str:
    return f"{Path(path).resolve().as_uri()}?mode=ro"


def _temporary(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.part")


def _remove(path: Path) -> None:
    for leftover in (path, Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def _sync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a directory be synced
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _why(error: Exception) -> str:
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return str(error)


def copy_store(source: Path, target: Path, *, force: bool = False,
               progress: Progress | None = None, every: float = 0.2) -> int:
    """Copy the store at `source` to `target` (a new file; an existing one only with `force`),
    checked; returns the copy's size in bytes. Blocking: run it in a thread."""
    target = Path(target)
    if target.is_dir():
        raise BackupError(f"{target} is a directory; give the backup file's name")
    if target.exists() and not force:
        raise BackupError(f"{target} exists; choose another name or add --force to replace it")
    if target.resolve() == Path(source).resolve():
        raise BackupError(f"{target} is the store itself; choose another name")
    if not target.parent.is_dir():
        raise BackupError(f"cannot write {target}: no directory {target.parent}")
    partial = _temporary(target)
    _remove(partial)
    done = threading.Event()
    source_conn = sqlite3.connect(_read_only(source), uri=True, isolation_level=None)
    watcher: threading.Thread | None = None
    try:
        source_conn.execute("PRAGMA busy_timeout = 30000")
        total = _size(source_conn)
        if progress is not None:
            watcher = threading.Thread(target=_watch, args=(partial, total, progress, done, every),
                                       name="backup-progress", daemon=True)
            watcher.start()
        source_conn.execute("VACUUM INTO ?", (str(partial),))
        done.set()
        _check(partial, f"the copy written to {target}")
        with open(partial, "rb+") as handle:  # VACUUM INTO does not sync what it wrote
            os.fsync(handle.fileno())
        os.replace(partial, target)
        _sync_directory(target.parent)
        size = target.stat().st_size
        if progress is not None:
            progress(size, size)
        return size
    except (sqlite3.Error, OSError) as error:
        _remove(partial)
        raise BackupError(f"cannot write {target}: {_why(error)}") from error
    except BaseException:
        _remove(partial)
        raise
    finally:
        done.set()
        source_conn.close()
        if watcher is not None:
            watcher.join()


def _size(conn: sqlite3.Connection) -> int:
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    return max(pages - free, 1) * size  # what VACUUM INTO writes: the pages in use


def _watch(partial: Path, total: int, progress: Progress, done: threading.Event,
           every: float) -> None:
    while not done.wait(every):
        with contextlib.suppress(OSError):
            progress(min(partial.stat().st_size, total), total)


def _check(path: Path, what: str) -> None:
    conn = sqlite3.connect(_read_only(path), uri=True)
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()
    if problems != ["ok"]:
        raise sqlite3.DatabaseError(f"{what} failed its integrity check: {problems[0]}")


def inspect(path: Path) -> StoreFile:
    """Check that `path` is a whole shopdesk store this shopdesk can open (not newer)."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"no file {path}")
    try:
        conn = sqlite3.connect(_read_only(path), uri=True)
        try:
            tables = {row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            cases = (int(conn.execute("SELECT count(*) FROM cases").fetchone()[0])
                     if "cases" in tables else 0)
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a shopdesk store: {error}") from error
    if not _SHOPDESK_TABLES <= tables or version < 1:
        raise BackupError(f"{path} is not a shopdesk store: an SQLite file without shopdesk's "
                          "tables")
    if version > migrations.SCHEMA_VERSION:
        raise BackupError(
            f"{path} is a version {version} store, written by a newer shopdesk; this shopdesk "
            f"reads up to version {migrations.SCHEMA_VERSION}: upgrade shopdesk first")
    if problems != ["ok"]:
        raise BackupError(f"{path} is damaged: its integrity check says {problems[0]}")
    return StoreFile(path=path, version=version, cases=cases, size=path.stat().st_size)


def read_meta(path: Path, key: str) -> str | None:
    """A store_meta value of the store at `path`, read without opening it for writing (None when
    the store has no such key, or no store_meta table yet)."""
    try:
        conn = sqlite3.connect(_read_only(path), uri=True)
        try:
            row = conn.execute("SELECT value FROM store_meta WHERE key = ?", (key,)).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


@contextlib.contextmanager
def held_alone(store: Path):
    """Hold the store at `store` so no other connection can use it, or refuse (BackupError) while
    another has it open. Yields nothing; on leaving, the lock is let go."""
    try:
        conn = sqlite3.connect(store, isolation_level=None, timeout=0)
    except sqlite3.Error as error:
        raise BackupError(f"cannot open {store}: {error}", field="db") from error
    try:
        try:
            # Leaving WAL mode needs the only connection (and checkpoints the WAL into the file,
            # so the store kept aside is one whole file).
            mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
            conn.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                raise BackupError(
                    f"{store} is open in another process (a shopdesk terminal UI, `shopdesk "
                    "serve` or a command): close it first, then restore", field="db") from error
            raise BackupError(f"cannot open {store}: {error}", field="db") from error
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{store} is not a store: {error}", field="db") from error
        if mode != "delete":
            raise BackupError(
                f"{store} is open in another process (a shopdesk terminal UI, `shopdesk serve` "
                "or a command): close it first, then restore", field="db")
        yield
    finally:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        conn.close()


def put_in_place(copy: Path, store: Path, aside: Path | None) -> None:
    """Copy the checked file `copy` to `store`'s place (through a temporary name beside it); the
    store there, if any, is renamed to `aside` first. Blocking; call it inside held_alone()."""
    partial = _temporary(store)
    _remove(partial)
    try:
        with open(copy, "rb") as source, open(partial, "xb") as target:
            while chunk := source.read(1 << 20):
                target.write(chunk)
            target.flush()
            os.fsync(target.fileno())
        _check(partial, f"the copy of {copy}")
    except (OSError, sqlite3.Error) as error:
        _remove(partial)
        raise BackupError(f"cannot write {store}: {_why(error)}", field="db") from error
    if aside is not None:
        os.replace(store, aside)
    os.replace(partial, store)
    _sync_directory(store.parent)
