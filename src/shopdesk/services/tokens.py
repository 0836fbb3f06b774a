"""Bearer tokens for the case API: created once (shown once), stored as a sha256 hash."""

from __future__ import annotations

import secrets as random_secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from shopdesk.domain.cases import Actor
from shopdesk.domain.errors import ConflictError, NotFoundError, ValidationError
from shopdesk.domain.operators import require_owner
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

    async def create(
        self, name: str, *, operator: str | None = None, actor: Actor | None = None
    ) -> tuple[ApiToken, str]:
        """A new token; returns (record, the token itself — shown once, never stored). Its
        requests act as `operator` (an operator of the store, once it has any; default api:NAME,
        which reads only unless an operator of that name is added). Given the `actor` asking, a
        store with operators lets only an owner create tokens."""
        name = name.strip()
        if not name:
            raise ValidationError("a token needs a name (what or who uses it)", field="name")
        operator = (operator or "").strip() or f"api:{name}"
        known = await self._services.operators.load()
        if known and actor is not None:
            require_owner(actor.role)
        if known and (operator or "").strip() and not operator.startswith("api:"):
            if operator not in {op.name for op in known if op.active}:
                raise ValidationError(
                    f"--operator {operator!r} is no active operator of this store "
                    f"(shopdesk operator list)", field="operator")
        token = TOKEN_PREFIX + random_secrets.token_urlsafe(32)
        async with self._services.store.transaction() as conn:
            taken = [t for t in await token_rows.list_tokens(conn)
                     if t.name == name and t.revoked_at is None]
            if taken:
                raise ConflictError(
                    f"an active token is already named {name!r} (#{taken[0].id}): pick another "
                    f"name, or revoke #{taken[0].id} first", field="name")
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

    async def revoke(self, which: int | str) -> ApiToken:
        """Revoke the token with this id (12, "12", "#12") or name. A name two active tokens share
        is refused, naming their ids; revoking a revoked token changes nothing."""
        async with self._services.store.transaction() as conn:
            record = await self._named(conn, which)
            token_id = record.id
            if record.revoked_at is None:
                await token_rows.revoke_token(conn, token_id, self._services.now())
                record = await token_rows.get_token(conn, token_id)
        assert record is not None
        self._services.changes.publish(Change(what="token", ref=str(token_id)))
        return record

    async def _named(self, conn, which: int | str) -> ApiToken:
        text = str(which).strip()
        named = [t for t in await token_rows.list_tokens(conn) if t.name == text]
        active = [t for t in named if t.revoked_at is None]
        if len(active) > 1:
            ids = ", ".join(f"#{t.id}" for t in active)
            raise ValidationError(
                f"{len(active)} active tokens are named {text!r} ({ids}): revoke one by its id",
                field="id")
        if active or named:
            return (active or named)[-1]
        number = text.removeprefix("#")
        record = None
        if number.isascii() and number.isdigit() and len(number) <= 18:
            record = await token_rows.get_token(conn, int(number))
        if record is None:
            raise NotFoundError(f"no token {text} (neither an id nor a name in `shopdesk token "
                                "list`)", field="id")
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
