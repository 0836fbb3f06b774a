"""Wire shapes of the case API that are not already domain Structs (Case, CaseDetail are sent as
they are)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from shopdesk.domain import kinds, templates
from shopdesk.domain.cases import Case, Customer
from shopdesk.domain.decode_errors import describe_pattern
from shopdesk.domain.intake.generic import GenericOrder
from shopdesk.domain.intake.mapping import Kind, Level


class CasePage(msgspec.Struct, kw_only=True):
    items: list[Case]
    next_cursor: str | None
    """Pass as ?cursor= for the next page; null on the last page."""
    total: int
    """Cases matching the filter."""


# Text that must say something: one character that is not white space. Spelled out so that Python's
# and JSON Schema's regex dialects agree on which characters are white space.
SAID_PATTERN = r"[^\s\x1c-\x1f\x85\ufeff]"
Said = Annotated[str, msgspec.Meta(min_length=1, max_length=10_000, pattern=SAID_PATTERN)]
describe_pattern(SAID_PATTERN, "text that is not blank")
CURSOR_PATTERN = r"^[0-9]{1,11}\.[01][01][1-3]\.([0-9]{1,11})?\.[0-9]{1,18}$"
describe_pattern(CURSOR_PATTERN, "the next_cursor of the previous page")
SOURCE_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
describe_pattern(
    SOURCE_NAME_PATTERN, "a source name: lowercase letters, digits, '-' and '_' (at most 63)"
)


class NewCase(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An exception report (异常上报) from a plugin or script: opens a case."""

    kind: Kind
    level: Level = 1
    urgent: bool = False
    title: str = msgspec.field(default="")
    description: str = ""
    evidence: list[str] = msgspec.field(default_factory=list)
    customer: Customer | None = None
    order: GenericOrder | None = None
    """The order the report is about, in the generic webhook's shape. If shopdesk already has this
    order (same order_source and id) the case is linked to it and the copy here is ignored;
    otherwise it is stored as the order's snapshot."""
    order_source: Annotated[str, msgspec.Meta(pattern=SOURCE_NAME_PATTERN)] = "api"
    """Which shop the order belongs to (a source name); orders are unique per source and id."""


class Note(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    text: Said
    expected_version: Annotated[int, msgspec.Meta(ge=1)] | None = None
    """Refuse (409) if the case changed since you read this version."""


class Escalation(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Said
    expected_version: Annotated[int, msgspec.Meta(ge=1)] | None = None


class Resolution(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    summary: Said
    expected_version: Annotated[int, msgspec.Meta(ge=1)] | None = None


class Triage(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Acknowledge a case (new → open); each field, if given, reclassifies or regrades it."""

    kind: Kind | None = None
    level: Level | None = None
    urgent: bool | None = None
    expected_version: Annotated[int, msgspec.Meta(ge=1)] | None = None


# --- every other case action (api/case_actions.py) ---------------------------------------------

Version = Annotated[int, msgspec.Meta(ge=1)]
Text = Annotated[str, msgspec.Meta(max_length=10_000)]
Channel = Literal[kinds.CHANNELS]  # type: ignore[valid-type]
Direction = Literal[kinds.DIRECTIONS]  # type: ignore[valid-type]
TemplateId = Literal[templates.TEMPLATE_IDS]  # type: ignore[valid-type]
RemedyType = Literal[kinds.REMEDY_TYPES]  # type: ignore[valid-type]
Party = Literal[kinds.PARTIES]  # type: ignore[valid-type]
Department = Literal[kinds.DEPARTMENTS]  # type: ignore[valid-type]
WaitOn = Literal["customer", "carrier", "supplier", "warehouse", "platform"]
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z]{3}$")]


class Assignment(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    assignee: Annotated[str, msgspec.Meta(max_length=200)] | None
    """The operator to assign; null (or "") unassigns."""
    expected_version: Version | None = None


class ContactLog(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A contact with the customer (沟通与反馈); the first outbound one is the first response."""

    channel: Channel
    direction: Direction = "outbound"
    summary: Text = ""
    """Required unless a template is given ("<template> sent" then)."""
    template: TemplateId | None = None
    next_follow_up_at: datetime | None = None
    expected_version: Version | None = None


class RemedyProposal(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Within the proposer's approval limit the remedy is approved at once, else it awaits a
    supervisor (or the owner)."""

    type: RemedyType
    amount_minor: Annotated[int, msgspec.Meta(ge=0)] = 0
    """Minor units (cents, 分); required for refunds, coupons, discounts and cashback."""
    currency: Currency | None = None
    """Default: the order's currency, or the shop's."""
    note: Text = ""
    expected_version: Version | None = None


class RemedyDecision(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: Text = ""


class RemedyRejection(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Said


class Waiting(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    on: WaitOn = "customer"
    note: Text = ""
    expected_version: Version | None = None


class Resumption(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: Text = ""
    expected_version: Version | None = None


class Decision(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    decision: Said
    expected_version: Version | None = None


class Reason(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Said
    expected_version: Version | None = None


class Closing(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    expected_version: Version | None = None


class SurveyAnswer(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    score: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Text = ""
    expected_version: Version | None = None


class Responsibility(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """责任划分: the responsible party and department, and a jointly responsible one (连带责任)."""

    party: Party
    department: Department | None = None
    joint_department: Department | None = None
    root_cause: Text | None = None
    expected_version: Version | None = None


class Urgency(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    urgent: bool
    expected_version: Version | None = None
