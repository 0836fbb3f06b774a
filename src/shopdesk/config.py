"""Settings: one TOML file, a msgspec Struct that rejects unknown keys naming file and key.

See docs/config.example.toml for every key with a comment.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated

import msgspec

from shopdesk.domain.errors import ValidationError
from shopdesk.domain.sla import BusinessCalendar, validate_calendar
from shopdesk.domain.sla_policy import SlaPolicy, parse_duration
from shopdesk.domain.workflow import ROLES

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DEFAULT_DAY = ["09:00-12:00", "13:00-18:00"]

# Value constraints, checked when the file is read (msgspec names the key that breaks one).
Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
Positive = Annotated[int, msgspec.Meta(ge=1)]
NonNegative = Annotated[int, msgspec.Meta(ge=0)]
CurrencyCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]

# What a key must be, in words, where msgspec's own text would show a regex.
_HINTS = {
    "currency": 'an ISO 4217 currency code: three capital letters, e.g. "CNY", "USD", "EUR"',
}


class ApiSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    host: str = "127.0.0.1"
    """Address the embedded API listens on."""
    port: Port = 8765
    """Port of the embedded API (1-65535)."""
    allowed_hosts: list[str] = msgspec.field(
        default_factory=lambda: ["127.0.0.1", "localhost", "[::1]", "::1"]
    )
    """Host headers the API answers; add your public name when behind a reverse proxy."""
    max_body_bytes: Positive = 1_048_576
    """Largest webhook body accepted (413 above)."""


class SlaTargets(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    first_response: str
    """e.g. "1h", "4h", "1d" (business time)."""
    resolution: str
    """e.g. "1d", "3d" (business days)."""


def _default_sla() -> dict[str, SlaTargets]:
    return {
        "L3": SlaTargets(first_response="1h", resolution="1d"),
        "L2": SlaTargets(first_response="4h", resolution="3d"),
        "L1": SlaTargets(first_response="1d", resolution="5d"),
        # The seeds: urgent orders assessed the same business day, confirmed within 2 business days.
        "urgent": SlaTargets(first_response="eod", resolution="2d"),
    }


class ApprovalLimits(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Largest remedy, in minor units, each role may grant without a higher role's approval."""

    operator: NonNegative = 20_000
    supervisor: NonNegative = 200_000
    owner: NonNegative | None = None


class Operator(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: str
    role: str = "operator"


class DetectionSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Thresholds of the anomaly rules (DESIGN §2 orders and detection)."""

    payment_timeout_minutes: Positive = 30
    duplicate_window_minutes: Positive = 10
    bulk_unpaid_count: Positive = 3
    bulk_unpaid_window_hours: Positive = 24
    tracking_stall_days: Positive = 3
    refund_overdue_days: Positive = 3
    urgent_amount_minor: Positive = 500_000
    urgent_tags: list[str] = msgspec.field(default_factory=lambda: ["vip", "urgent", "加急"])
    sweep_seconds: Positive = 300


class Settings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    shop_name: str = "My shop"
    """Shown in the title bar and filled into customer templates."""
    timezone: str = "Asia/Shanghai"
    """The shop's IANA time zone; business hours and reports use it."""
    currency: CurrencyCode = "CNY"
    """Default currency of remedies: an ISO 4217 code (three capital letters)."""
    lang: str | None = None
    """UI language, "en" or "zh"; default from $LANG."""
    business_hours: dict[str, list[str]] = msgspec.field(
        default_factory=lambda: {day: list(_DEFAULT_DAY) for day in WEEKDAYS[:5]}
    )
    """Weekday ("mon".."sun") -> slots "HH:MM-HH:MM"; several slots a day allowed."""
    holidays: list[date] = msgspec.field(default_factory=list)
    """Days without business hours."""
    extra_workdays: list[date] = msgspec.field(default_factory=list)
    """Make-up working days (调休) that have business hours although on a weekend."""
    extra_workday_hours: list[str] = msgspec.field(default_factory=lambda: list(_DEFAULT_DAY))
    sla: dict[str, SlaTargets] = msgspec.field(default_factory=_default_sla)
    """Targets per level ("L1".."L3"), per kind (a kind name) and for "urgent"."""
    approval_limits: ApprovalLimits = msgspec.field(default_factory=ApprovalLimits)
    operators: list[Operator] = msgspec.field(default_factory=list)
    """No longer read for identity: operators and roles live in the store (`shopdesk operator`);
    still accepted so an older file loads, with a warning."""
    default_role: str = "operator"
    close_after_days: Positive = 7
    """Resolved cases close by themselves after this many days (at least 1)."""
    csv_bom: bool = False
    """Start CSV exports with a UTF-8 BOM (Excel then shows Chinese text right)."""
    bell: bool = True
    """Ring the terminal bell for a new urgent or L3 case."""
    api: ApiSettings = msgspec.field(default_factory=ApiSettings)
    detection: DetectionSettings = msgspec.field(default_factory=DetectionSettings)

    def calendar(self) -> BusinessCalendar:
        return business_calendar(self)

    def sla_policy(self) -> SlaPolicy:
        targets = {key: (t.first_response, t.resolution) for key, t in self.sla.items()}
        return SlaPolicy(calendar=self.calendar(), targets=targets)

    def approval_limit(self, role: str) -> int | None:
        return getattr(self.approval_limits, role, 0)  # a reader (no operator) grants nothing


def business_calendar(settings: Settings) -> BusinessCalendar:
    weekly = {WEEKDAYS.index(day): list(slots) for day, slots in settings.business_hours.items()}
    return BusinessCalendar(
        tz=settings.timezone,
        weekly=weekly,
        holidays=frozenset(settings.holidays),
        extra_workdays=frozenset(settings.extra_workdays),
        extra_day_hours=list(settings.extra_workday_hours),
    )


def validate(settings: Settings) -> Settings:
    for day in settings.business_hours:
        if day not in WEEKDAYS:
            raise ValidationError(
                f"business_hours: unknown day {day!r}; use {', '.join(WEEKDAYS)}",
                field="business_hours",
            )
    validate_calendar(settings.calendar())
    settings.sla = {**_default_sla(), **settings.sla}  # a file may override some levels only
    for key, targets in settings.sla.items():
        for name in ("first_response", "resolution"):
            value = getattr(targets, name)
            if value != "eod":
                parse_duration(value, field=f"sla.{key}.{name}")
    for role in (settings.default_role, *(op.role for op in settings.operators)):
        if role not in ROLES:
            raise ValidationError(
                f"unknown role {role!r}; expected one of: {', '.join(ROLES)}", field="operators"
            )
    if settings.lang not in (None, "en", "zh"):
        raise ValidationError(f"lang must be \"en\" or \"zh\", not {settings.lang!r}", field="lang")
    return settings


def load_settings(path: Path | None, *, required: bool = False) -> Settings:
    """Read `path` (defaults when it does not exist and is not required)."""
    if path is None or not path.exists():
        if required and path is not None:
            raise ValidationError(f"config file {path} does not exist", field="config")
        return Settings()
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ValidationError(f"{path}: {error}", field="config") from error
    except OSError as error:
        raise ValidationError(f"{path}: {error.strerror}", field="config") from error
    try:
        settings = msgspec.convert(data, Settings)
        return validate(settings)
    except msgspec.ValidationError as error:
        key, problem = describe(error)
        raise ValidationError(f"{path}: {problem}", field=key or "config") from error
    except ValidationError as error:
        raise ValidationError(f"{path}: {error.detail}", field=error.field) from error


_AT = re.compile(r"^(?P<text>.*?)(?: - at `\$\.?(?P<where>[^`]*)`)?$", re.DOTALL)
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<name>[^`]+)`$")
_WORDS = (("Expected `int`", "expected a whole number"), ("Expected `str`", "expected a text"),
          ("Expected `bool`", "expected true or false"), ("Expected `array`", "expected a list"),
          ("Expected `object`", "expected a table"),
          ("Invalid RFC3339 encoded date", "expected a date like 2026-10-01"))


def describe(error: msgspec.ValidationError) -> tuple[str, str]:
    """(key, "key: what is wrong") from msgspec's "Expected … - at `$.api.port`"."""
    match = _AT.match(str(error))
    assert match is not None  # the pattern matches any text
    text, where = match["text"], match["where"] or ""
    unknown = _UNKNOWN.match(text)
    if unknown:
        key = f"{where}.{unknown['name']}" if where else unknown["name"]
        return key, f"unknown key {key} (docs/config.example.toml lists every key)"
    if where in _HINTS:
        return where, f"{where} must be {_HINTS[where]}"
    for raw, words in _WORDS:
        text = text.replace(raw, words)
    return where, f"{where}: {text}" if where else text
