"""Bearer tokens for the case API: created once (shown once), stored as a sha256 hash."""

from __future__ import annotations

import secrets as random_secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from shopdesk.domain.errors import NotFoundError, ValidationError
from shopdesk.domain.tokens import TOKEN_PREFIX, ApiToken, token_hash
from shopdesk.services.changes import Change
from shopdesk.store import tokens as token_rows

if TYPE_CHECKING:
    from shopdesk.services import Services

# last_used_at is a write: note a use at most this often per token.
TOUCH_EVERY = timedelta(minutes=1)


class TokenService:
    def __init__(self, services: Services) -> None:
        self._services = services

    async def create(self, name: str, *, operator: str | None = None) -> tuple[ApiToken, str]:
        """A new token; returns (record, the token itself — shown once, never stored)."""
        name = name.strip()
        if not name:
            raise ValidationError("a token needs a name (what or who uses it)", field="name")
        operator = (operator or "").strip() or f"api:{name}"
        token = TOKEN_PREFIX + random_secrets.token_urlsafe(32)
        async with self._services.store.transaction() as conn:
            token_id = await token_rows.insert_token(
                conn, name=name, token_hash=token_hash(token), operator=operator,
                at=self._services.now(),
            )
            record = await token_rows.get_token(conn, token_id)
        assert record is not None
        self._services.changes.publish(Change(what="token", ref=str(token_id)))
        return record, token

    async def list(self) -> list[ApiToken]:
        return await token_rows.list_tokens(self._services.store.reader)

    async def revoke(self, token_id: int) -> ApiToken:
        async with self._services.store.transaction() as conn:
            record = await token_rows.get_token(conn, token_id)
            if record is None:
                raise NotFoundError(f"no token {token_id}", field="id")
            if record.revoked_at is None:
                await token_rows.revoke_token(conn, token_id, self._services.now())
                record = await token_rows.get_token(conn, token_id)
        assert record is not None
        self._services.changes.publish(Change(what="token", ref=str(token_id)))
        return record

    async def verify(self, token: str) -> ApiToken | None:
        """The active token record for `token`, or None (unknown or revoked)."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        record = await token_rows.find_active_token(self._services.store.reader, token_hash(token))
        if record is None:
            return None
        now = self._services.now()
        if record.last_used_at is None or now - record.last_used_at >= TOUCH_EVERY:
            async with self._services.store.transaction() as conn:
                await token_rows.touch_token(conn, record.id, now)
        return record
