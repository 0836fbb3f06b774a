"""Operators: the people who work the desk, their roles, and who may act as whom (pure)."""

from __future__ import annotations

import unicodedata
from datetime import datetime

import msgspec

from shopdesk.domain.errors import PermissionDenied, ValidationError
from shopdesk.domain.workflow import ROLES

# The role of an OS account that is no operator of the store: it may read, not write.
READER = "reader"
MAX_NAME = 64


class Operator(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    role: str
    unix_user: str = ""
    phone: str = ""
    email: str = ""
    created_at: datetime | None = None
    created_by: str = ""
    disabled_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


def check_name(name: str, *, field: str = "name") -> str:
    """An operator name: one word (no spaces, no control characters), at most 64 characters."""
    if not name:
        raise ValidationError("an operator needs a name, e.g. emma or li.na", field=field)
    if len(name) > MAX_NAME:
        raise ValidationError(f"an operator name has at most {MAX_NAME} characters", field=field)
    for char in name:
        if char.isspace() or unicodedata.category(char).startswith("C"):
            shown = "a space" if char == " " else f"the control character U+{ord(char):04X}"
            raise ValidationError(
                f"operator name {name!r} contains {shown}; use one word such as emma or li.na",
                field=field, code="bad_operator_name", params={"name": name},
            )
    return name


def check_contact(value: str, *, field: str) -> str:
    """A phone or email as typed, without control characters (they would reach terminals)."""
    value = value.strip()
    for char in value:
        if unicodedata.category(char).startswith("C"):
            raise ValidationError(f"--{field} contains the control character U+{ord(char):04X}",
                                  field=field)
    return value


def check_role(role: str, *, field: str = "role") -> str:
    if role not in ROLES:
        raise ValidationError(
            f"unknown role {role!r}; expected one of: {', '.join(ROLES)}", field=field,
            code="unknown_role", params={"role": role, "allowed": list(ROLES)},
        )
    return role


def how_to_join(account: str) -> str:
    return (f"OS account {account!r} is no operator of this store, so it may read but not change "
            f"anything; an owner adds you with: shopdesk operator add NAME --role operator "
            f"--unix-user {account}")


def choose(
    operators: list[Operator], account: str, requested: str | None
) -> Operator | None:
    """The operator the OS `account` acts as: `requested` among those mapped to it (never anyone
    else), else the one named like the account, else the least-privileged one mapped to it. None
    when the account is mapped to nobody (a reader)."""
    mine = [op for op in operators if op.active and op.unix_user == account]
    if requested:
        for op in mine:
            if op.name == requested:
                return op
        names = ", ".join(op.name for op in mine) or "none"
        known = any(op.name == requested for op in operators)
        what = "is not mapped to" if known else "is no operator of this store for"
        raise PermissionDenied(
            f"--operator {requested} {what} OS account {account!r}; "
            f"operators you may act as: {names}",
            field="operator", code="not_your_operator",
            params={"operator": requested, "account": account, "mine": [op.name for op in mine]},
        )
    if not mine:
        return None
    for op in mine:
        if op.name == account:
            return op
    return min(mine, key=lambda op: (ROLES.index(op.role), op.name))


def require_owner(role: str) -> None:
    if role != "owner":
        raise PermissionDenied(
            f"only an owner manages operators; your role is {role}", field="role",
            code="role_needed", params={"doing": "manage_operators", "needed": "owner", "role": role},
        )
