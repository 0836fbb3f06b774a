"""The one registry of operator actions: key bindings, the footer, `?` help and the command palette
are all built from it, so a key, its help line and its palette entry cannot disagree.

`shopdesk.tui.action_runner.run_action(screen, action_id, case)` performs one (asks with a modal,
calls the service, notifies); screens bind `key` to `action_id`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ActionSpec:
    id: str  # also the Binding id and the `action_<id>` name
    key: str  # Textual key name
    label: str  # catalog key of the short footer/palette label
    help: str  # catalog key of the help line
    footer: bool = False  # a daily key, shown in the footer
    needs_case: bool = True  # works on the highlighted/open case
    role: str = "operator"  # lowest role allowed
    # The workflow moves and edits (shopdesk.domain.workflow TRANSITIONS, EDITS) the key makes; it is
    # refused at once on a case whose status allows none of them. The first names it in refusals.
    moves: tuple[str, ...] = ()


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("open_case", "enter", "action.open", "help.open", footer=True),
    ActionSpec("triage", "t", "action.triage", "help.triage", footer=True,
               moves=("triage", "acknowledge")),
    ActionSpec("assign", "a", "action.assign", "help.assign", footer=True, moves=("assign",)),
    ActionSpec("note", "n", "action.note", "help.note", footer=True, moves=("note",)),
    ActionSpec("contact", "c", "action.contact", "help.contact", footer=True, moves=("contact",)),
    ActionSpec("remedy", "m", "action.remedy", "help.remedy", moves=("remedy",)),
    ActionSpec("approve", "A", "action.approve", "help.approve", role="supervisor"),
    ActionSpec("wait", "w", "action.wait", "help.wait", moves=("wait", "resume")),
    ActionSpec("escalate", "e", "action.escalate", "help.escalate", footer=True,
               moves=("escalate",)),
    ActionSpec("resolve", "r", "action.resolve", "help.resolve", footer=True,
               moves=("resolve",)),
    ActionSpec("close", "x", "action.close", "help.close", moves=("close", "survey")),
    ActionSpec("reopen", "o", "action.reopen", "help.reopen", moves=("reopen", "return")),
    ActionSpec("void", "v", "action.void", "help.void", moves=("void",)),
    ActionSpec("urgent", "u", "action.urgent", "help.urgent", moves=("urgent",)),
    ActionSpec("new_case", "N", "action.new_case", "help.new_case", needs_case=False),
    ActionSpec("dismiss_problem", "d", "action.dismiss_problem", "help.dismiss_problem",
               needs_case=False),
    ActionSpec("incidents", "i", "action.incidents", "help.incidents", needs_case=False),
    ActionSpec("mark", "space", "action.mark", "help.mark", needs_case=False),
    ActionSpec("link_marked", "L", "action.link_marked", "help.link_marked", needs_case=False),
    ActionSpec("declare", "D", "action.declare", "help.declare", needs_case=False),
    ActionSpec("incident_team", "T", "action.incident_team", "help.incident_team",
               needs_case=False),
    ActionSpec("incident_bulk", "B", "action.incident_bulk", "help.incident_bulk",
               needs_case=False),
    ActionSpec("incident_stable", "S", "action.incident_stable", "help.incident_stable",
               needs_case=False, role="supervisor"),
    ActionSpec("incident_close", "X", "action.incident_close", "help.incident_close",
               needs_case=False, role="supervisor"),
    ActionSpec("incident_review", "W", "action.incident_review", "help.incident_review",
               needs_case=False),
    ActionSpec("outbox", "O", "action.outbox", "help.outbox", needs_case=False),
    ActionSpec("reports", "R", "action.reports", "help.reports", needs_case=False),
    ActionSpec("calendar", "C", "action.calendar", "help.calendar", needs_case=False),
    ActionSpec("export", "E", "action.export", "help.export", needs_case=False),
    ActionSpec("filter", "slash", "action.filter", "help.filter", footer=True, needs_case=False),
    ActionSpec("goto", "g", "action.goto", "help.goto", needs_case=False),
    ActionSpec("activity", "H", "action.activity", "help.activity", needs_case=False),
    ActionSpec("sort", "s", "action.sort", "help.sort", needs_case=False),
    ActionSpec("help", "question_mark", "action.help", "help.help", footer=True, needs_case=False),
    ActionSpec("back", "escape", "action.back", "help.back", needs_case=False),
    ActionSpec("quit", "q", "action.quit", "help.quit", footer=True, needs_case=False),
)

ACTIONS_BY_ID: dict[str, ActionSpec] = {spec.id: spec for spec in ACTIONS}

ACTIONS_BY_MOVE: dict[str, ActionSpec] = {move: spec for spec in ACTIONS for move in spec.moves}
"""The key that makes a workflow move, for refusals that name what is allowed instead."""

MOVE_LABELS: dict[str, str] = {"return": "move.return", "resume": "move.resume"}
"""Catalog keys of a move's name where its key's label does not say it (o on an escalated case)."""


def allowed_now(spec: ActionSpec, *, status: str, tier: str | None, role: str) -> bool:
    """Whether key `spec` does something on a case in `status` (escalated to `tier`) for an
    operator of `role`: the footer and `?` show these, and only these, for the case at hand. The
    workflow decides (shopdesk.domain.workflow): a move the status allows, a decision of the
    case's tier, the lowest role of the key. A reader (no operator) changes nothing."""
    from shopdesk.domain import workflow

    if not spec.needs_case or spec.id == "open_case":
        return True
    if role == "reader":
        return False
    if spec.id == "approve":  # deciding remedies: a supervisor's; marking one done is in the form
        return workflow.role_rank(role) >= workflow.role_rank(spec.role) and (
            workflow.is_active(status))
    if workflow.role_rank(role) < workflow.role_rank(spec.role):
        return False
    possible = [move for move in spec.moves if workflow.may(move, status)]
    if not possible:
        return False
    if spec.id == "escalate" and status == "escalated" and tier == workflow.TIERS[-1]:
        return False  # nobody above the owner
    if status == "escalated" and tier:
        for move in possible:
            try:
                workflow.require_decider(role, move, status, tier)
                return True
            except Exception:  # PermissionDenied: a decision of a higher tier
                continue
        return False
    return True


def case_keys(status: str, tier: str | None, role: str) -> list[ActionSpec]:
    """The case keys allowed now, in registry order (for the footer)."""
    return [spec for spec in ACTIONS
            if spec.needs_case and allowed_now(spec, status=status, tier=tier, role=role)]
