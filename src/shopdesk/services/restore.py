"""Putting a backup in a store's place (`shopdesk restore`): the backup checked first (a whole
shopdesk store, no newer than this shopdesk), the store needed alone (no other process may have
it open: see shopdesk.store.backup.held_alone), the store replaced kept aside with the time in its
name. Works on files, not on an open store: the caller has checked that no process serves it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from shopdesk.domain.errors import ShopdeskError, ValidationError
from shopdesk.store import backup as store_backup
from shopdesk.store import migrations


@dataclass(frozen=True)
class Restored:
    backup: store_backup.StoreFile
    aside: Path | None
    """Where the store it replaced was kept (None: there was none)."""
    upgraded: bool
    """The backup is older than this shopdesk: the next open upgrades it."""


def aside_name(store: Path, now: datetime) -> Path:
    return store.with_name(f"{store.name}.replaced-{now.strftime('%Y%m%d-%H%M%S')}")


async def restore(backup: Path, store: Path, *, now: datetime | None = None) -> Restored:
    try:
        checked = await asyncio.to_thread(store_backup.inspect, backup)
    except store_backup.BackupError as error:
        raise ValidationError(error.detail, field="path") from None
    if store.exists() and backup.resolve() == store.resolve():
        raise ValidationError(f"{backup} is the store itself; give a backup file", field="path")
    aside = aside_name(store, now or datetime.now()) if store.exists() else None

    def swap() -> None:
        if aside is None:
            store_backup.put_in_place(backup, store, None)
            return
        with store_backup.held_alone(store):
            store_backup.put_in_place(backup, store, aside)

    try:
        await asyncio.to_thread(swap)
    except store_backup.BackupError as error:
        raise ShopdeskError(error.detail, field=error.field) from None
    return Restored(backup=checked, aside=aside,
                    upgraded=checked.version < migrations.SCHEMA_VERSION)
