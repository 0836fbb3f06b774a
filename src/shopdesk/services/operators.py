"""Operators live in the store; who you are comes from the OS account running the process.

`identify(account, requested)` is how every front end learns its actor: the operator mapped to the
OS account (`--operator NAME` chooses among several mapped to it, never anyone else); an account
mapped to nobody is a reader. `role_of(name)` answers `Services.actor(name)` from a cache of the
table, refreshed by `load()` and by every change made here.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from shopdesk.domain import operators as rules
from shopdesk.domain.cases import Actor
from shopdesk.domain.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from shopdesk.domain.operators import READER, Operator
from shopdesk.services.changes import Change
from shopdesk.store import operators as rows

if TYPE_CHECKING:
    from shopdesk.services import Services


class OperatorService:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._by_name: dict[str, Operator] = {}
        self._loaded_at = float("-inf")
        self._identified = False  # after identify(): a name in no row is a reader, always

    # -- reading ---------------------------------------------------------------------------------

    async def load(self) -> list[Operator]:
        found = await rows.list_operators(self._services.store.reader)
        self._by_name = {op.name: op for op in found}
        self._loaded_at = time.monotonic()
        return found

    async def refresh(self, max_age: float = 1.0) -> None:
        """Reload the cache when older than `max_age` seconds (another process may have changed
        the table: the CLI run by an owner)."""
        now = time.monotonic()
        if now - self._loaded_at >= max_age:
            await self.load()

    async def list(self) -> list[Operator]:
        return await self.load()

    def cached(self) -> list[Operator]:
        return list(self._by_name.values())

    def active_names(self) -> list[str]:
        return sorted(op.name for op in self._by_name.values() if op.active)

    def role_of(self, name: str) -> str:
        """The role `name` acts with: an active operator's own; a reader for anyone else. A store
        that has no operators at all (made before they lived in the store) gives everyone the
        config's default role until its first owner is set (`identify` does that)."""
        operator = self._by_name.get(name)
        if operator is not None:
            return operator.role if operator.active else READER
        if not self._by_name and not self._identified:
            return self._services.settings.default_role
        return READER

    # -- who you are -----------------------------------------------------------------------------

    async def identify(self, account: str, requested: str | None = None) -> Actor:
        """The actor the OS `account` works as. A store without operators whose file belongs to
        `account` makes it the first owner (a store made before operators lived in it)."""
        found = await self.load()
        self._identified = True
        if not found and self._owns_store(account):
            await self.ensure_owner(account)
            found = await self.load()
        chosen = rules.choose(found, account, requested)
        if chosen is None:
            return Actor(name=account, role=READER)
        return Actor(name=chosen.name, role=chosen.role)

    def _owns_store(self, account: str) -> bool:
        path = Path(self._services.store.path)
        try:
            import pwd

            return pwd.getpwuid(path.stat().st_uid).pw_name == account
        except (OSError, KeyError, ImportError):
            return False

    async def ensure_owner(self, account: str, *, staff: list[str] | None = None) -> Operator:
        """The OS account that creates a store is its first owner (an operator named like the
        account); `staff` (the demo's) are mapped to the same account, so it can try every role.
        Changes nothing for an account that already is an owner."""
        name = rules.check_name(account, field="account")
        now = self._services.now()
        async with self._services.store.transaction() as conn:
            existing = await rows.get_operator(conn, name)
            if existing is None:
                await rows.insert_operator(conn, name=name, role="owner", unix_user=account,
                                           phone="", email="", at=now, by=account)
            elif existing.unix_user == account and existing.active and existing.role != "owner":
                if not [op for op in await rows.list_operators(conn)
                        if op.role == "owner" and op.active]:
                    await rows.set_role(conn, name, "owner")
            for staff_name, role in (staff or []):
                if await rows.get_operator(conn, staff_name) is None:
                    await rows.insert_operator(conn, name=staff_name, role=role, unix_user=account,
                                               phone="", email="", at=now, by=account)
            operator = await rows.get_operator(conn, name)
        await self.load()
        assert operator is not None
        self._publish(name, account)
        return operator

    # -- managing (owners only) ------------------------------------------------------------------

    async def add(
        self, actor: Actor, name: str, *, role: str, unix_user: str | None = None,
        phone: str = "", email: str = "",
    ) -> Operator:
        rules.require_owner(actor.role)
        name = rules.check_name(name.strip())
        rules.check_role(role)
        unix_user = (unix_user if unix_user is not None else name).strip()
        if unix_user:
            rules.check_name(unix_user, field="unix_user")
        async with self._services.store.transaction() as conn:
            if await rows.get_operator(conn, name) is not None:
                raise ConflictError(f"operator {name!r} exists already (shopdesk operator list)",
                                    field="name")
            await rows.insert_operator(conn, name=name, role=role, unix_user=unix_user,
                                       phone=rules.check_contact(phone, field="phone"),
                                       email=rules.check_contact(email, field="email"),
                                       at=self._services.now(), by=actor.name)
            operator = await rows.get_operator(conn, name)
        await self.load()
        assert operator is not None
        self._publish(name, actor.name)
        return operator

    async def set_role(self, actor: Actor, name: str, role: str) -> Operator:
        rules.require_owner(actor.role)
        rules.check_role(role)
        async with self._services.store.transaction() as conn:
            operator = await self._named(conn, name)
            if operator.role == "owner" and role != "owner":
                await self._keep_an_owner(conn, operator, "take the owner role from")
            await rows.set_role(conn, name, role)
            operator = await self._named(conn, name)
        await self.load()
        self._publish(name, actor.name)
        return operator

    async def disable(self, actor: Actor, name: str) -> Operator:
        rules.require_owner(actor.role)
        async with self._services.store.transaction() as conn:
            operator = await self._named(conn, name)
            if operator.role == "owner" and operator.active:
                await self._keep_an_owner(conn, operator, "disable")
            await rows.disable(conn, name, self._services.now())
            operator = await self._named(conn, name)
        await self.load()
        self._publish(name, actor.name)
        return operator

    async def _named(self, conn, name: str) -> Operator:
        operator = await rows.get_operator(conn, name)
        if operator is None:
            known = ", ".join(op.name for op in await rows.list_operators(conn)) or "none yet"
            raise NotFoundError(f"no operator named {name!r}; operators: {known}", field="name")
        return operator

    async def _keep_an_owner(self, conn, operator: Operator, doing: str) -> None:
        owners = [op for op in await rows.list_operators(conn) if op.role == "owner" and op.active]
        if [op.name for op in owners] == [operator.name]:
            raise ConflictError(
                f"cannot {doing} {operator.name}: the last owner (add another owner first: "
                f"shopdesk operator add NAME --role owner)", field="name", code="last_owner",
                params={"name": operator.name},
            )

    def _publish(self, name: str, actor: str) -> None:
        self._services.changes.publish(Change(what="operator", ref=name, actor=actor))


def require_writer(actor: Actor) -> None:
    """Refuse any change by a reader (an OS account mapped to no operator), saying how to join."""
    if actor.role == READER:
        raise PermissionDenied(
            rules.how_to_join(actor.name), field="operator", code="not_an_operator",
            params={"account": actor.name},
        )


def os_account() -> str:
    """The OS account running this process (authenticated by the login, e.g. SSH): its effective
    uid's name. Tests replace this function (monkeypatch) to act as another account."""
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError, AttributeError):
        import getpass

        return getpass.getuser()


__all__ = ["OperatorService", "os_account", "require_writer", "ValidationError"]
