"""English strings of the reports screen and the export helper, looked up in the app's catalog
(shopdesk.tui.i18n) first so a translation there wins; and the small unicode bar charts."""

from __future__ import annotations

EN: dict[str, str] = {
    "reports.title": "Reports",
    "reports.period.days": "last {days} days",
    "reports.period.all": "all time",
    "reports.loading": "Loading…",
    "reports.overview": "Overview",
    "reports.cases": "cases",
    "reports.sla_first": "First response within SLA",
    "reports.sla_resolution": "Resolution within SLA",
    "reports.median_p90": "median {median} h · p90 {p90} h",
    "reports.urgent": "Urgent handled on time",
    "reports.satisfaction": "Satisfaction",
    "reports.satisfaction.value": "{mean} / 5 · {responses} of {eligible} answered ({rate})",
    "reports.by_group": "Cases by group",
    "reports.by_level": "Cases by level",
    "reports.by_status": "Cases by status",
    "reports.by_carrier": "Cases by carrier",
    "reports.carriers": "Carriers: problems per 100 shipped orders",
    "reports.departments": "Department points (−1 responsible, −0.5 joint)",
    "reports.compensation": "Compensation done",
    "reports.none": "nothing in this period",
    "reports.key.week": "7 days",
    "reports.key.month": "30 days",
    "reports.key.all": "All time",
    "reports.key.summary": "Summary CSV",
    "reports.key.carriers": "Carriers CSV",
    "reports.key.departments": "Depts CSV",
    "reports.key.refresh": "Refresh",
    "reports.key.back": "Back",
    "export.title": "Exporting {kind}…",
    "export.progress": "{done} of {total} rows",
    "export.done": "Exported {rows} rows to {path}",
    "export.failed": "Export failed: {error}",
}


def text(key: str, **values: object) -> str:
    try:
        from shopdesk.tui.i18n import t
    except ImportError:  # pragma: no cover - the catalog is part of the TUI
        t = None
    found = t(key, **values) if t is not None else key
    if found == key or found.startswith(("reports.", "export.")):
        template = EN.get(key, key)
        return template.format(**values) if values else template
    return found


_EIGHTHS = " ▏▎▍▌▋▊▉█"


def bar(value: float, maximum: float, width: int = 20) -> str:
    """A horizontal bar of `width` cells for value/maximum, in eighths of a cell."""
    if maximum <= 0 or value <= 0:
        return ""
    eighths = round(min(value / maximum, 1.0) * width * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[rest] if rest else "")


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:g}%"


def number(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"
