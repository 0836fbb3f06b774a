"""Wire shapes of the case API that are not already domain Structs (Case, CaseDetail are sent as
they are)."""

from __future__ import annotations

import msgspec

from shopdesk.domain.cases import Case, Customer
from shopdesk.domain.intake.generic import GenericOrder


class CasePage(msgspec.Struct, kw_only=True):
    items: list[Case]
    next_cursor: str | None
    """Pass as ?cursor= for the next page; null on the last page."""
    total: int
    """Cases matching the filter."""


class NewCase(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An exception report (异常上报) from a plugin or script: opens a case."""

    kind: str
    level: int = 1
    urgent: bool = False
    title: str = msgspec.field(default="")
    description: str = ""
    evidence: list[str] = msgspec.field(default_factory=list)
    customer: Customer | None = None
    order: GenericOrder | None = None
    """The order the report is about, in the generic webhook's shape; stored as a snapshot."""
    order_source: str = "api"
    """Which shop the order belongs to (a source name); orders are unique per source and id."""


class Note(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    text: str
    expected_version: int | None = None
    """Refuse (409) if the case changed since you read this version."""


class Escalation(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: str
    expected_version: int | None = None


class Resolution(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    summary: str
    expected_version: int | None = None
