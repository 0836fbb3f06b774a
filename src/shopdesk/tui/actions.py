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


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("open_case", "enter", "action.open", "help.open", footer=True),
    ActionSpec("triage", "t", "action.triage", "help.triage", footer=True),
    ActionSpec("assign", "a", "action.assign", "help.assign", footer=True),
    ActionSpec("note", "n", "action.note", "help.note", footer=True),
    ActionSpec("contact", "c", "action.contact", "help.contact", footer=True),
    ActionSpec("remedy", "m", "action.remedy", "help.remedy"),
    ActionSpec("approve", "A", "action.approve", "help.approve", role="supervisor"),
    ActionSpec("wait", "w", "action.wait", "help.wait"),
    ActionSpec("escalate", "e", "action.escalate", "help.escalate", footer=True),
    ActionSpec("resolve", "r", "action.resolve", "help.resolve", footer=True),
    ActionSpec("close", "x", "action.close", "help.close"),
    ActionSpec("reopen", "o", "action.reopen", "help.reopen"),
    ActionSpec("void", "v", "action.void", "help.void"),
    ActionSpec("urgent", "u", "action.urgent", "help.urgent"),
    ActionSpec("incidents", "i", "action.incidents", "help.incidents", needs_case=False),
    ActionSpec("reports", "R", "action.reports", "help.reports", needs_case=False),
    ActionSpec("export", "E", "action.export", "help.export", needs_case=False),
    ActionSpec("filter", "slash", "action.filter", "help.filter", footer=True, needs_case=False),
    ActionSpec("goto", "g", "action.goto", "help.goto", needs_case=False),
    ActionSpec("sort", "s", "action.sort", "help.sort", needs_case=False),
    ActionSpec("help", "question_mark", "action.help", "help.help", footer=True, needs_case=False),
    ActionSpec("back", "escape", "action.back", "help.back", needs_case=False),
    ActionSpec("quit", "q", "action.quit", "help.quit", footer=True, needs_case=False),
)

ACTIONS_BY_ID: dict[str, ActionSpec] = {spec.id: spec for spec in ACTIONS}
