"""Settings: one TOML file, a msgspec Struct that rejects unknown keys naming file and key.

See docs/config.example.toml for every key with a comment.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import msgspec

from shopdesk.domain.detection import RULE_NAMES
from shopdesk.domain.errors import ValidationError
from shopdesk.domain.calendar_days import PublicCalendar, check_own_days, merged_days
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
    """Thresholds of the anomaly rules (DESIGN §2 orders and detection; domain/detection.py)."""

    payment_timeout_minutes: Annotated[int, msgspec.Meta(ge=1, le=525_600)] = 30
    """Unpaid this long after placing -> payment_timeout."""
    payment_tolerance_minor: Annotated[int, msgspec.Meta(ge=0, le=10**12)] = 0
    """Paid and total may differ by this much (minor units) before payment_mismatch."""
    duplicate_window_minutes: Annotated[int, msgspec.Meta(ge=1, le=525_600)] = 10
    """Same buyer and items within this window -> duplicate_order."""
    bulk_unpaid_count: Annotated[int, msgspec.Meta(ge=2, le=1000)] = 3
    """This many unpaid orders from one buyer …"""
    bulk_unpaid_window_hours: Annotated[int, msgspec.Meta(ge=1, le=8760)] = 24
    """… within this window -> bulk_unpaid."""
    tracking_stall_days: Annotated[int, msgspec.Meta(ge=1, le=365)] = 3
    """No tracking update for this many days -> delivery_delayed."""
    refund_overdue_days: Annotated[int, msgspec.Meta(ge=1, le=365)] = 3
    """Refund requested and not done after this many days -> refund_issue."""
    urgent_amount_minor: Annotated[int, msgspec.Meta(ge=1, le=10**12)] = 500_000
    """Orders of at least this amount (minor units) are urgent."""
    urgent_tags: list[str] = msgspec.field(default_factory=lambda: ["vip", "urgent", "加急"])
    """Order tags that make an order urgent (any case)."""
    lead_time_hours: Annotated[int, msgspec.Meta(ge=1, le=8760)] = 48
    """The shop's normal time from order to delivery: a deliver-by sooner is urgent."""
    disabled: list[str] = msgspec.field(default_factory=list)
    """Rules switched off, by name (`shopdesk rules` lists them)."""
    levels: dict[str, Annotated[int, msgspec.Meta(ge=1, le=3)]] = msgspec.field(
        default_factory=dict)
    """A rule's level instead of its default, e.g. { payment_mismatch = 3 }."""
    sweep_seconds: Annotated[int, msgspec.Meta(ge=1, le=86_400)] = 300
    """How often the sweep runs (time-based rules, SLA escalation, auto-close)."""


class BackupSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Scheduled backups by the serving process (`shopdesk serve`, or a TUI while it serves)."""

    dir: str | None = None
    """Directory of the scheduled backups (and of `shopdesk backup` without a path); none: off."""
    every: str = "1d"
    """How often: a number and s, m, h or d, e.g. "6h", "1d" (wall-clock time)."""
    keep: Positive = 14
    """How many scheduled backups stay in `dir`; older ones are deleted."""

    def every_seconds(self) -> int:
        return backup_interval(self.every)


_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_INTERVAL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def backup_interval(text: str) -> int:
    match = _INTERVAL.match(text)
    if not match or int(match[1]) == 0:
        raise ValidationError(
            f"backup.every: {text!r} is not an interval like 6h or 1d", field="backup.every")
    return int(match[1]) * _INTERVAL_UNITS[match[2]]
class SmtpSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The mail server customer emails go through. The password is never in this file."""

    host: str
    """e.g. "smtp.exmail.qq.com"."""
    port: Port = 587
    security: str = "starttls"
    """"starttls" (port 587), "tls" (implicit TLS, port 465) or "none" (a local relay only)."""
    username: str = ""
    password_file: str = ""
    """A file whose first line is the password (chmod 600)."""
    password_env: str = ""
    """Or the name of an environment variable holding it."""
    from_address: str
    """The sender, e.g. "Shop <service@shop.example>"."""
    ca_file: str = ""
    """A CA certificate to trust instead of the system's (a server with its own certificate)."""
    timeout_seconds: Positive = 15


class OutboundSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What shopdesk sends (docs/outbound.md)."""

    breach_soon_minutes: Positive = 30
    """Hooks taking sla.breach_soon hear of a case this long before it is due."""
    chat_lang: str | None = None
    """Language of chat alerts, "en" or "zh"; default the UI language."""
    survey_on_resolve: bool = True
    """Resolving a case asks the customer for the survey (survey.requested, and an email when
    [smtp] is set and survey_url is given)."""
    survey_url: str = ""
    """Where a customer answers, filled with {ref} and {token}, put in the survey email."""


class Settings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    shop_name: str = "My shop"
    """Shown in the title bar and filled into customer templates."""
    timezone: str = "Asia/Shanghai"
    """The shop's IANA time zone; business hours and reports use it."""
    currency: CurrencyCode = "CNY"
    """Default currency of remedies: an ISO 4217 code (three capital letters)."""
    lang: str | None = None
    """UI language, "en" or "zh"; default from $LANG."""
    calendar: str | None = None
    """A country code, optionally with a subdivision ("CN", "US-CA"), whose public holidays (and,
    for China, make-up working days 调休) the `holidays` package provides; None: only the dates
    below."""
    business_hours: dict[str, list[str]] = msgspec.field(
        default_factory=lambda: {day: list(_DEFAULT_DAY) for day in WEEKDAYS[:5]}
    )
    """Weekday ("mon".."sun") -> slots "HH:MM-HH:MM"; several slots a day allowed."""
    holidays: list[date] = msgspec.field(default_factory=list)
    """Days without business hours (added to the `calendar`'s; one overrides its working day)."""
    extra_workdays: list[date] = msgspec.field(default_factory=list)
    """Working days with business hours although a weekend or a `calendar` holiday."""
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
    backup: BackupSettings = msgspec.field(default_factory=BackupSettings)
    smtp: SmtpSettings | None = None
    """Without it, contacts by email are logged only, not sent."""
    outbound: OutboundSettings = msgspec.field(default_factory=OutboundSettings)

    def business_calendar(self) -> BusinessCalendar:
        return business_calendar(self)

    def public_calendar(self) -> PublicCalendar | None:
        """The `calendar` country's holidays and make-up working days (None without one)."""
        if not self.calendar:
            return None
        from datetime import date as _date

        from shopdesk.public_holidays import looked_up_years, public_calendar

        first, last = looked_up_years(_date.today())
        return public_calendar(self.calendar, first, last)

    def sla_policy(self) -> SlaPolicy:
        targets = {key: (t.first_response, t.resolution) for key, t in self.sla.items()}
        return SlaPolicy(calendar=self.business_calendar(), targets=targets)

    def approval_limit(self, role: str) -> int | None:
        return getattr(self.approval_limits, role, 0)  # a reader (no operator) grants nothing


def business_calendar(settings: Settings) -> BusinessCalendar:
    weekly = {WEEKDAYS.index(day): list(slots) for day, slots in settings.business_hours.items()}
    holidays, extra_workdays = merged_days(
        settings.public_calendar(), settings.holidays, settings.extra_workdays
    )
    return BusinessCalendar(
        tz=settings.timezone,
        weekly=weekly,
        holidays=holidays,
        extra_workdays=extra_workdays,
        extra_day_hours=list(settings.extra_workday_hours),
    )


def validate(settings: Settings) -> Settings:
    for day in settings.business_hours:
        if day not in WEEKDAYS:
            raise ValidationError(
                f"business_hours: unknown day {day!r}; use {', '.join(WEEKDAYS)}",
                field="business_hours",
            )
    check_own_days(settings.holidays, settings.extra_workdays)
    if settings.calendar:
        from shopdesk.public_holidays import check_code

        settings.calendar = check_code(settings.calendar)
    validate_calendar(settings.business_calendar())
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
    settings.backup.every_seconds()  # refused here, not when the first backup is due
    for key in ("disabled", "levels"):
        for name in getattr(settings.detection, key):
            if name not in RULE_NAMES:
                raise ValidationError(
                    f"detection.{key}: unknown rule {name!r}; the rules are: "
                    f"{', '.join(RULE_NAMES)}", field=f"detection.{key}")
    if settings.smtp is not None and settings.smtp.security not in ("starttls", "tls", "none"):
        raise ValidationError(
            f'smtp.security must be "starttls", "tls" or "none", not {settings.smtp.security!r}',
            field="smtp.security")
    if settings.outbound.chat_lang not in (None, "en", "zh"):
        raise ValidationError('outbound.chat_lang must be "en" or "zh"', field="outbound.chat_lang")
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
        data = tomllib.loads(_config_text(path, path.read_bytes()))
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


def _config_text(path: Path, raw: bytes) -> str:
    """The file's text: TOML is UTF-8 (a BOM, as Windows editors write one, is let through).
    A file in another encoding is refused naming it: a Chinese editor's GBK most often."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        guess = _encoding_guess(raw)
        raise ValidationError(
            f"{path} is not UTF-8 (byte 0x{raw[error.start]:02x} on line {line})"
            + (f"; it looks like {guess}: save it as UTF-8 (iconv -f {guess} -t UTF-8)"
               if guess else "; save it as UTF-8"),
            field="config",
        ) from None


def _encoding_guess(raw: bytes) -> str | None:
    """GBK when the bytes read as GBK (GB18030, its superset, to be lenient) with Chinese in them."""
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        return None
    return "GBK" if any("\u4e00" <= char <= "\u9fff" for char in text) else None


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


# --- the shop's rules and a person's settings -----------------------------------------------------

SHOP_KEYS: tuple[str, ...] = (
    "shop_name", "timezone", "currency", "calendar", "business_hours", "holidays",
    "extra_workdays", "extra_workday_hours", "sla", "approval_limits", "close_after_days",
    "csv_bom", "api", "detection",
)
"""Keys that are the shop's, kept in the store (`shopdesk config`), the same for every process."""
PERSONAL_KEYS: tuple[str, ...] = ("lang", "bell")
"""Keys that are a person's, kept in their config file."""
# `operators` and `default_role` (who is who) stay in the file until operators live in the store
# (issue 14): they are neither the shop's settings here nor a person's.


def shop_values(settings: Settings) -> dict[str, Any]:
    """The shop's settings as plain values (dates as ISO text; a None, e.g. no owner limit, left
    out): what the store keeps and `shopdesk config show` prints."""
    data = msgspec.to_builtins(settings)
    return {key: _without_none(data[key]) for key in SHOP_KEYS if data.get(key) is not None}


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_none(item) for key, item in value.items() if item is not None}
    return value


def with_shop_values(
    settings: Settings, stored: dict[str, Any], where: str = "the store's settings"
) -> Settings:
    """`settings` with the store's shop keys in place of its own; refused (naming the key) if a
    stored value is not valid."""
    if not stored:
        return settings
    data = msgspec.to_builtins(settings)
    for key, value in stored.items():
        if key in SHOP_KEYS:
            data[key] = value
    return settings_from(data, where=where)


def settings_from(data: dict[str, Any], *, where: str) -> Settings:
    """Validated Settings from plain values; a bad key is refused naming it and `where`."""
    try:
        return validate(msgspec.convert(data, Settings))
    except msgspec.ValidationError as error:
        key, problem = describe(error)
        text = f"{where}: {problem}" if where else problem
        raise ValidationError(text, field=key or "config") from error
    except ValidationError as error:
        text = f"{where}: {error.detail}" if where else error.detail
        raise ValidationError(text, field=error.field) from error


def file_keys(path: Path | None) -> set[str]:
    """The top-level keys a config file sets (empty when there is no file)."""
    if path is None or not path.exists():
        return set()
    try:
        with path.open("rb") as handle:
            return set(tomllib.load(handle))
    except (OSError, tomllib.TOMLDecodeError):
        return set()


def shop_keys_in_file(path: Path | None) -> list[str]:
    """Shop keys set in a person's config file: named to them, with a pointer to the store."""
    found = file_keys(path)
    return [key for key in SHOP_KEYS if key in found]
