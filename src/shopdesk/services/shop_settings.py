"""The shop's settings, kept in the store: the same for every process and account on it.

A process starts with the settings its config file gives (`Settings`); the store's shop keys then
take the place of the file's (`load`). `shopdesk config set|import|edit` writes them, records each
change with who and when, and bumps the store's settings version; every running process polls that
version (`watch`) and takes the new settings within a minute — the due times of active cases are
then recomputed in batches (CaseService.ensure_due_times).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shopdesk.config import SHOP_KEYS, shop_keys_in_file, shop_values, with_shop_values
from shopdesk.domain.cases import Actor
from shopdesk.domain.errors import PermissionDenied, ValidationError
from shopdesk.settings_text import get_path, set_path, split_key
from shopdesk.store import shop_settings as rows
from shopdesk.store.shop_settings import SettingsChange

if TYPE_CHECKING:
    from shopdesk.services import Services

log = logging.getLogger(__name__)

WATCH_SECONDS = 15.0
"""How often a running process looks for a changed setting (well within the minute promised)."""


class ShopSettingsService:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._given = services.settings  # what this process was started with (its config file)
        self._version: int | None = None  # the store's settings version this process runs with
        self._lock = asyncio.Lock()

    @property
    def version(self) -> int | None:
        return self._version

    # --- reading --------------------------------------------------------------------------

    async def load(self) -> bool:
        """Run with the store's shop settings; True when they changed since the last load."""
        async with self._lock:
            reader = self._services.store.reader
            version = await rows.settings_version(reader)
            if version == self._version:
                return False
            stored = await rows.stored_settings(reader)
            try:
                # Off the loop: a country calendar seen for the first time is looked up in the
                # holidays package (half a second), and the TUI must not freeze meanwhile.
                settings = await asyncio.to_thread(with_shop_values, self._given, stored)
            except ValidationError as error:
                # Written valid; a newer or older shopdesk may read it otherwise. Keep running.
                log.error("the store's settings are not valid here (%s); keeping the ones in use",
                          error.detail)
                self._version = version
                return False
            first = self._version is None
            self._version = version
        changed = self._services.apply_settings(settings)
        if changed and not first:
            log.info("shop settings changed in the store (version %d): now in use", version)
        return changed

    async def ensure_loaded(self) -> None:
        if self._version is None:
            await self.load()

    async def values(self) -> dict[str, Any]:
        """Every shop setting as now in use (plain values)."""
        await self.ensure_loaded()
        return shop_values(self._services.settings)

    async def get(self, key: str) -> Any:
        return get_path(await self.values(), key)

    async def stored_keys(self) -> set[str]:
        return set(await rows.stored_settings(self._services.store.reader))

    async def history(self, limit: int = 50) -> list[SettingsChange]:
        return await rows.list_changes(self._services.store.reader, limit)

    def file_notes(self, path: Path | None, stored: set[str]) -> list[str]:
        """What a person's config file says that is the shop's: each key named, with where it
        belongs — never silently winning or losing."""
        notes = []
        for key in shop_keys_in_file(path):
            if key in stored:
                notes.append(f"{path}: {key} is a shop setting; the store's is used and this one "
                             f"ignored (`shopdesk config set {key} …` changes the store's)")
            else:
                notes.append(f"{path}: {key} is a shop setting and belongs in the store; used "
                             f"until `shopdesk config import {path}` puts it there")
        return notes

    # --- changing -------------------------------------------------------------------------

    def check_may_change(self, actor: Actor) -> None:
        """Only owners change the shop's settings, once operators exist.

        Seam for issue 14 (operators in the store): today an actor's role comes from
        `services.actor(name)` (the config's [[operators]]); while no operator is named, anyone
        running shopdesk on the store may change them (a new shop has no operators yet)."""
        if self._services.settings.operators and actor.role != "owner":
            raise PermissionDenied(
                f"only an owner changes the shop's settings ({actor.name} is {actor.role})",
                field="operator",
            )

    async def set(self, actor: Actor, key: str, value: Any) -> Any:
        """Set one setting (dotted: `sla.L2.first_response`); returns the value now in use."""
        split_key(key)
        current = await self.values()
        top, new_top = set_path(current, key, value)
        try:
            old = get_path(current, key)
        except ValidationError:
            old = None
        try:
            await self._write(actor, {top: new_top}, [(key, old, value)])
        except ValidationError as error:
            if error.detail.startswith(key):
                raise
            raise ValidationError(f"{key}: {error.detail}", field=key) from error
        return get_path(await self.values(), key)

    async def replace(self, actor: Actor, values: dict[str, Any], *, whole: bool) -> list[str]:
        """Write the given top-level keys (`import`); with `whole` (`edit`), a shop key left out
        goes back to its default. Returns the keys that changed."""
        current = await self.values()
        stored = await self.stored_keys()
        writes: dict[str, Any] = {}
        changes: list[tuple[str, Any, Any]] = []
        for key in SHOP_KEYS:
            if key in values:
                if values[key] != current.get(key) or key not in stored:
                    writes[key] = values[key]
                    if values[key] != current.get(key):
                        changes.append((key, current.get(key), values[key]))
            elif whole and key in stored:
                writes[key] = None
                changes.append((key, current.get(key), None))
        if writes:
            await self._write(actor, writes, changes)
        return [key for key, _old, _new in changes]

    async def _write(self, actor: Actor, writes: dict[str, Any],
                     changes: list[tuple[str, Any, Any]]) -> None:
        self.check_may_change(actor)
        services = self._services
        async with services.store.transaction() as conn:
            stored = await rows.stored_settings(conn)
            stored.update(writes)
            stored = {key: value for key, value in stored.items() if value is not None}
            checked = with_shop_values(self._given, stored, where="")  # refuses a bad value
            spelled = shop_values(checked)  # as the settings spell it: "cn" -> "CN"
            writes = {key: None if value is None else spelled.get(key, value)
                      for key, value in writes.items()}
            changes = [(key, old, None if new is None else _spelled(spelled, key, new))
                       for key, old, new in changes]
            await rows.put_settings(conn, writes, at=services.now(), actor=actor.name,
                                    changes=changes)
        log.info("%s changed the shop settings: %s", actor.name,
                 ", ".join(key for key, _old, _new in changes) or "(no change)")
        await self.load()

    # --- noticing a change made elsewhere ---------------------------------------------------

    async def watch(self, interval: float = WATCH_SECONDS) -> None:
        """Forever: notice a changed setting in the store and run with it (the due times of
        active cases follow in batches, off the event loop)."""
        while True:
            await asyncio.sleep(interval)
            try:
                if await self.load():
                    await self._services.cases.ensure_due_times()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("looking for changed shop settings failed")


def _spelled(values: dict[str, Any], key: str, given: Any) -> Any:
    try:
        return get_path(values, key)
    except ValidationError:
        return given
