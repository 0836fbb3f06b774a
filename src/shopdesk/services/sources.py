"""Webhook sources: who may post to /webhooks/{name}, and with which secret."""

from __future__ import annotations

import re
import secrets as random_secrets
from typing import TYPE_CHECKING

from shopdesk.domain.errors import ConflictError, NotFoundError, ValidationError
from shopdesk.domain.intake.records import SOURCE_KINDS, Source, SourceSummary
from shopdesk.services.changes import Change
from shopdesk.store import sources as source_rows

if TYPE_CHECKING:
    from shopdesk.services import Services

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
MIN_SECRET_LENGTH = 16


def new_secret() -> str:
    return "whsec_" + random_secrets.token_urlsafe(32)


def check_name(name: str) -> str:
    name = name.strip()
    if not _NAME.match(name):
        raise ValidationError(
            f"source name {name!r} must be 1-63 lowercase letters, digits, '-' or '_' "
            "(it becomes the URL /webhooks/NAME)",
            field="name",
        )
    return name


def _check_secret(secret: str) -> str:
    secret = secret.strip()
    if len(secret) < MIN_SECRET_LENGTH:
        raise ValidationError(
            f"a secret needs at least {MIN_SECRET_LENGTH} characters", field="secret"
        )
    return secret


class SourceService:
    def __init__(self, services: Services) -> None:
        self._services = services

    async def add(self, name: str, kind: str, secret: str | None = None) -> tuple[Source, bool]:
        """Register a source; returns (source, secret_was_generated)."""
        name = check_name(name)
        if kind not in SOURCE_KINDS:
            raise ValidationError(
                f"unknown source kind {kind!r}; expected one of: {', '.join(SOURCE_KINDS)}",
                field="kind",
            )
        generated = secret is None
        secret = new_secret() if secret is None else _check_secret(secret)
        async with self._services.store.transaction() as conn:
            if await source_rows.insert_source(
                conn, name=name, kind=kind, secret=secret, at=self._services.now()
            ) is None:
                raise ConflictError(f"a source named {name!r} already exists", field="name")
            source = await source_rows.get_source(conn, name)
        assert source is not None
        self._services.changes.publish(Change(what="source", ref=name))
        return source, generated

    async def get(self, name: str) -> Source:
        source = await source_rows.get_source(self._services.store.reader, name)
        if source is None:
            raise NotFoundError(f"no webhook source named {name!r}", field="source")
        return source

    async def list(self) -> list[SourceSummary]:
        return await source_rows.list_sources(self._services.store.reader)

    async def rotate(
        self, name: str, secret: str | None = None, *, keep_old: bool = True
    ) -> tuple[Source, bool]:
        """A new secret; the old one is still accepted until `finish_rotation` (unless keep_old
        is False). Returns (source, secret_was_generated)."""
        generated = secret is None
        secret = new_secret() if secret is None else _check_secret(secret)
        async with self._services.store.transaction() as conn:
            if not await source_rows.rotate_secret(
                conn, name, secret=secret, keep_old=keep_old, at=self._services.now()
            ):
                raise NotFoundError(f"no webhook source named {name!r}", field="source")
            source = await source_rows.get_source(conn, name)
        assert source is not None
        self._services.changes.publish(Change(what="source", ref=name))
        return source, generated

    async def finish_rotation(self, name: str) -> Source:
        """Stop accepting the previous secret."""
        async with self._services.store.transaction() as conn:
            source = await source_rows.get_source(conn, name)
            if source is None:
                raise NotFoundError(f"no webhook source named {name!r}", field="source")
            await source_rows.forget_old_secret(conn, name)
            source = await source_rows.get_source(conn, name)
        assert source is not None
        self._services.changes.publish(Change(what="source", ref=name))
        return source

    async def remove(self, name: str) -> int:
        """Delete a source and its stored deliveries (orders and cases stay); returns how many
        deliveries went with it."""
        async with self._services.store.transaction() as conn:
            source = await source_rows.get_source(conn, name)
            if source is None:
                raise NotFoundError(f"no webhook source named {name!r}", field="source")
            count = await source_rows.count_deliveries(conn, source.id)
            await source_rows.delete_source(conn, source.id)
        self._services.changes.publish(Change(what="source", ref=name))
        return count
