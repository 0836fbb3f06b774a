"""`shopdesk cases list`, `shopdesk cases show REF` and `shopdesk cases open`: the queue and one case
on the terminal, and a case opened by hand.

Only the standard library is imported at module level: `build_parser()` imports this module for
every command, `--version` included. The handlers import the store and services when they run.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shopdesk.cli import Context
    from shopdesk.services import Services

ACTIVE = ("new", "open", "waiting", "escalated")


def register(subparsers: argparse._SubParsersAction) -> None:
    cases = subparsers.add_parser(
        "cases", help="list cases in queue order, show one, open one or act on one")
    commands = cases.add_subparsers(dest="cases_command", metavar="SUBCOMMAND", required=True)

    listing = commands.add_parser(
        "list", help="cases in queue order: overdue, urgent, level, due time",
        description="Cases in queue order (overdue first, then urgent, then level, then due "
        "time). Without --status: the active ones (new, open, waiting, escalated).",
    )
    listing.add_argument("--status", action="append", metavar="S",
                         help="new, open, waiting, escalated, resolved, closed, void (repeatable)")
    listing.add_argument("--all", action="store_true", help="every status")
    listing.add_argument("--kind", action="append", metavar="K",
                         help="a kind (lost, damaged, …) or a group (delivery, payment, …); repeatable")
    listing.add_argument("--level", action="append", metavar="N", help="1, 2 or 3 (or L1..L3); repeatable")
    urgency = listing.add_mutually_exclusive_group()
    urgency.add_argument("--urgent", dest="urgent", action="store_const", const=True,
                         help="urgent cases only")
    urgency.add_argument("--not-urgent", dest="urgent", action="store_const", const=False,
                         help="cases not marked urgent")
    listing.add_argument("--overdue", action="store_true", help="only cases past their due time")
    listing.add_argument("--awaiting-approval", action="store_true",
                         help="only cases with a remedy awaiting a supervisor's approval")
    listing.add_argument("--assignee", metavar="NAME", help="cases assigned to NAME")
    listing.add_argument("--carrier", metavar="NAME", help="cases whose order ships with CARRIER (e.g. 'SF Express')")
    listing.add_argument("--q", metavar="TEXT", help="search ref, order, customer, phone, email, tracking")
    listing.add_argument("--limit", default="50", metavar="N", help="at most N rows (default 50)")
    listing.add_argument("--json", action="store_true", help="JSON instead of a table")
    listing.set_defaults(handler=list_cases)

    show = commands.add_parser("show", help="one case: order, SLA clocks, remedies, contacts, timeline")
    show.add_argument("ref", metavar="REF", help="the case reference, e.g. C-000012 or c-12 (a "
                      "bare 12 only when no order, tracking number or phone is 12 too)")
    show.add_argument("--json", action="store_true", help="JSON instead of text")
    show.set_defaults(handler=show_case)

    opening = commands.add_parser(
        "open", help="open a case by hand (a phoned-in or mailed complaint); prints its ref",
        description="Open a case by hand, as the operator given by --operator. An order named "
        "by --order is linked when shopdesk follows it, else recorded with just its number.",
    )
    opening.add_argument("--kind", required=True, metavar="K",
                         help="lost, damaged, complaint, … (see `cases list --kind`)")
    opening.add_argument("--title", required=True, metavar="T", help="what the customer reports")
    opening.add_argument("--level", default="1", metavar="N", help="1, 2 or 3 (default 1)")
    opening.add_argument("--urgent", action="store_true", help="mark the case urgent")
    opening.add_argument("--description", default="", metavar="TEXT", help="more detail")
    opening.add_argument("--customer", default="", metavar="NAME", help="the customer's name")
    opening.add_argument("--phone", default="", metavar="P", help="the customer's phone")
    opening.add_argument("--order", default="", metavar="NUMBER",
                         help="the order number the customer gives (#10036 or 10036)")
    opening.set_defaults(handler=open_case)

    from shopdesk.cli import case_actions

    case_actions.register(commands)  # cases ACTION REF: every action of the TUI


# --- opening the store for reading --------------------------------------------------------


def existing_store_path(ctx: Context) -> Path:
    """The store a read command works on; it must exist (reading never creates a store)."""
    from shopdesk.cli import no_store_message
    from shopdesk.domain.errors import ShopdeskError

    path = ctx.db_path
    if not path.exists():
        raise ShopdeskError(no_store_message(path), field="db")  # the same words as `shopdesk`'s
    if path.is_dir():
        raise ShopdeskError(f"{path} is a directory, not a store file", field="db")
    return path


def _run_with_services(ctx: Context, work) -> int:
    """Open the existing store, build Services and run `work(services)` on one event loop."""
    import asyncio

    from shopdesk.services import Services
    from shopdesk.store import open_store

    path = existing_store_path(ctx)
    settings = ctx.settings()

    async def main() -> int:
        async with open_store(path) as store:
            services = Services(store, settings)
            await services.shop.load()  # the shop's settings are the store's
            return await work(services)

    return asyncio.run(main())


# --- input checks ----------------------------------------------------------------------------


def _statuses(args: argparse.Namespace) -> list[str] | None:
    from shopdesk.domain.errors import ValidationError
    from shopdesk.domain.workflow import STATUSES

    if args.all and args.status:
        raise ValidationError("--all and --status do not go together", field="status")
    if args.all:
        return None
    if not args.status:
        return list(ACTIVE)
    statuses = [item.strip().lower() for value in args.status for item in value.split(",") if item.strip()]
    for status in statuses:
        if status not in STATUSES:
            raise ValidationError(
                f"unknown status {status!r}; expected one of: {', '.join(STATUSES)}", field="status"
            )
    return statuses


def _kinds(values: list[str] | None) -> list[str] | None:
    from shopdesk.domain.kinds import expand_kinds

    return expand_kinds(values or []) or None


def _levels(values: list[str] | None) -> list[int] | None:
    from shopdesk.domain.errors import ValidationError

    if not values:
        return None
    levels: list[int] = []
    for value in values:
        for item in value.split(","):
            text = item.strip().upper().removeprefix("L")
            if text not in ("1", "2", "3"):
                raise ValidationError(f"level must be 1, 2 or 3, not {item.strip()!r}", field="level")
            levels.append(int(text))
    return sorted(set(levels))


def _limit(text: str) -> int:
    from shopdesk.domain.errors import ValidationError

    try:
        limit = int(text)
    except ValueError:
        limit = 0
    if limit < 1:
        raise ValidationError(f"--limit must be a whole number of 1 or more, not {text!r}", field="limit")
    return limit


# --- text layout (Chinese characters take two columns) ------------------------------------------


def display_width(text: str) -> int:
    """Terminal columns `text` takes: wide and fullwidth characters 2, combining marks 0."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def fit(text: str, width: int) -> str:
    """`text` cut to `width` columns (with … when cut) and padded with spaces to exactly `width`."""
    text = " ".join(text.split())
    if display_width(text) > width:
        kept, used = [], 0
        for char in text:
            char_width = display_width(char)
            if used + char_width > width - 1:
                break
            kept.append(char)
            used += char_width
        text = "".join(kept) + "…"
    return text + " " * (width - display_width(text))


def table(headers: list[str], rows: list[list[str]], limits: dict[int, int] | None = None) -> str:
    """Rows aligned by display width; column i at most limits[i] columns wide."""
    limits = limits or {}
    widths = [display_width(header) for header in headers]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], display_width(cell))
    widths = [min(width, limits.get(index, width)) for index, width in enumerate(widths)]
    lines = []
    for row in [headers, *rows]:
        lines.append("  ".join(fit(cell, widths[i]) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines)


def span(delta: timedelta, day: timedelta) -> str:
    """A business-time span without its sign: 45m, 3h20m, 2d4h."""
    from shopdesk.domain.sla_policy import format_span

    return format_span(abs(delta), day)


class _Clock:
    """Local-time and business-time formatting for one settings/now pair."""

    def __init__(self, services: Services) -> None:
        from zoneinfo import ZoneInfo

        from shopdesk.domain import sla

        self.sla = sla
        self.now = services.now()
        self.zone = ZoneInfo(services.settings.timezone)
        self.calendar = services.policy.calendar
        self.day = sla.day_length(self.calendar)

    def local(self, moment: datetime | None, *, year: bool = True) -> str:
        if moment is None:
            return "—"
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M" if year else "%m-%d %H:%M")

    def left(self, case) -> str:
        """Business time left on the running clock (`-span` overdue), as the TUI shows it too."""
        from shopdesk.domain.sla_policy import format_span, time_left

        left, tone = time_left(
            self.calendar, status=case.status, due_at=case.due_at,
            opened_at=case.reopened_at or case.opened_at,
            now=self.now,
        )
        if tone == "paused":
            return "paused"
        if left is None:
            return "—"
        if tone == "breached" and not left:
            return "late"
        return format_span(left, self.day)


# --- cases open ---------------------------------------------------------------------------------


def open_case(ctx: Context) -> int:
    from shopdesk.services.cases_by_hand import open_by_hand

    args = ctx.args

    async def work(services: Services) -> int:
        case = await open_by_hand(
            services, await ctx.actor(services), kind=args.kind, title=args.title,
            level=args.level, urgent=args.urgent, description=args.description,
            customer_name=args.customer, customer_phone=args.phone, order_number=args.order,
        )
        print(case.ref)
        return 0

    return _run_with_services(ctx, work)


# --- cases list ---------------------------------------------------------------------------------


def list_cases(ctx: Context) -> int:
    from shopdesk.domain.filters import CaseFilter

    args = ctx.args
    case_filter = CaseFilter(
        statuses=_statuses(args),
        kinds=_kinds(args.kind),
        levels=_levels(args.level),
        urgent=args.urgent,
        overdue=True if args.overdue else None,
        awaiting_approval=True if args.awaiting_approval else None,
        assignee=args.assignee.strip() if args.assignee else None,
        carrier=args.carrier.strip() if args.carrier else None,
        q=args.q.strip() if args.q and args.q.strip() else None,
    )
    limit = _limit(args.limit)

    async def work(services: Services) -> int:
        cases = await services.cases.list(case_filter, limit=limit)
        total = await services.cases.count(case_filter)
        if args.json:
            _print_json([_case_json(case, services.now()) for case in cases])
        else:
            print(_queue_text(services, _terminal_safe(cases), total))
        return 0

    return _run_with_services(ctx, work)


def _queue_text(services: Services, cases: list, total: int) -> str:
    from shopdesk.domain.queue import is_overdue

    if not cases:
        return "no cases match"
    clock = _Clock(services)
    rows = []
    for case in cases:
        overdue = is_overdue(case, clock.now)
        rows.append([
            case.ref,
            ("!" if overdue else "") + clock.left(case),
            clock.local(case.due_at, year=False) if case.status in ACTIVE and case.due_at else "—",
            f"L{case.level}",
            "URG" if case.urgent else "",
            case.kind,
            case.status + ("" if case.tier == "operator" else f"/{case.tier[:3]}"),
            case.customer.name or "—",
            case.order_number or "—",
            case.assignee or "—",
        ])
    headers = ["REF", "LEFT", "DUE", "LVL", "URG", "KIND", "STATUS", "CUSTOMER", "ORDER", "ASSIGNEE"]
    text = _fitted_table(headers, rows, _terminal_width())
    shown = f"{len(cases)} of {total}" if total > len(cases) else f"{total}"
    return f"{text}\n\n{shown} case(s); LEFT is business time ('!' overdue); times in {services.settings.timezone}"


def _terminal_width() -> int:
    """Columns of the terminal ($COLUMNS first); unlimited when the output is not a terminal."""
    import shutil

    return shutil.get_terminal_size(fallback=(10_000, 24)).columns


# Narrower and narrower layouts: column limits, then columns left out (by header).
_LAYOUTS: tuple[tuple[dict[str, int], tuple[str, ...]], ...] = (
    ({"KIND": 18, "CUSTOMER": 18, "ORDER": 14, "ASSIGNEE": 12}, ()),
    ({"KIND": 16, "CUSTOMER": 12, "ORDER": 10, "ASSIGNEE": 10}, ("DUE",)),
    ({"KIND": 14, "CUSTOMER": 10, "ASSIGNEE": 9}, ("DUE", "ORDER")),
    ({"KIND": 12, "CUSTOMER": 8}, ("DUE", "ORDER", "ASSIGNEE")),
)


def _fitted_table(headers: list[str], rows: list[list[str]], width: int) -> str:
    """The widest layout that fits `width` columns (80x24 over SSH included)."""
    text = ""
    for limits, dropped in _LAYOUTS:
        keep = [i for i, header in enumerate(headers) if header not in dropped]
        text = table(
            [headers[i] for i in keep],
            [[row[i] for i in keep] for row in rows],
            limits={n: limits[headers[i]] for n, i in enumerate(keep) if headers[i] in limits},
        )
        if max(display_width(line) for line in text.splitlines()) <= width:
            break
    return text


# --- cases show -----------------------------------------------------------------------------------


def show_case(ctx: Context) -> int:
    async def work(services: Services) -> int:
        # "C-600" is a ref; a bare "600" only when no order, tracking number or phone is 600 too
        detail = await services.cases.detail((await services.cases.find_one(ctx.args.ref)).ref)
        first, resolution = await services.cases.clocks(detail.case)
        if ctx.args.json:
            import msgspec

            payload = msgspec.to_builtins(detail)
            payload["clocks"] = {
                "first_response": msgspec.to_builtins(first) if first else None,
                "resolution": msgspec.to_builtins(resolution) if resolution else None,
            }
            _print_json(payload)
        else:
            print(_detail_text(services, _terminal_safe(detail), first, resolution))
        return 0

    return _run_with_services(ctx, work)


def _terminal_safe(value):
    """`value` with no control character in any of its text (names, titles, notes …): a store may
    hold escape sequences a shop sent before intake dropped them, and a terminal would obey them.
    (JSON output keeps the text exact, with every control character as a \\u escape.)"""
    from shopdesk.domain.plain_text import plain_copy

    return plain_copy(value)


def _money(amount_minor: int, currency: str) -> str:
    from shopdesk.domain.money import format_minor

    return format_minor(amount_minor, currency)


def _clock_line(clock: _Clock, name: str, state, met_at: datetime | None,
                holiday: str | None = None) -> str:
    if state is None:
        return f"  {name:<15} no target"
    target = span(state.target, clock.day)
    if state.stopped:
        verdict = "breached" if state.breached else "met"
        return f"  {name:<15} {verdict} at {clock.local(met_at)} (target {target})"
    if state.paused:
        return f"  {name:<15} paused (waiting), {span(state.remaining, clock.day)} left of {target}"
    due = clock.local(state.due_at)
    if state.breached:
        late = state.remaining if state.remaining < timedelta() else timedelta()
        return f"  {name:<15} OVERDUE since {due}, {span(late, clock.day)} over (target {target})"
    after = f" — after {holiday}" if holiday else ""
    return (f"  {name:<15} due {due}{after}, {span(state.remaining, clock.day)} left "
            f"(target {target})")


def _event_text(event) -> str:
    data = dict(event.data)
    parts = []
    if "from" in data and "to" in data and not isinstance(data["from"], dict):
        parts.append(f"{data.pop('from') or '—'} → {data.pop('to') or '—'}")
    for key, value in data.items():
        if value in (None, "", [], {}):
            continue
        if isinstance(value, dict) and set(value) == {"from", "to"}:
            value = f"{value['from']} → {value['to']}"
        parts.append(f"{key}={value}")
    return "  ".join(parts)


def _detail_text(services: Services, detail, first, resolution) -> str:
    from shopdesk.domain.kinds import GROUP_OF_KIND, KIND_LABELS_ZH, LEVEL_NAMES

    clock = _Clock(services)
    case = detail.case
    lines = [
        f"{case.ref}  {case.title}",
        f"  kind            {case.kind} ({KIND_LABELS_ZH.get(case.kind, '')}, group {GROUP_OF_KIND.get(case.kind, '?')})",
        f"  level           {LEVEL_NAMES.get(case.level, case.level)}{'   URGENT' if case.urgent else ''}",
        f"  status          {case.status} (tier {case.tier}, version {case.version})",
        f"  assignee        {case.assignee or '—'}   department {case.department or '—'}",
        f"  customer        {case.customer.name or '—'}  {case.customer.phone}  {case.customer.email}".rstrip(),
        f"  opened          {clock.local(case.opened_at)} by {case.opened_by} (source {case.source})",
    ]
    if case.description:
        lines.append(f"  description     {case.description}")
    if case.responsible_party or case.responsible_department:
        joint = f", joint {case.joint_department}" if case.joint_department else ""
        lines.append(
            f"  responsibility  {case.responsible_party or '—'} / {case.responsible_department or '—'}{joint}"
        )
    if case.root_cause:
        lines.append(f"  root cause      {case.root_cause}")
    if case.evidence:
        lines.append(f"  evidence        {'; '.join(case.evidence)}")
    if case.resolution:
        lines.append(f"  resolution      {case.resolution} ({clock.local(case.resolved_at)})")
    if case.closed_at:
        lines.append(f"  closed          {clock.local(case.closed_at)}")

    lines += ["", f"SLA (business hours, {services.settings.timezone})"]
    pushed = [services.calendar.pushed_by(start, state.due_at if state else None)
              for start, state in ((case.opened_at, first),
                                   (case.reopened_at or case.opened_at, resolution))]
    lines.append(_clock_line(clock, "first response", first, case.first_response_at,
                             pushed[0].en if pushed[0] else None))
    lines.append(_clock_line(clock, "resolution", resolution, case.resolved_at,
                             pushed[1].en if pushed[1] else None))

    order = detail.order
    lines += ["", "Order"]
    if order is None:
        lines.append("  none linked")
    else:
        lines.append(f"  {order.number or '—'}  ({order.source} {order.external_id})  status {order.status or '—'}")
        lines.append(f"  total {_money(order.total_minor, order.currency)}, paid {_money(order.paid_minor, order.currency)}")
        if order.carrier or order.tracking_number:
            lines.append(f"  carrier {order.carrier or '—'}  tracking {order.tracking_number or '—'}")
        if order.address:
            lines.append(f"  address {order.address}")
        for item in order.items:
            lines.append(f"  - {item.quantity} × {item.name} {item.sku}  {_money(item.price_minor, order.currency)}")
        times = [(name, getattr(order, name)) for name in ("placed_at", "paid_at", "shipped_at", "delivered_at", "ship_by", "deliver_by")]
        stamps = "  ".join(f"{name.removesuffix('_at')} {clock.local(value, year=False)}" for name, value in times if value)
        if stamps:
            lines.append(f"  {stamps}")

    if detail.incidents:
        lines += ["", "Incidents"]
        for incident in detail.incidents:
            lines.append(f"  {incident.ref} {incident.title} ({incident.type}, L{incident.level}, {incident.status})")

    lines += ["", "Remedies"]
    if not detail.remedies:
        lines.append("  none")
    for remedy in detail.remedies:
        amount = f" {_money(remedy.amount_minor, remedy.currency)}" if remedy.amount_minor else ""
        waiting = "  (awaiting approval)" if remedy.status == "proposed" else ""
        decided = f", decided by {remedy.decided_by}" if remedy.decided_by else ""
        lines.append(
            f"  #{remedy.id} {remedy.type}{amount}  {remedy.status}{waiting}  "
            f"proposed by {remedy.proposed_by} {clock.local(remedy.proposed_at, year=False)}{decided}"
            + (f"  — {remedy.note}" if remedy.note else "")
        )

    lines += ["", "Contacts"]
    if not detail.contacts:
        lines.append("  none")
    for contact in detail.contacts:
        arrow = "→" if contact.direction == "outbound" else "←"
        template = f" [{contact.template}]" if contact.template else ""
        follow = f"  (follow up {clock.local(contact.next_follow_up_at, year=False)})" if contact.next_follow_up_at else ""
        lines.append(
            f"  {clock.local(contact.at, year=False)} {arrow} {contact.channel:<8} {contact.actor}{template}: "
            f"{contact.summary}{follow}"
        )

    lines += ["", "Survey"]
    survey = detail.survey
    lines.append(
        f"  {survey.score}/5 {survey.comment} ({clock.local(survey.at, year=False)})" if survey else "  none"
    )

    lines += ["", "Timeline"]
    for event in detail.events:
        lines.append(f"  {clock.local(event.at)}  {fit(event.actor, 10)}  {fit(event.type, 16)}  {_event_text(event)}".rstrip())
    return "\n".join(lines)


# --- JSON ------------------------------------------------------------------------------------------


def _case_json(case, now: datetime) -> dict[str, Any]:
    import msgspec

    from shopdesk.domain.queue import is_overdue

    payload = msgspec.to_builtins(case)
    payload["overdue"] = is_overdue(case, now)
    return payload


def _print_json(payload: Any) -> None:
    import msgspec

    encoded = msgspec.json.format(msgspec.json.encode(payload), indent=2).decode()
    sys.stdout.write(_RAW_CONTROLS.sub(lambda m: f"\\u{ord(m[0]):04x}", encoded) + "\n")


# msgspec escapes C0 controls in JSON strings but writes DEL and C1 (8-bit CSI, OSC …) as they are.
_RAW_CONTROLS = re.compile(r"[\x7f-\x9f]")
