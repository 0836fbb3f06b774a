"""Exports read back with the csv module and compared with the store."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from report_world import PERIOD, build_week

from shopdesk.config import Settings
from shopdesk.domain.csvsafe import DANGEROUS_PREFIXES, format_money
from shopdesk.domain.errors import NotFoundError, ValidationError
from shopdesk.domain.filters import CaseFilter
from shopdesk.services.exports import COLUMNS, DERIVED, KINDS
from shopdesk.store import open_store
from shopdesk.store import reports as report_rows


@pytest.fixture
async def week(tmp_path: Path):
    async with open_store(tmp_path / "shop.db") as store:
        services, _ = await build_week(store)
        yield services


async def exported(services, kind: str, case_filter: CaseFilter | None = None, **kw) -> bytes:
    return b"".join([chunk async for chunk in services.exports.stream(kind, case_filter, **kw)])


def table(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("kind", report_rows.ROW_KINDS)
async def test_select_columns_are_the_documented_columns(week, kind: str) -> None:
    names = await report_rows.row_columns(week.store, kind)
    derived = DERIVED[kind](week.now()) if kind in DERIVED else {}
    assert names == [column.name for column in COLUMNS[kind] if column.name not in derived]


async def test_cases_export_matches_the_store(week) -> None:
    rows = table(await exported(week, "cases"))
    cases = await week.cases.list(CaseFilter(), limit=100)
    assert [row["ref"] for row in rows] == sorted(case.ref for case in cases)
    by_ref = {row["ref"]: row for row in rows}
    for case in cases:
        row = by_ref[case.ref]
        assert row["kind"] == case.kind
        assert row["level"] == str(case.level)
        assert row["urgent"] == ("true" if case.urgent else "false")
        assert row["status"] == case.status
        assert row["opened_at"] == case.opened_at.astimezone(week_zone(week)).isoformat()
        assert row["carrier"] == case.carrier
        assert row["title"].removeprefix("'") == case.title
    a = by_ref["C-000002"]
    assert a["title"] == "'=包裹丢失 lost parcel"  # neutralised
    assert a["opened_at"] == "2026-11-16T09:00:00+08:00"
    assert a["first_response_at"] == "2026-11-16T09:30:00+08:00"
    assert a["order_total"] == "494.00" and a["order_currency"] == "CNY"
    assert a["first_response_met"] == "true" and a["resolution_met"] == "true"
    assert a["responsible_department"] == "logistics" and a["joint_department"] == "warehouse"
    assert by_ref["C-000003"]["title"] == '破损, "box" crushed'
    assert by_ref["C-000003"]["first_response_met"] == "false"
    assert by_ref["C-000005"]["first_response_met"] == "false"  # no response, overdue
    assert by_ref["C-000007"]["first_response_met"] == ""  # still running
    for row in rows:
        assert not any(cell.startswith(DANGEROUS_PREFIXES) for cell in row.values())


def week_zone(services):
    from zoneinfo import ZoneInfo

    return ZoneInfo(services.settings.timezone)


async def test_filters_select_the_rows(week) -> None:
    rows = table(await exported(week, "cases", CaseFilter(urgent=True)))
    assert [row["ref"] for row in rows] == ["C-000004", "C-000005"]
    rows = table(await exported(week, "cases", CaseFilter(opened_from=PERIOD[0], opened_to=PERIOD[1])))
    assert "C-000001" not in {row["ref"] for row in rows} and len(rows) == 6
    assert table(await exported(week, "cases", CaseFilter(carrier="nobody"))) == []


async def test_events_export_is_every_timeline_in_order(week) -> None:
    rows = table(await exported(week, "events", CaseFilter(kinds=["lost"], opened_from=PERIOD[0])))
    detail = await week.cases.detail("C-000002")
    assert [int(row["event_id"]) for row in rows] == [event.id for event in detail.events]
    assert {row["case_ref"] for row in rows} == {"C-000002"}
    assert rows[0]["type"] == "opened" and rows[0]["at"] == "2026-11-16T09:00:00+08:00"
    survey = next(row for row in rows if row["type"] == "survey")
    assert "很好" in survey["data"]


async def test_remedies_export_has_major_units_and_currency(week) -> None:
    rows = table(await exported(week, "remedies"))
    assert [(r["case_ref"], r["type"], r["amount"], r["currency"], r["status"]) for r in rows] == [
        ("C-000002", "refund_partial", "50.00", "CNY", "done"),
        ("C-000003", "coupon", "20.00", "CNY", "done"),
    ]


async def test_summary_exports(week) -> None:
    period = CaseFilter(opened_from=PERIOD[0], opened_to=PERIOD[1])
    summary = table(await exported(week, "summary", period))
    figures = {(r["section"], r["key"], r["metric"]): (r["value"], r["currency"]) for r in summary}
    assert figures[("total", "all", "cases")] == ("5", "")
    assert figures[("sla", "first_response", "compliance_pct")] == ("50", "")
    assert figures[("sla", "resolution", "compliance_pct")] == ("75", "")
    assert figures[("time_to", "first_response", "p90_hours")] == ("5", "")
    assert figures[("compensation", "refund_partial", "amount")] == ("50.00", "CNY")
    assert figures[("satisfaction", "all", "response_rate_pct")] == ("66.67", "")
    assert figures[("department_points", "warehouse", "points")] == ("-1.5", "")
    assert figures[("urgent", "all", "on_time_pct")] == ("50", "")
    assert {r["period_from"] for r in summary} == {"2026-11-16T00:00:00+08:00"}
    carriers = table(await exported(week, "carriers", period))
    assert [(r["carrier"], r["shipped_orders"], r["lost_per_100"]) for r in carriers] == [
        ("SF", "3", "33.33"), ("YTO", "2", "0"),
    ]
    departments = table(await exported(week, "departments", period))
    assert [(r["department"], r["points"]) for r in departments] == [
        ("logistics", "-2"), ("warehouse", "-1.5"),
    ]


async def test_bom_follows_the_flag_and_the_config(tmp_path: Path) -> None:
    async with open_store(tmp_path / "shop.db") as store:
        services, _ = await build_week(store, Settings(csv_bom=True))
        with_bom = await exported(services, "cases")
        without = await exported(services, "cases", bom=False)
    assert with_bom.startswith(b"\xef\xbb\xbfref,kind,")
    assert without.startswith(b"ref,kind,")
    assert with_bom[3:] == without
    assert "包裹丢失" in with_bom.decode("utf-8-sig")
    assert table(with_bom) == table(without)


async def test_first_chunk_is_the_header_before_any_query(week) -> None:
    stream = week.exports.stream("cases")
    first = await anext(stream)
    assert first == (",".join(c.name for c in COLUMNS["cases"]) + "\r\n").encode()
    await stream.aclose()


async def test_rows_come_in_bounded_chunks(week, monkeypatch) -> None:
    monkeypatch.setattr(report_rows, "CHUNK_ROWS", 2)
    original = report_rows.stream_rows

    def small(*args, **kwargs):
        return original(*args, **{**kwargs, "chunk_rows": 2})

    monkeypatch.setattr(report_rows, "stream_rows", small)
    chunks = [chunk async for chunk in week.exports.stream("cases", bom=False)]
    assert len(chunks) == 1 + 4  # header, then 7 rows in chunks of 2
    assert len(table(b"".join(chunks))) == 7


async def test_write_to_a_file_with_progress(week, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    path = tmp_path / "cases.csv"
    written = await week.exports.write("cases", None, path, bom=True, progress=lambda d, t: seen.append((d, t)))
    assert written == 7 and seen[-1] == (7, 7)
    assert table(path.read_bytes())[0]["ref"] == "C-000001"
    assert not (tmp_path / "cases.csv.part").exists()
    assert await week.exports.write("summary", None, tmp_path / "s.csv", bom=False) > 10


async def test_unknown_kind_and_unwritable_path(week, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError) as error:
        week.exports.check_kind("invoices")
    assert error.value.field == "kind" and "cases" in error.value.detail
    with pytest.raises(NotFoundError):
        await exported(week, "invoices")
    with pytest.raises(ValidationError) as error:
        await week.exports.write("cases", None, tmp_path / "missing" / "x.csv")
    assert error.value.field == "output"
    with pytest.raises(ValidationError):
        await week.exports.write("cases", None, tmp_path)
    assert not list((tmp_path).glob("*.part"))


def test_every_kind_has_columns() -> None:
    assert set(KINDS) >= {"cases", "events", "summary", "carriers", "departments"}
    assert format_money(49400, "CNY") == "494.00"


async def test_stopping_early_closes_the_export_connection(week, monkeypatch) -> None:
    opened: list[str] = []
    original = report_rows.export_connection

    def tracking(store):
        manager = original(store)

        class Tracked:
            async def __aenter__(self):
                opened.append("open")
                return await manager.__aenter__()

            async def __aexit__(self, *exc):
                opened.append("closed")
                return await manager.__aexit__(*exc)

        return Tracked()

    monkeypatch.setattr(report_rows, "export_connection", tracking)
    stream = week.exports.stream("cases")
    await anext(stream)  # header
    await anext(stream)  # first rows: the connection is open
    assert opened == ["open"]
    await stream.aclose()  # a client hanging up
    assert opened == ["open", "closed"]


def _small_chunks(monkeypatch) -> None:
    """Rows in chunks of 2, so an export of the week's 7 cases writes in several steps."""
    original = report_rows.stream_rows
    monkeypatch.setattr(report_rows, "stream_rows",
                        lambda *args, **kwargs: original(*args, **{**kwargs, "chunk_rows": 2}))


async def test_a_write_failing_halfway_leaves_no_part_file_and_the_old_file_whole(
    week, tmp_path: Path, monkeypatch
) -> None:
    """A disk that fills after the first rows: a clear error, the earlier export at the name kept
    as it was, and no `.part` file left behind."""
    import errno

    from shopdesk.services import exports as exports_module

    _small_chunks(monkeypatch)
    path = tmp_path / "cases.csv"
    path.write_bytes(b"yesterday's export\r\n")
    original = exports_module.render_chunk
    calls = 0

    def filling(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(*args, **kwargs)

    monkeypatch.setattr(exports_module, "render_chunk", filling)
    with pytest.raises(ValidationError) as error:
        await week.exports.write("cases", None, path, progress=lambda done, total: None)
    assert error.value.field == "output" and "No space left" in error.value.detail
    assert calls == 2
    assert path.read_bytes() == b"yesterday's export\r\n"
    assert not list(tmp_path.glob("*.part"))


async def test_a_failing_query_halfway_leaves_no_part_file(week, tmp_path: Path, monkeypatch) -> None:
    _small_chunks(monkeypatch)
    original = report_rows.stream_rows

    async def breaking(*args, **kwargs):
        async for rows in original(*args, **kwargs):
            yield rows
            raise RuntimeError("the store went away")

    monkeypatch.setattr(report_rows, "stream_rows", breaking)
    with pytest.raises(RuntimeError, match="went away"):
        await week.exports.write("cases", None, tmp_path / "cases.csv")
    assert not list(tmp_path.glob("cases.csv*"))


async def test_a_cancelled_export_leaves_no_part_file(week, tmp_path: Path, monkeypatch) -> None:
    """The operator presses escape (or the client hangs up) after the first rows are written."""
    import asyncio

    _small_chunks(monkeypatch)
    path = tmp_path / "cases.csv"
    path.write_bytes(b"yesterday's export\r\n")
    seen: list[int] = []

    def cancel_after_first_rows(done: int, total: int) -> None:
        seen.append(done)
        asyncio.current_task().cancel()  # delivered at the export's next await

    task = asyncio.create_task(
        week.exports.write("cases", None, path, progress=cancel_after_first_rows))
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == [2]  # cancelled with rows on disk in the .part file
    assert path.read_bytes() == b"yesterday's export\r\n"
    assert not list(tmp_path.glob("*.part"))
