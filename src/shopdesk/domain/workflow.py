"""Statuses, the transition table, escalation tiers and roles (DESIGN §2 status workflow).

发现→报告→确认→分析→措施→执行→跟踪→总结: `new` is reported, `open` is confirmed and analysed,
`waiting` pauses on a third party, `escalated` awaits a decision, `resolved` is done and told,
`closed` is summarised. Every move not in the table is refused with the moves that are allowed.
"""

from __future__ import annotations

from shopdesk.domain.errors import PermissionDenied, TransitionError, ValidationError

STATUSES: tuple[str, ...] = ("new", "open", "waiting", "escalated", "resolved", "closed", "void")
ACTIVE_STATUSES: frozenset[str] = frozenset({"new", "open", "waiting", "escalated"})
FINAL_STATUSES: frozenset[str] = frozenset({"closed", "void"})

# action -> {from status: to status}
TRANSITIONS: dict[str, dict[str, str]] = {
    "acknowledge": {"new": "open"},
    "wait": {"open": "waiting"},
    "resume": {"waiting": "open"},
    "escalate": {"new": "escalated", "open": "escalated", "waiting": "escalated", "escalated": "escalated"},
    "return": {"escalated": "open"},
    "resolve": {"open": "resolved", "escalated": "resolved"},
    "close": {"resolved": "closed"},
    "reopen": {"resolved": "open", "closed": "open"},
    "void": {"new": "void", "open": "void", "waiting": "void", "escalated": "void"},
}
ACTIONS: tuple[str, ...] = tuple(TRANSITIONS)


def allowed_actions(status: str) -> list[str]:
    """The workflow actions that may be taken from `status`, in table order."""
    return [action for action, moves in TRANSITIONS.items() if status in moves]


def can_transition(action: str, status: str) -> bool:
    return status in TRANSITIONS.get(action, {})


# Changes that make no move of their own (triage acknowledges a new case on the side), by the
# statuses they may be made in: the same sets the case service checks before making them.
EDITS: dict[str, frozenset[str]] = {
    "triage": ACTIVE_STATUSES,
    "urgent": ACTIVE_STATUSES,
    "remedy": ACTIVE_STATUSES,
    "assign": frozenset(STATUSES) - FINAL_STATUSES,
    "contact": frozenset(STATUSES) - {"void"},
    "responsibility": frozenset(STATUSES) - {"void"},
    "survey": frozenset({"resolved", "closed"}),
    "note": frozenset(STATUSES),
}


def may(move: str, status: str) -> bool:
    """Whether `move` (a TRANSITIONS action or an EDITS change) may be made on a `status` case."""
    if move in TRANSITIONS:
        return status in TRANSITIONS[move]
    if move in EDITS:
        return status in EDITS[move]
    raise ValidationError(
        f"unknown action {move!r}", field="action", code="unknown_action", params={"action": move}
    )


def next_status(action: str, status: str) -> str:
    """The status after `action`, or a TransitionError naming the move and the allowed ones."""
    if action not in TRANSITIONS:
        raise ValidationError(
            f"unknown action {action!r}", field="action", code="unknown_action",
            params={"action": action},
        )
    moves = TRANSITIONS[action]
    if status not in moves:
        raise TransitionError(action, status, allowed_actions(status))
    return moves[status]


def is_active(status: str) -> bool:
    return status in ACTIVE_STATUSES


# Escalation tiers: operator -> supervisor -> owner (上报/决策).
TIERS: tuple[str, ...] = ("operator", "supervisor", "owner")
ROLES: tuple[str, ...] = TIERS


def next_tier(tier: str) -> str:
    index = TIERS.index(tier)
    if index + 1 >= len(TIERS):
        raise ValidationError(  # not "final": the owner decides it (resolve, return, void)
            f"the case is already escalated to the {tier}, the top tier: the {tier} decides it "
            "(resolve, return to work or void)", field="status", code="top_tier",
            params={"tier": tier},
        )
    return TIERS[index + 1]


def role_rank(role: str) -> int:
    if role == "reader":  # an OS account that is no operator: below every role (reads only)
        return -1
    if role not in ROLES:
        raise ValidationError(
            f"unknown role {role!r}; expected one of: {', '.join(ROLES)}", field="role",
            code="unknown_role", params={"role": role, "allowed": list(ROLES)},
        )
    return ROLES.index(role)


def require_role(role: str, needed: str, action: str, *, doing: str | None = None) -> None:
    """Refuse `action` unless `role` is at least `needed`. `doing` is the action as a code
    (resolve, approve_remedy …) for front ends that word it themselves."""
    if role_rank(role) < role_rank(needed):
        raise PermissionDenied(
            f"{action} needs the role {needed} or above; your role is {role}", field="role",
            code="role_needed", params={"doing": doing or action, "needed": needed, "role": role},
        )


# Moves that end an escalation: they are the decision the escalated tier was asked for (DESIGN §2).
DECISIONS: dict[str, str] = {
    "return": "deciding an escalated case",
    "resolve": "resolving an escalated case",
    "void": "voiding an escalated case",
}


def require_decider(role: str, action: str, status: str, tier: str) -> None:
    """An escalated case awaits its tier: returning, resolving or voiding it needs that role."""
    if status == "escalated" and action in DECISIONS:
        require_role(role, tier, DECISIONS[action], doing=action)


# Remedy lifecycle: proposed -> approved -> done, or proposed -> rejected.
REMEDY_STATUSES: tuple[str, ...] = ("proposed", "approved", "done", "rejected")
REMEDY_TRANSITIONS: dict[str, dict[str, str]] = {
    "approve": {"proposed": "approved"},
    "reject": {"proposed": "rejected", "approved": "rejected"},
    "complete": {"approved": "done"},
}


def next_remedy_status(action: str, status: str) -> str:
    moves = REMEDY_TRANSITIONS[action]
    if status not in moves:
        allowed = [name for name, table in REMEDY_TRANSITIONS.items() if status in table]
        allowed_text = ", ".join(allowed) if allowed else "none"
        raise ValidationError(
            f"cannot {action} a remedy that is {status}; allowed: {allowed_text}", field="remedy",
            code="remedy_move_refused",
            params={"remedy_action": action, "remedy_status": status, "remedy_actions": allowed},
        )
    return moves[status]


def is_other_currency(amount_minor: int, currency: str | None, limit_currency: str | None) -> bool:
    """True when an amount is in another currency than the approval limits (the shop's `currency`):
    it cannot be compared with them (no rates in config). No amount, no currency: nothing to compare."""
    return bool(amount_minor and currency and limit_currency
                and currency.upper() != limit_currency.upper())


def needs_approval(
    amount_minor: int,
    limit_minor: int | None,
    *,
    currency: str | None = None,
    limit_currency: str | None = None,
) -> bool:
    """True when a remedy of `amount_minor` is above the proposer's limit (None = no limit). Limits
    are in `limit_currency`: an amount in another currency is above every limit there is."""
    if limit_minor is None:
        return False
    return is_other_currency(amount_minor, currency, limit_currency) or amount_minor > limit_minor


def approver_role(
    amount_minor: int,
    limits: dict[str, int | None],
    *,
    currency: str | None = None,
    limit_currency: str | None = None,
) -> str:
    """The lowest role that may approve a remedy of `amount_minor` (`limits`: role -> limit)."""
    for role in TIERS:
        if can_approve(amount_minor, limits.get(role), role, currency=currency,
                       limit_currency=limit_currency):
            return role
    return TIERS[-1]


def can_approve(
    amount_minor: int,
    limit_minor: int | None,
    role: str,
    *,
    currency: str | None = None,
    limit_currency: str | None = None,
) -> bool:
    """A supervisor may approve what their own limit covers; the owner, the top of the chain,
    anything (there is nobody above to ask)."""
    if role_rank(role) < role_rank("supervisor"):
        return False
    return role == TIERS[-1] or not needs_approval(
        amount_minor, limit_minor, currency=currency, limit_currency=limit_currency
    )
