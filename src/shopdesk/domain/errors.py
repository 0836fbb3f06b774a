"""The one error tree: every front end maps these to its own way of saying no.

`detail` is the English sentence the CLI and the API show. `code` and `params` say the same thing
as data, so a front end in another language (the TUI's catalog: `error.<code>`) can word it itself;
params hold codes (a role, a status, a remedy type) and ready-made figures (amounts, times, refs).
"""

from __future__ import annotations

from typing import Any


class ShopdeskError(Exception):
    """A refusal a user can read. `field` names the input at fault, when there is one."""

    def __init__(
        self,
        detail: str,
        field: str | None = None,
        *,
        code: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.code = code
        self.params: dict[str, Any] = dict(params or {})

    def __str__(self) -> str:
        return self.detail


class ValidationError(ShopdeskError):
    """An input is malformed or out of range."""


class NotFoundError(ShopdeskError):
    """The thing named does not exist."""


class TransitionError(ShopdeskError):
    """A workflow move that the status table does not allow."""

    def __init__(
        self,
        action: str,
        status: str,
        allowed: list[str],
        *,
        code: str = "move_refused",
        params: dict[str, Any] | None = None,
    ) -> None:
        allowed_text = ", ".join(allowed) if allowed else "none (the case is final)"
        super().__init__(
            f"cannot {action} a case that is {status}; allowed from {status}: {allowed_text}",
            field="status",
            code=code,
            params={"action": action, "status": status, "allowed": allowed, **(params or {})},
        )
        self.action = action
        self.status = status
        self.allowed = allowed


class ConflictError(ShopdeskError):
    """An edit made against a stale version, or a duplicate."""


class PermissionDenied(ShopdeskError):
    """The actor's role does not allow the action."""


class StoreVersionError(ShopdeskError):
    """The store file was written by a newer shopdesk."""


class StoreUnavailable(ShopdeskError):
    """The store cannot take writes now (its file was deleted or moved while shopdesk ran)."""
