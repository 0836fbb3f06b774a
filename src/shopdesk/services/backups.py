"""Backups of the open store (`shopdesk backup`, and the serving process's schedule) and the record
of the last one (store_meta `last_backup`: shown on /healthz and in the TUI's top bar).

A backup copies the store while it takes writes (shopdesk.store.backup: VACUUM INTO, checked,
renamed into place at the end). Scheduled backups go to config `[backup] dir` every `every`, named
`<store name>-<UTC time>.db`; the newest `keep` of them stay, the older are deleted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from shopdesk.domain.errors import ValidationError
from shopdesk.store import backup as store_backup
from shopdesk.store import meta

if TYPE_CHECKING:
    from shopdesk.services import Services

log = logging.getLogger(__name__)

LAST_BACKUP = "last_backup"
_STAMP = "%Y%m%d-%H%M%S"
RETRY_SECONDS = 300  # after a failed scheduled backup (a full disk): try again this much later


@dataclass(frozen=True)
class Backup:
    path: Path
    at: datetime
    size: int


class BackupService:
    def __init__(self, services: Services) -> None:
        self._services = services

    def default_path(self) -> Path:
        """Where `shopdesk backup` writes without a path: `[backup] dir`, else beside the store."""
        store = self._services.store.path
        configured = self._services.settings.backup.dir
        directory = Path(configured).expanduser() if configured else store.parent
        return directory / f"{store.stem}-{self._services.now().strftime(_STAMP)}.db"

    async def back_up(self, path: str | Path | None = None, *, force: bool = False,
                      progress: store_backup.Progress | None = None) -> Backup:
        """Copy the store to `path` (default_path() when None), checked; records it as the last
        backup. Refused (ValidationError, field "path") when the path exists without `force`, or
        cannot be written (nothing is left under the name then)."""
        target = Path(path).expanduser() if path is not None else self.default_path()
        self._services.store.ensure_present()
        at = self._services.now()  # the moment the copy is of
        try:
            size = await asyncio.to_thread(
                store_backup.copy_store, self._services.store.path, target, force=force,
                progress=progress)
        except store_backup.BackupError as error:
            raise ValidationError(error.detail, field=error.field) from None
        done = Backup(path=target.resolve(), at=at, size=size)
        async with self._services.store.transaction() as conn:
            await meta.set_value(conn, LAST_BACKUP, json.dumps(
                {"path": str(done.path), "at": done.at.isoformat(), "size": size}))
        log.info("backed up %s to %s (%d bytes)", self._services.store.path, done.path, size)
        return done

    async def last(self) -> Backup | None:
        """The last backup made of this store (by any shopdesk process), or None."""
        raw = await meta.get_value(self._services.store.reader, LAST_BACKUP)
        if raw is None:
            return None
        try:
            value = json.loads(raw)
            return Backup(path=Path(value["path"]), at=datetime.fromisoformat(value["at"]),
                          size=int(value["size"]))
        except (ValueError, KeyError, TypeError):
            return None

    def scheduled_files(self, directory: Path) -> list[Path]:
        """This store's scheduled backups in `directory`, oldest first."""
        pattern = re.compile(re.escape(self._services.store.path.stem) + r"-\d{8}-\d{6}\.db")
        return sorted(p for p in directory.glob(f"{self._services.store.path.stem}-*.db")
                      if pattern.fullmatch(p.name))

    async def scheduled(self) -> Backup:
        """One scheduled backup into `[backup] dir`, then the oldest beyond `keep` deleted."""
        settings = self._services.settings.backup
        if not settings.dir:
            raise ValidationError("no [backup] dir in the config", field="backup.dir")
        directory = Path(settings.dir).expanduser()
        directory.mkdir(parents=True, exist_ok=True)
        done = await self.back_up(self.default_path(), force=True)
        files = self.scheduled_files(directory)
        for old in files[:max(len(files) - settings.keep, 0)]:
            old.unlink(missing_ok=True)
            log.info("deleted the old backup %s (keep = %d)", old, settings.keep)
        return done

    async def seconds_to_next(self) -> float:
        """How long until the next scheduled backup is due: `every` after the last one."""
        last = await self.last()
        if last is None:
            return 0.0
        every = self._services.settings.backup.every_seconds()
        return max((last.at - self._services.now()).total_seconds() + every, 0.0)


async def backup_forever(services: Services, *, poll: float = 60.0) -> None:
    """The serving process's scheduled backups (nothing when `[backup] dir` is not set). Looks
    every `poll` seconds at most whether one is due, so a changed clock or a backup made by hand
    moves the next one. A failed backup is logged and tried again RETRY_SECONDS later."""
    if not services.settings.backup.dir:
        return
    backups: BackupService = services.backups
    log.info("backing up %s to %s every %s, keeping %d", services.store.path,
             services.settings.backup.dir, services.settings.backup.every,
             services.settings.backup.keep)
    while True:
        try:
            wait = await backups.seconds_to_next()
            if wait > 0:
                await asyncio.sleep(min(wait, poll))
                continue
            await backups.scheduled()
        except asyncio.CancelledError:
            raise
        except Exception:  # a full disk, a store closing: the sweep beside it goes on
            log.exception("scheduled backup of %s failed", services.store.path)
            await asyncio.sleep(min(RETRY_SECONDS, poll * 5))
