"""A refusal in the UI language: a domain error's code and params worded through the catalog.

Services raise `ShopdeskError(detail, field, code=…, params=…)`; `detail` is English for the CLI
and the API. The TUI shows `refusal_text(error)`: the catalog's `error.<code>` with its params
worded (a role, a status, a remedy type become their names in the UI language; amounts, times and
refs are shown as they came). An error without a code, or a code without a catalog entry, shows
its detail.
"""

from __future__ import annotations

from collections.abc import Callable

from shopdesk.domain import workflow
from shopdesk.domain.errors import ShopdeskError, TransitionError
from shopdesk.tui.actions import ACTIONS_BY_ID, ACTIONS_BY_MOVE, MOVE_LABELS
from shopdesk.tui.i18n import CATALOGS, EN, language, t
from shopdesk.tui.vocabulary import (
    department_label,
    incident_type_label,
    kind_label,
    party_label,
    remedy_label,
    remedy_status_label,
    status_label,
    tier_label,
)

# The phrases case moves outside the status table use in TransitionError -> the key doing them.
_PHRASE_ACTIONS: dict[str, str] = {
    "mark urgent": "urgent",
    "log a contact on": "contact",
    "set responsibility on": "triage",
    "propose a remedy on": "remedy",
    "assign": "assign",
}


def move_label(move: str) -> str:
    """A workflow move as the keys name it: "t Triage" for acknowledge, "o Decide" for return."""
    spec = ACTIONS_BY_MOVE.get(move)
    if spec is None:
        return move
    return f"{spec.key} {t(MOVE_LABELS.get(move, spec.label))}"


def _action_name(action: str) -> str:
    """A case move or another action named in a refusal, as the UI calls it."""
    spec = ACTIONS_BY_MOVE.get(action) or ACTIONS_BY_ID.get(_PHRASE_ACTIONS.get(action, ""))
    if spec is not None:
        return t(MOVE_LABELS.get(action, spec.label))
    return _catalog_word("error.action", action)


def _catalog_word(prefix: str, code: str) -> str:
    key = f"{prefix}.{code}"
    word = t(key)
    return code.replace("_", " ") if word == key else word


def _status(status: str) -> str:
    """A case status, or a remedy's (their codes do not overlap)."""
    if status in workflow.STATUSES:
        return status_label(status)
    return remedy_status_label(status)


def _listed(words: list[str]) -> str:
    return t("refused.sep").join(words) if words else t("error.none")


_WORDERS: dict[str, Callable[[object], str]] = {
    "status": lambda value: _status(str(value)),
    "remedy_status": lambda value: remedy_status_label(str(value)),
    "role": lambda value: tier_label(str(value)),
    "needed": lambda value: tier_label(str(value)),
    "tier": lambda value: tier_label(str(value)),
    "doing": lambda value: _catalog_word("error.doing", str(value)),
    "action": lambda value: _action_name(str(value)),
    "remedy_action": lambda value: _catalog_word("error.action", str(value)),
    "remedy_actions": lambda value: _listed(
        [_catalog_word("error.action", str(item)) for item in value]  # type: ignore[attr-defined]
    ),
    "type": lambda value: remedy_label(str(value)),
    "kind": lambda value: kind_label(str(value)),
    "party": lambda value: party_label(str(value)),
    "department": lambda value: department_label(str(value)),
    "incident_type": lambda value: incident_type_label(str(value)),
    "input": lambda value: _catalog_word("error.input", str(value)),
}


def _worded(name: str, value: object) -> object:
    worder = _WORDERS.get(name)
    if worder is not None:
        return worder(value)
    if isinstance(value, (list, tuple)):
        return _listed([str(item) for item in value])
    return value


def _move_refused(error: TransitionError) -> str:
    """A move the case's status does not allow, with the keys that are allowed instead."""
    allowed = list(dict.fromkeys(move_label(move) for move in error.allowed))
    return t(
        "refused.move",
        action=_action_name(error.action),
        status=status_label(error.status),
        allowed=t("refused.sep").join(allowed) if allowed else t("refused.nothing"),
    )


def has_wording(code: str | None) -> bool:
    """Whether the catalog words refusals with this code (in English at least)."""
    return bool(code) and f"error.{code}" in EN


def refusal_text(error: ShopdeskError) -> str:
    """What the TUI says for `error`, in the UI language."""
    if (
        isinstance(error, TransitionError)
        and error.code == "move_refused"
        and error.status in workflow.STATUSES
    ):
        return _move_refused(error)
    if not has_wording(error.code):
        return error.detail
    key = f"error.{error.code}"
    template = CATALOGS.get(language(), EN).get(key) or EN[key]
    values = {name: _worded(name, value) for name, value in error.params.items()}
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):  # a param the entry names is missing: say the detail
        return error.detail
