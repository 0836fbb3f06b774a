"""Incidents (紧急状态/突发事件): statuses, the response team, bulk actions and the review — pure.

An incident is declared `active`, declared `stable` once under control (time to stable), then
`closed` with its review (总结与改进): cause, impact (computed), timeline, lessons.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from shopdesk.domain.cases import Incident
from shopdesk.domain.errors import TransitionError, ValidationError
from shopdesk.domain.money import format_minor

STATUSES: tuple[str, ...] = ("active", "stable", "closed")
MOVES: dict[str, dict[str, str]] = {
    "stable": {"active": "stable"},
    "close": {"stable": "closed"},
}
BULK_ACTIONS: tuple[str, ...] = ("note", "contact", "escalate", "resolve")


def _worded(error: TransitionError) -> TransitionError:
    """A TransitionError worded for an incident (409 naming the moves allowed)."""
    doing, status, allowed = error.action, error.status, error.allowed
    allowed_text = ", ".join(allowed) if allowed else "none (it is closed)"
    error.detail = (f"cannot {doing} an incident that is {status}; allowed from {status}: "
                    f"{allowed_text}")
    error.args = (error.detail,)
    return error


def next_status(move: str, status: str) -> str:
    """The status after `move` (stable, close), or a TransitionError naming what is allowed."""
    if status not in MOVES[move]:
        allowed = [name for name, moves in MOVES.items() if status in moves]
        raise _worded(TransitionError("mark stable" if move == "stable" else "close", status,
                                      allowed, code="incident_move_refused"))
    return MOVES[move][status]


def check_open(incident: Incident, doing: str) -> None:
    """Links, team changes and bulk actions need an incident that is not closed."""
    if incident.status == "closed":
        raise _worded(TransitionError(doing, "closed", [], code="incident_closed"))


def filter_text(data: dict) -> str:
    """A stored filter as a reader says it: carrier=ZTO, kinds=lost,damaged."""
    return ", ".join(
        f"{key}={','.join(map(str, value)) if isinstance(value, list) else value}"
        for key, value in data.items())


class TeamMember(msgspec.Struct, kw_only=True):
    """A member of the response team (应急小组): an operator, their role in it, their phone."""

    operator: str
    role: str
    phone: str
    added_at: datetime


class IncidentEvent(msgspec.Struct, kw_only=True):
    at: datetime
    actor: str
    type: str  # declared | team_added | team_removed | linked | unlinked | bulk | stable | closed
    data: dict = msgspec.field(default_factory=dict)


class LinkResult(msgspec.Struct, kw_only=True):
    matched: int
    """Cases the refs or the filter named."""
    linked: int
    """Of those, linked now (the others were linked already)."""
    follows: bool = False
    """New cases matching the filter join the incident as they arrive."""


class Refused(msgspec.Struct, kw_only=True):
    ref: str
    detail: str


class BulkResult(msgspec.Struct, kw_only=True):
    """One bulk action over the incident's linked cases. `run` identifies it: a rerun of the same
    request after an interruption goes on with the same run and skips the cases already done."""

    run: int
    action: str
    total: int
    """Linked cases when the run (re)started."""
    done: int
    """Done by this call."""
    done_before: int = 0
    """Done by an earlier, interrupted call of the same run: not done again."""
    refused: list[Refused] = msgspec.field(default_factory=list)


class Impact(msgspec.Struct, kw_only=True):
    """The review's figures, computed from the store."""

    cases: int
    orders: int
    customers_contacted: int
    compensation: dict[str, int]  # currency -> minor units, approved or done money remedies
    time_to_stable_s: int | None  # seconds from start to stable; None while active


class Review(msgspec.Struct, kw_only=True):
    incident: Incident
    impact: Impact
    team: list[TeamMember]
    timeline: list[IncidentEvent]


def time_to_stable(incident: Incident) -> timedelta | None:
    if incident.stable_at is None:
        return None
    return incident.stable_at - incident.started_at


def check_team_member(operator: str, role: str, phone: str) -> tuple[str, str, str]:
    operator, role, phone = operator.strip(), role.strip(), phone.strip()
    if not operator:
        raise ValidationError("a team member needs an operator's name", field="operator")
    if not role:
        raise ValidationError("a team member needs a role in the incident (lead, comms, "
                              "logistics …)", field="role")
    if phone and not all(char.isdigit() or char in " +-()" for char in phone):
        raise ValidationError(f"{phone!r} is not a phone number", field="phone")
    if phone and sum(char.isdigit() for char in phone) < 5:
        raise ValidationError(f"{phone!r} is too short for a phone number", field="phone")
    return operator, role, phone


def span_text(span: timedelta | None) -> str:
    """3d 4h 5m; '—' when there is none."""
    if span is None:
        return "—"
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    if hours or days:
        parts.append(f"{hours}h")
    parts.append(f"{mins}m")
    return " ".join(parts)


def compensation_text(compensation: dict[str, int]) -> str:
    if not compensation:
        return "none"
    return ", ".join(format_minor(amount, currency)
                     for currency, amount in sorted(compensation.items()))


def event_text(event: IncidentEvent) -> str:
    """One line of the incident's timeline."""
    data = event.data
    if event.type == "declared":
        return f"declared L{data.get('level')} {data.get('type')}: {data.get('title')}"
    if event.type == "team_added":
        return f"{data.get('operator')} joined the team as {data.get('role')}"
    if event.type == "team_removed":
        return f"{data.get('operator')} left the team"
    if event.type == "linked":
        how = f" by filter {filter_text(data['filter'])}" if data.get("filter") else " by ref"
        return f"{data.get('linked')} case(s) linked{how}"
    if event.type == "unlinked":
        return f"{data.get('unlinked')} case(s) unlinked"
    if event.type == "bulk":
        refused = f", {data.get('refused')} refused" if data.get("refused") else ""
        return f"bulk {data.get('action')}: {data.get('done')} done{refused}"
    if event.type == "stable":
        return "declared stable (under control)"
    if event.type == "closed":
        return "closed with its review"
    return event.type


def _local(moment: datetime | None, zone) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else "—"


def review_markdown(review: Review, zone) -> str:
    """The review (总结与改进) as a Markdown document."""
    incident, impact = review.incident, review.impact
    stable = time_to_stable(incident)
    lines = [
        f"# {incident.ref} {incident.title}",
        "",
        f"- Type: {incident.type}, level L{incident.level}, status {incident.status}",
        f"- Owner: {incident.owner or '—'}",
        f"- Started: {_local(incident.started_at, zone)}; stable: "
        f"{_local(incident.stable_at, zone)}; closed: {_local(incident.ended_at, zone)}",
    ]
    if incident.description:
        lines += ["", incident.description]
    lines += ["", "## Cause", "", incident.review_cause or "(not written yet)",
              "", "## Impact", "",
              f"| figure | value |", "|---|---|",
              f"| cases | {impact.cases} |",
              f"| orders | {impact.orders} |",
              f"| customers contacted | {impact.customers_contacted} |",
              f"| compensation | {compensation_text(impact.compensation)} |",
              f"| time to stable | {span_text(stable)} |"]
    if incident.review_impact:
        lines += ["", incident.review_impact]
    lines += ["", "## Response team", ""]
    lines += [f"- {member.operator} — {member.role}" + (f", {member.phone}" if member.phone else "")
              for member in review.team] or ["- (none)"]
    lines += ["", "## Timeline", ""]
    lines += [f"- {_local(event.at, zone)} {event.actor}: {event_text(event)}"
              for event in review.timeline] or ["- (nothing yet)"]
    lines += ["", "## Lessons", "", incident.review_changes or "(not written yet)", ""]
    return "\n".join(_one_line_cells(line) for line in lines)


def _one_line_cells(line: str) -> str:
    return line.replace("\r", " ")


def review_rows(review: Review, zone) -> list[list[str]]:
    """The review as CSV rows: section, item, value (figures, team, timeline, text)."""
    incident, impact = review.incident, review.impact
    rows = [["section", "item", "value"],
            ["incident", "ref", incident.ref], ["incident", "title", incident.title],
            ["incident", "type", incident.type], ["incident", "level", str(incident.level)],
            ["incident", "status", incident.status], ["incident", "owner", incident.owner],
            ["incident", "started", _local(incident.started_at, zone)],
            ["incident", "stable", _local(incident.stable_at, zone)],
            ["incident", "closed", _local(incident.ended_at, zone)],
            ["impact", "cases", str(impact.cases)], ["impact", "orders", str(impact.orders)],
            ["impact", "customers contacted", str(impact.customers_contacted)],
            ["impact", "time to stable (minutes)",
             "" if impact.time_to_stable_s is None else str(impact.time_to_stable_s // 60)]]
    rows += [["compensation", currency, format_minor(amount, currency)]
             for currency, amount in sorted(impact.compensation.items())]
    rows += [["team", member.operator, f"{member.role} {member.phone}".strip()]
             for member in review.team]
    rows += [["timeline", _local(event.at, zone), f"{event.actor}: {event_text(event)}"]
             for event in review.timeline]
    rows += [["review", "cause", incident.review_cause],
             ["review", "impact", incident.review_impact],
             ["review", "lessons", incident.review_changes]]
    return rows
