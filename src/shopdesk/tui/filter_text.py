"""What `/` typed means: the words on screen, not only the columns the store happens to search.

Free text matches ref, title, customer (name, phone, email), order, tracking, assignee and carrier,
and a kind or status whose label — English or Chinese, whatever the UI language — contains it.
`field:value` terms narrow further, all of them: `kind:damaged assignee:emma`, `status:等待`,
`level:3`, `carrier:SF`, `order:10036`, `phone:1380` … A word with a colon that names no field
(a time, "10:30") is plain text.
"""

from __future__ import annotations

import msgspec

from shopdesk.domain.filters import MATCH_FIELDS, CaseFilter
from shopdesk.domain.kinds import KIND_LABELS_ZH, KINDS
from shopdesk.domain.workflow import STATUSES
from shopdesk.tui.i18n import CATALOGS

FIELDS: tuple[str, ...] = (*MATCH_FIELDS, "kind", "status", "level")


def _casefold(text: str) -> str:
    return text.casefold().replace("_", " ")


def kinds_named(text: str) -> list[str]:
    """The kinds whose code, English or Chinese label contains `text`."""
    wanted = _casefold(text)
    return [kind for kind in KINDS
            if wanted in _casefold(kind) or wanted in KIND_LABELS_ZH.get(kind, "")]


def statuses_named(text: str) -> list[str]:
    wanted = _casefold(text)
    found = []
    for status in STATUSES:
        words = [status] + [catalog.get(f"vocab.status.{status}", "") for catalog in
                            CATALOGS.values()]
        if any(wanted in _casefold(word) for word in words if word):
            found.append(status)
    return found


def _narrowed(current: list | None, wanted: list) -> list:
    return wanted if current is None else [value for value in current if value in wanted]


def with_text(case_filter: CaseFilter, text: str) -> CaseFilter:
    """The view's filter narrowed by what was typed after `/`."""
    words: list[str] = []
    match: dict[str, str] = {}
    kinds, statuses, levels = case_filter.kinds, case_filter.statuses, case_filter.levels
    for word in text.split():
        field, colon, value = word.partition(":")
        field = field.casefold()
        if not colon or field not in FIELDS:
            words.append(word)
            continue
        if not value:
            continue  # "kind:" being typed: nothing to narrow by yet
        if field == "kind":
            kinds = _narrowed(kinds, kinds_named(value))
        elif field == "status":
            statuses = _narrowed(statuses, statuses_named(value))
        elif field == "level":
            digits = value.upper().removeprefix("L")
            levels = _narrowed(levels, [int(digits)] if digits.isdigit() else [])
        else:
            match[field] = value
    q = " ".join(words).strip() or None
    return msgspec.structs.replace(
        case_filter, q=q, kinds=kinds, statuses=statuses, levels=levels, match=match or None,
        q_kinds=kinds_named(q) or None if q else None,
        q_statuses=statuses_named(q) or None if q else None,
    )
