"""Operators for tests: roles live in the store now (services/operators.py), so a test world that
needs a supervisor or an owner seats them there."""

from __future__ import annotations

from shopdesk.store import operators as operator_rows


async def seat(services, roles: dict[str, str], *, unix_user: str = "") -> None:
    """Add `roles` (name -> role) as operators of the services' store, then load them."""
    async with services.store.transaction() as conn:
        for name, role in roles.items():
            if await operator_rows.get_operator(conn, name) is None:
                await operator_rows.insert_operator(
                    conn, name=name, role=role, unix_user=unix_user or name, phone="", email="",
                    at=services.now(), by="test",
                )
    await services.operators.load()


async def seat_from_settings(services) -> None:
    """The `[[operators]]` a test's Settings lists (as config files once did), in the store."""
    await seat(services, {op.name: op.role for op in services.settings.operators})
