"""What a view, an export or an API query asks for: one filter shape for every front end."""

from __future__ import annotations

from datetime import datetime

import msgspec


class CaseFilter(msgspec.Struct, kw_only=True, omit_defaults=True):
    statuses: list[str] | None = None
    kinds: list[str] | None = None
    levels: list[int] | None = None
    urgent: bool | None = None
    assignee: str | None = None
    tier: str | None = None
    overdue: bool | None = None
    carrier: str | None = None
    q: str | None = None  # ref, order number, customer name/phone/email, tracking number
    opened_from: datetime | None = None
    opened_to: datetime | None = None
    resolved_from: datetime | None = None
    resolved_to: datetime | None = None
    incident_id: int | None = None
    source: str | None = None
    rule: str | None = None  # the detection rule that opened the case
    awaiting_approval: bool | None = None  # has a remedy proposed, not yet approved or rejected
    shipped_from: datetime | None = None  # the order shipped at or after
    shipped_to: datetime | None = None  # the order shipped before
    place: str | None = None  # a province or city: text the order's address contains

    def reads_orders(self) -> bool:
        """Whether the filter asks about the case's order (a join to orders is needed)."""
        return bool(self.carrier is not None or self.q or self.shipped_from is not None
                    or self.shipped_to is not None or self.place)
    # What `q` also matches as words on screen name them: kinds and statuses whose label (English
    # or Chinese) contains the text; q itself also matches the assignee and the carrier.
    q_kinds: list[str] | None = None
    q_statuses: list[str] | None = None
    # `field:value` terms of a typed filter: field -> text contained (MATCH_FIELDS), all must hold.
    match: dict[str, str] | None = None


# The fields a `field:value` term may name, as the store matches them (text contained).
MATCH_FIELDS: tuple[str, ...] = ("ref", "title", "customer", "phone", "email", "order", "tracking",
                                 "assignee", "carrier")
