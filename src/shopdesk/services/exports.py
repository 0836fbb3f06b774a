"""ExportService: CSV exports for the CLI, the HTTP API and the TUI (docs/exports.md).

`stream` yields bytes: the optional BOM and the header line at once, then one chunk per
`fetchmany` of store rows, so the first byte leaves before the query has produced anything and
memory stays flat whatever the row count. `write` does the same into a file, with progress.

Kinds: rows of the store ("cases", "events", "remedies") and the review figures ("summary",
"carriers", "departments"). A CaseFilter selects the cases; its opened_from/opened_to is the period
(for "carriers": orders shipped in it).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from shopdesk.domain import reports
from shopdesk.domain.csvsafe import (
    BOM,
    Column,
    Derive,
    TimeFormatter,
    format_money,
    header_line,
    render_chunk,
    render_rows,
)
from shopdesk.domain.errors import NotFoundError, ValidationError
from shopdesk.domain.filters import CaseFilter
from shopdesk.store import reports as report_rows
from shopdesk.store.codec import to_db

if TYPE_CHECKING:
    from shopdesk.services import Services

Progress = Callable[[int, int], Any]  # (rows done, rows in all)

CASE_COLUMNS: tuple[Column, ...] = (
    Column("ref"),
    Column("kind"),
    Column("level", "int"),
    Column("urgent", "bool"),
    Column("status"),
    Column("tier"),
    Column("title"),
    Column("assignee"),
    Column("department"),
    Column("responsible_party"),
    Column("responsible_department"),
    Column("joint_department"),
    Column("root_cause"),
    Column("order_number"),
    Column("carrier"),
    Column("tracking_number"),
    Column("order_total", "money", currency_column="order_currency"),
    Column("order_currency"),
    Column("customer_name"),
    Column("customer_email"),
    Column("customer_phone"),
    Column("source"),
    Column("opened_by"),
    Column("opened_at", "time"),
    Column("first_response_at", "time"),
    Column("first_response_due_at", "time"),
    Column("resolved_at", "time"),
    Column("resolution_due_at", "time"),
    Column("closed_at", "time"),
    Column("first_response_met", "bool"),
    Column("resolution_met", "bool"),
    Column("description"),
    Column("resolution"),
)
EVENT_COLUMNS: tuple[Column, ...] = (
    Column("case_ref"),
    Column("event_id", "int"),
    Column("at", "time"),
    Column("actor"),
    Column("type"),
    Column("data"),
)
REMEDY_COLUMNS: tuple[Column, ...] = (
    Column("case_ref"),
    Column("remedy_id", "int"),
    Column("type"),
    Column("amount", "money", currency_column="currency"),
    Column("currency"),
    Column("status"),
    Column("note"),
    Column("proposed_by"),
    Column("proposed_at", "time"),
    Column("decided_by"),
    Column("decided_at", "time"),
    Column("done_at", "time"),
)
_PERIOD = (Column("period_from", "time"), Column("period_to", "time"))
SUMMARY_COLUMNS: tuple[Column, ...] = (
    *_PERIOD,
    Column("section"),
    Column("key"),
    Column("metric"),
    Column("value", "number"),
    Column("currency"),
)
CARRIER_COLUMNS: tuple[Column, ...] = (
    *_PERIOD,
    Column("carrier"),
    Column("shipped_orders", "int"),
    Column("lost", "int"),
    Column("damaged", "int"),
    Column("delayed", "int"),
    Column("lost_per_100", "number"),
    Column("damaged_per_100", "number"),
    Column("delayed_per_100", "number"),
)
DEPARTMENT_COLUMNS: tuple[Column, ...] = (
    *_PERIOD,
    Column("department"),
    Column("responsible_cases", "int"),
    Column("joint_cases", "int"),
    Column("points", "number"),
)

def _case_clocks(now: datetime) -> dict[str, Derive]:
    """The cases export's SLA flags, from its time columns (as the store's UTF-8 text)."""
    now_text = to_db(now).encode()

    def first_response_met(columns):
        stopped = [
            responded or resolved  # without a contact, the resolution told the customer
            for responded, resolved in zip(columns["first_response_at"], columns["resolved_at"])
        ]
        return reports.met_column(
            stopped, columns["first_response_due_at"], columns["status"], now_text
        )

    def resolution_met(columns):
        return reports.met_column(
            columns["resolved_at"], columns["resolution_due_at"], columns["status"], now_text
        )

    return {"first_response_met": first_response_met, "resolution_met": resolution_met}


# Columns the export works out itself (not in the store's SELECT), per kind.
DERIVED: dict[str, Callable[[datetime], dict[str, Derive]]] = {"cases": _case_clocks}

COLUMNS: dict[str, tuple[Column, ...]] = {
    "cases": CASE_COLUMNS,
    "events": EVENT_COLUMNS,
    "remedies": REMEDY_COLUMNS,
    "summary": SUMMARY_COLUMNS,
    "carriers": CARRIER_COLUMNS,
    "departments": DEPARTMENT_COLUMNS,
}
KINDS: tuple[str, ...] = tuple(COLUMNS)


def summary_rows(summary: reports.Summary) -> Iterator[tuple[str, str, str, Any, str]]:
    """The summary in long form: (section, key, metric, value, currency)."""
    yield ("total", "all", "cases", summary.total, "")
    for section, counts in (
        ("status", summary.by_status), ("kind", summary.by_kind), ("group", summary.by_group),
        ("level", summary.by_level), ("carrier", summary.by_carrier),
        ("party", summary.by_party), ("department", summary.by_department),
    ):
        for count in counts:
            yield (section, count.key, "cases", count.count, "")
    for key, figure in (("first_response", summary.first_response), ("resolution", summary.resolution)):
        for metric in ("met", "breached", "pending", "compliance_pct"):
            yield ("sla", key, metric, getattr(figure, metric), "")
    for key, duration in (
        ("first_response", summary.time_to_first_response),
        ("resolution", summary.time_to_resolution),
    ):
        for metric in ("cases", "median_hours", "p90_hours"):
            yield ("time_to", key, metric, getattr(duration, metric), "")
    for item in summary.compensation:
        yield ("compensation", item.type, "remedies", item.remedies, item.currency)
        yield ("compensation", item.type, "amount",
               format_money(item.amount_minor, item.currency), item.currency)
    satisfaction = summary.satisfaction
    for metric in ("responses", "eligible", "mean", "response_rate_pct"):
        yield ("satisfaction", "all", metric, getattr(satisfaction, metric), "")
    for score, responses in satisfaction.distribution.items():
        yield ("satisfaction", f"score_{score}", "responses", responses, "")
    for carrier in summary.carriers:
        for metric in ("shipped_orders", "lost", "damaged", "delayed",
                       "lost_per_100", "damaged_per_100", "delayed_per_100"):
            yield ("carrier_score", carrier.carrier, metric, getattr(carrier, metric), "")
    for department in summary.departments:
        for metric in ("responsible_cases", "joint_cases", "points"):
            yield ("department_points", department.department, metric,
                   getattr(department, metric), "")
    for metric in ("incidents", "stable", "mean_hours_to_stable", "cases_per_incident"):
        yield ("incidents", "all", metric, getattr(summary.incidents, metric), "")
    urgent = summary.urgent
    for metric in ("urgent_cases", "on_time", "late", "pending", "on_time_pct"):
        yield ("urgent", "all", metric, getattr(urgent, metric), "")


class ExportService:
    def __init__(self, services: Services) -> None:
        self._services = services

    def check_kind(self, kind: str) -> tuple[Column, ...]:
        """The columns of `kind`; NotFoundError (field "kind") for a kind that does not exist."""
        columns = COLUMNS.get(kind)
        if columns is None:
            raise NotFoundError(
                f"no export {kind!r}; exports: {', '.join(KINDS)}", field="kind"
            )
        return columns

    def _bom(self, bom: bool | None) -> bool:
        return self._services.settings.csv_bom if bom is None else bom

    def _times(self) -> TimeFormatter:
        return TimeFormatter(self._services.settings.timezone)

    async def count(self, kind: str, case_filter: CaseFilter | None = None) -> int:
        """Rows `kind` will have (for progress); summaries count as their rows once computed."""
        self.check_kind(kind)
        if kind in report_rows.ROW_KINDS:
            return await report_rows.count_rows(
                self._services.store, kind, case_filter or CaseFilter(), self._services.now()
            )
        return len(await self._figure_rows(kind, case_filter or CaseFilter()))

    async def _figure_rows(self, kind: str, case_filter: CaseFilter) -> list[tuple]:
        period = (case_filter.opened_from, case_filter.opened_to)
        service = self._services.reports
        if kind == "summary":
            summary = await service.summary(*period, case_filter)
            return [(*period, *row) for row in summary_rows(summary)]
        if kind == "carriers":
            scores = await service.carriers(*period, case_filter.carrier)
            return [
                (*period, s.carrier, s.shipped_orders, s.lost, s.damaged, s.delayed,
                 s.lost_per_100, s.damaged_per_100, s.delayed_per_100)
                for s in scores
            ]
        points = await service.departments(*period, case_filter)
        return [
            (*period, p.department, p.responsible_cases, p.joint_cases, p.points) for p in points
        ]

    async def stream(
        self, kind: str, case_filter: CaseFilter | None = None, *, bom: bool | None = None
    ) -> AsyncIterator[bytes]:
        """The CSV of `kind` in chunks of bytes: BOM and header first, then the rows."""
        # aclosing: a consumer that stops early (a client hanging up) closes the store
        # connection now, not whenever the garbage collector finds the generator.
        chunks = self._chunks(kind, case_filter or CaseFilter(), bom)
        async with contextlib.aclosing(chunks):
            async for chunk, _ in chunks:
                yield chunk

    async def _chunks(
        self, kind: str, case_filter: CaseFilter, bom: bool | None, sort: str | None = None
    ) -> AsyncIterator[tuple[bytes, int]]:
        """(bytes, rows in them) — the header line is a chunk of 0 rows."""
        columns = self.check_kind(kind)
        times = self._times()
        yield ((BOM if self._bom(bom) else "") + header_line(columns)).encode(), 0
        if kind in report_rows.ROW_KINDS:
            await self._services.cases.ensure_due_times()  # due columns as the queue has them
            now = self._services.now()
            derived = DERIVED[kind](now) if kind in DERIVED else None
            rows_stream = report_rows.stream_rows(self._services.store, kind, case_filter, now,
                                                  sort=sort)
            try:
                async for rows in rows_stream:
                    yield render_chunk(columns, rows, times, derived), len(rows)
            finally:
                await rows_stream.aclose()
        else:
            rows = await self._figure_rows(kind, case_filter)
            yield render_rows(columns, rows, times).encode(), len(rows)

    async def write(
        self,
        kind: str,
        case_filter: CaseFilter | None,
        path: str | Path,
        *,
        bom: bool | None = None,
        progress: Progress | None = None,
        sort: str | None = None,
    ) -> int:
        """Write the CSV of `kind` to `path` (whole or not at all); returns the rows written.

        `progress(rows_done, rows_total)` is called after each chunk.
        """
        self.check_kind(kind)
        case_filter = case_filter or CaseFilter()
        path = Path(path)
        if path.is_dir():
            raise ValidationError(f"{path} is a directory", field="output")
        # Row kinds are counted first; a summary's rows are known once it is computed.
        counted = progress is not None and kind in report_rows.ROW_KINDS
        total = await self.count(kind, case_filter) if counted else 0
        partial = path.with_name(path.name + ".part")
        done = 0
        try:
            with partial.open("wb") as handle:
                chunks_of = self._chunks(kind, case_filter, bom, sort)
                async with contextlib.aclosing(chunks_of) as chunks:
                    async for chunk, rows in chunks:
                        handle.write(chunk)
                        done += rows
                        if progress is not None and rows:
                            progress(done, max(total, done))
            os.replace(partial, path)
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise ValidationError(f"cannot write {path}: {error.strerror}", field="output") from error
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        if progress is not None and done == 0:
            progress(0, 0)
        return done


# --- filters as the CLI and the HTTP API receive them --------------------------------------------

_TRUE = ("1", "true", "yes", "y", "on")
_FALSE = ("0", "false", "no", "n", "off")


def _split(values: list[str] | str | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def parse_moment(text: str, zone: str, *, field: str, end: bool = False) -> datetime:
    """A date ("2026-11-16": the shop's midnight; with `end`, the midnight after it) or an
    ISO-8601 time (without an offset: the shop's zone)."""
    text = text.strip()
    tz = ZoneInfo(zone)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        if end:
            day += timedelta(days=1)
        return datetime.combine(day, time(), tzinfo=tz)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"{field}: {text!r} is not a date (YYYY-MM-DD) or an ISO-8601 time", field=field
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


def filter_from_text(
    zone: str,
    *,
    period_from: str | None = None,
    period_to: str | None = None,
    statuses: list[str] | str | None = None,
    kinds: list[str] | str | None = None,
    levels: list[str] | str | None = None,
    urgent: str | bool | None = None,
    carrier: str | None = None,
) -> CaseFilter:
    """A CaseFilter from the words a user typed; a ValidationError names the field at fault.

    `--to 2026-11-22` includes that whole day. Kinds may name a group ("delivery").
    """
    from shopdesk.domain.kinds import expand_kinds
    from shopdesk.domain.workflow import STATUSES

    opened_from = parse_moment(period_from, zone, field="from") if period_from else None
    opened_to = parse_moment(period_to, zone, field="to", end=True) if period_to else None
    if opened_from is not None and opened_to is not None and opened_to <= opened_from:
        raise ValidationError("to: the period ends before it starts", field="to")
    chosen_statuses = [status.lower() for status in _split(statuses)]
    for status in chosen_statuses:
        if status not in STATUSES:
            raise ValidationError(
                f"status: unknown status {status!r}; expected one of: {', '.join(STATUSES)}",
                field="status",
            )
    chosen_kinds = expand_kinds(_split(kinds))
    chosen_levels: list[int] = []
    for item in _split(levels):
        text = item.upper().removeprefix("L")
        if text not in ("1", "2", "3"):
            raise ValidationError(f"level: must be 1, 2 or 3, not {item!r}", field="level")
        chosen_levels.append(int(text))
    if isinstance(urgent, str):
        word = urgent.strip().lower()
        if word in _TRUE:
            urgent = True
        elif word in _FALSE:
            urgent = False
        else:
            raise ValidationError(f"urgent: {urgent!r} is not true or false", field="urgent")
    carrier = carrier.strip() if carrier else None
    return CaseFilter(
        statuses=chosen_statuses or None,
        kinds=list(dict.fromkeys(chosen_kinds)) or None,
        levels=sorted(set(chosen_levels)) or None,
        urgent=urgent,
        carrier=carrier or None,
        opened_from=opened_from,
        opened_to=opened_to,
    )
