"""What shopdesk sends: the outbound events, hooks and the rules of the outbox (pure).

- An `OutboundEvent` is what happened (a case opened, escalated, a remedy approved …), with a
  stable `id`: every try of every message about it carries the same id, so a receiver dedupes.
  It is the body a `shopdesk`-format hook receives (signed like inbound generic webhooks) and the
  schema shop plugins code against (published in the OpenAPI document).
- A `Hook` is where events go, in one format; `takes(event)` says whether it wants an event: its
  event names (all when none) and its `only` words — "urgent" (urgent cases), "L2"/"L3" (cases of
  that level or graver); several words: any one is enough. Events without a case pass `only`.
- `retry_delay` is the backoff: exponential from `base` seconds, capped, with jitter; a message
  still failing `MAX_AGE` after it was written is failed for good.
- `check_hook_url` refuses what a hook must not point at (not http/https, shopdesk's own API).
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import msgspec

from shopdesk.domain.errors import ValidationError

EVENTS: tuple[str, ...] = (
    "case.opened",
    "case.escalated",
    "case.resolved",
    "case.closed",
    "remedy.awaiting_approval",
    "remedy.approved",
    "remedy.done",
    "sla.breach_soon",
    "incident.declared",
    "survey.requested",
)
FORMATS: tuple[str, ...] = ("shopdesk", "wecom", "dingtalk", "feishu", "slack")
ONLY_WORDS: tuple[str, ...] = ("urgent", "L2", "L3")
STATUSES: tuple[str, ...] = ("pending", "sending", "sent", "failed", "cancelled")

MAX_AGE = timedelta(days=1)  # a message still failing after this is failed for good
RETRY_BASE_SECONDS = 2.0  # the first retry comes within this (jitter takes off up to half)
RETRY_CAP_SECONDS = 900.0  # no wait between tries is longer than 15 minutes
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


# --- the event, as plugins receive it --------------------------------------------------------------


class EventOrder(msgspec.Struct, kw_only=True):
    """The case's order as the shop knows it: act on it by (source, external_id)."""

    source: str
    external_id: str
    number: str = ""


class EventCase(msgspec.Struct, kw_only=True):
    ref: str
    """The case ref, e.g. C-000012."""
    kind: str
    level: int
    """1..3; 3 is the gravest."""
    urgent: bool
    status: str
    tier: str
    title: str
    assignee: str | None = None
    order: EventOrder | None = None
    customer_name: str = ""


class EventRemedy(msgspec.Struct, kw_only=True):
    id: int
    type: str
    """refund_full, refund_partial, reship, coupon, …"""
    amount_minor: int
    """In minor units of `currency` (fen, cents)."""
    currency: str
    status: str
    """proposed (awaiting approval), approved (do it now), done."""


class EventIncident(msgspec.Struct, kw_only=True):
    ref: str
    title: str
    type: str
    level: int


class EventSurvey(msgspec.Struct, kw_only=True):
    """How the customer answers the satisfaction survey: POST {"score": 1-5, "comment": "…",
    "token": token} to `answer_path` on shopdesk's API (with the plugin's bearer token)."""

    token: str
    answer_path: str


class OutboundEvent(msgspec.Struct, kw_only=True):
    """One thing that happened, as a `shopdesk`-format hook receives it (JSON body, signed with
    `Shopdesk-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">` when the hook has a secret)."""

    id: str
    """Stable: every try of this event to this hook carries it. Dedupe on it."""
    type: str
    """One of EVENTS, e.g. case.opened, remedy.approved."""
    occurred_at: datetime
    shop: str
    summary: str
    """One line for people, e.g. "C-000012 escalated to supervisor: SLA breached"."""
    case: EventCase | None = None
    remedy: EventRemedy | None = None
    incident: EventIncident | None = None
    survey: EventSurvey | None = None
    data: dict[str, Any] = msgspec.field(default_factory=dict)
    """What else the event says: reason, resolution summary, due_at …"""


class Hook(msgspec.Struct, kw_only=True):
    id: int
    name: str
    url: str
    format: str
    events: list[str]
    only: list[str]
    secret: str
    created_at: datetime

    def takes(self, event: OutboundEvent) -> bool:
        return takes(self.events, self.only, event)


class OutboxMessage(msgspec.Struct, kw_only=True):
    id: int
    message_id: str
    channel: str  # hook | email
    target: str  # the hook's name, or the customer's address
    event: str
    case_ref: str | None
    status: str
    attempts: int
    created_at: datetime
    next_try: float
    last_try_at: datetime | None
    last_error: str
    done_at: datetime | None
    done_by: str | None
    hook_id: int | None = None
    case_id: int | None = None
    payload: dict[str, Any] = msgspec.field(default_factory=dict)


def takes(events: list[str], only: list[str], event: OutboundEvent) -> bool:
    if events and event.type not in events:
        return False
    if not only or event.case is None:
        return True
    case = event.case
    for word in only:
        if word == "urgent" and case.urgent:
            return True
        if word.startswith("L") and case.level >= int(word[1:]):
            return True
    return False


# --- checking what people type -------------------------------------------------------------------


def check_hook_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME.match(name):
        raise ValidationError(
            f"{name!r} is not a hook name: letters, digits, '.', '_' or '-', at most 63",
            field="name",
        )
    return name


def check_format(format: str) -> str:
    if format not in FORMATS:
        raise ValidationError(
            f"unknown format {format!r}; expected one of: {', '.join(FORMATS)}", field="format",
            code="unknown_value", params={"input": "format", "value": format,
                                          "allowed": list(FORMATS)},
        )
    return format


def parse_events(text: str | None) -> list[str]:
    """"case.opened,remedy.approved" -> the list; empty or "all" -> [] (every event)."""
    names = [part.strip() for part in (text or "").split(",") if part.strip()]
    if names == ["all"]:
        return []
    unknown = [name for name in names if name not in EVENTS]
    if unknown:
        raise ValidationError(
            f"unknown event {unknown[0]!r}; expected some of: {', '.join(EVENTS)}",
            field="events", code="unknown_value",
            params={"input": "events", "value": unknown[0], "allowed": list(EVENTS)},
        )
    return list(dict.fromkeys(names))


def parse_only(text: str | None) -> list[str]:
    """"urgent,L3" -> ["urgent", "L3"]: case events of urgent cases or L3 ones only."""
    words = [part.strip() for part in (text or "").split(",") if part.strip()]
    for word in words:
        if word not in ONLY_WORDS:
            raise ValidationError(
                f"unknown filter {word!r}; expected some of: {', '.join(ONLY_WORDS)} "
                "(any one is enough)", field="only", code="unknown_value",
                params={"input": "only", "value": word, "allowed": list(ONLY_WORDS)},
            )
    return list(dict.fromkeys(words))


_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _is_local(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def check_hook_url(url: str, *, api_host: str, api_port: int,
                   api_names: list[str] | tuple[str, ...] = ()) -> str:
    """An http(s) URL that is not shopdesk's own API (a hook calling it would loop)."""
    url = (url or "").strip()
    if any(char <= " " or char == "\x7f" for char in url):
        raise ValidationError("a hook URL has no spaces or control characters (encode them)",
                              field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ValidationError(f"{url!r} is not a URL: {error}", field="url") from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            f"{url!r}: a hook URL is http:// or https:// with a host", field="url",
        )
    if parts.username or parts.password:
        raise ValidationError(
            "a hook URL must not carry a user or password (use --secret)", field="url",
        )
    port = port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname.lower()
    own_hosts = {name.lower().strip("[]") for name in api_names} | {api_host.lower().strip("[]")}
    ours = port == api_port and (host in own_hosts or (_is_local(host) and (
        _is_local(api_host) or api_host in ("0.0.0.0", "::"))))
    if ours:
        raise ValidationError(
            f"{url} is shopdesk's own API ({api_host}:{api_port}): a hook must point elsewhere",
            field="url",
        )
    return url


# --- retrying ------------------------------------------------------------------------------------


def retry_delay(attempt: int, jitter: float, *, base: float = RETRY_BASE_SECONDS,
                cap: float = RETRY_CAP_SECONDS) -> float:
    """Seconds before try `attempt + 1` after `attempt` failed (1, 2, …): base·2^(attempt-1),
    at most `cap`, times a jitter factor between 0.5 and 1 (`jitter` in [0, 1))."""
    exponent = min(max(attempt - 1, 0), 40)
    return min(cap, base * (2 ** exponent)) * (0.5 + jitter / 2)


def gives_up(created_at: datetime, now: datetime, max_age: timedelta = MAX_AGE) -> bool:
    return now - created_at >= max_age


def message_id(event_id: str, target: str) -> str:
    """The outbox id of one event to one target (a hook id, or "email")."""
    return f"{event_id}.{target}"


class Outcome(msgspec.Struct, kw_only=True):
    """How one try went: delivered (`ok`, with the receiver's answer), or why not; `permanent`
    when trying again cannot help (a 4xx, a redirect, an SMTP 5xx)."""

    ok: bool
    answer: str
    permanent: bool = False
