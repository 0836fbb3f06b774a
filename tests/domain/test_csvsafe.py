"""CSV cells: RFC 4180 quoting, the formula-injection guard by column type, times and money."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from shopdesk.domain.csvsafe import (
    BOM,
    DANGEROUS_PREFIXES,
    Column,
    TimeFormatter,
    format_money,
    format_number,
    header_line,
    neutralise,
    render_chunk,
    render_rows,
)

SHANGHAI = TimeFormatter("Asia/Shanghai")
COLUMNS = (
    Column("title"),
    Column("n", "int"),
    Column("amount", "money", currency_column="currency"),
    Column("currency"),
    Column("at", "time"),
    Column("ok", "bool"),
    Column("rate", "number"),
)

hostile_text = st.one_of(
    st.text(),
    st.builds(lambda p, t: p + t, st.sampled_from(DANGEROUS_PREFIXES + ('"', ",", "\n")), st.text()),
    st.sampled_from(
        ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("x")',
         "包裹丢失, 客户投诉", "", "a\r\nb", '"quoted"']
    ),
)


def read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def evaluates(cell: str) -> bool:
    """Would a spreadsheet treat this cell as a formula (or a DDE command)?"""
    return cell.startswith(DANGEROUS_PREFIXES)


@given(hostile_text)
def test_hostile_text_reads_back_as_the_neutralised_value(value: str) -> None:
    [[cell]] = read(render_rows([Column("t")], [(value,)], SHANGHAI))
    assert cell == neutralise(value)
    assert not evaluates(cell)
    assert cell.removeprefix("'") == value or cell == value


@given(st.lists(st.tuples(hostile_text, hostile_text), min_size=1, max_size=20))
def test_no_cell_of_a_text_export_would_be_evaluated(rows: list[tuple[str, str]]) -> None:
    text = render_chunk([Column("a"), Column("b")], rows, SHANGHAI).decode()
    read_back = read(text)
    assert read_back == [[neutralise(a), neutralise(b)] for a, b in rows]
    assert not any(evaluates(cell) for row in read_back for cell in row)


times = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC)
    ).map(lambda t: t.replace(microsecond=0).isoformat(timespec="seconds")),
)
row = st.tuples(
    st.one_of(st.none(), hostile_text),
    st.one_of(st.none(), st.integers(-(10**12), 10**12)),
    st.one_of(st.none(), st.integers(-(10**12), 10**12)),
    st.sampled_from(["CNY", "JPY", "KWD", "usd", None]),
    times,
    st.one_of(st.none(), st.booleans(), st.sampled_from([0, 1])),
    st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False), st.integers(-1000, 1000)),
)


@settings(max_examples=300)
@given(st.lists(row, max_size=30), st.sampled_from(["Asia/Shanghai", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]))
def test_the_fast_renderer_writes_what_the_csv_module_writes(rows, zone) -> None:
    expected = render_rows(COLUMNS, rows, TimeFormatter(zone)).encode()
    assert render_chunk(COLUMNS, rows, TimeFormatter(zone)) == expected
    # the store's export connection hands text over as UTF-8 bytes
    as_bytes = [
        tuple(v.encode() if isinstance(v, str) else v for v in row) for row in rows
    ]
    assert render_chunk(COLUMNS, as_bytes, TimeFormatter(zone)) == expected


def test_numbers_stay_numbers_and_text_is_guarded_by_column_type() -> None:
    rows = [("-12.50", -1250, -1250, "CNY", None, None, -12.5)]
    [cells] = read(render_rows(COLUMNS, rows, SHANGHAI))
    assert cells[0] == "'-12.50"  # text column: guarded even though it looks like a number
    assert cells[1] == "-1250"
    assert cells[2] == "-12.50"  # money column: a number
    assert cells[6] == "-12.5"


def test_times_are_iso_8601_with_the_shop_offset() -> None:
    assert SHANGHAI.format("2026-11-23T06:00:00+00:00") == "2026-11-23T14:00:00+08:00"
    assert SHANGHAI.format(datetime(2026, 11, 23, 16, 30, tzinfo=UTC)) == "2026-11-24T00:30:00+08:00"
    new_york = TimeFormatter("America/New_York")
    # DST starts 2026-03-08 07:00 UTC: the hour before and after differ in offset.
    assert new_york.format("2026-03-08T06:59:59+00:00") == "2026-03-08T01:59:59-05:00"
    assert new_york.format("2026-03-08T07:00:00+00:00") == "2026-03-08T03:00:00-04:00"
    assert TimeFormatter("Asia/Kolkata").format("2026-01-01T00:10:00+00:00") == "2026-01-01T05:40:00+05:30"
    assert SHANGHAI.format(None) == ""


def test_money_in_major_units_by_currency() -> None:
    assert format_money(1250, "CNY") == "12.50"
    assert format_money(5, "CNY") == "0.05"
    assert format_money(-1250, "USD") == "-12.50"
    assert format_money(1500, "JPY") == "1500"
    assert format_money(1234, "KWD") == "1.234"
    assert format_money(None, "CNY") == ""


def test_number_format() -> None:
    assert format_number(66.666) == "66.67"
    assert format_number(50.0) == "50"
    assert format_number(None) == ""
    assert format_number(-0.001) == "0"
    assert format_number(7) == "7"


def test_chinese_text_round_trips_and_header_is_plain() -> None:
    text = header_line([Column("标题"), Column("n", "int")]) + render_rows(
        [Column("标题"), Column("n", "int")], [("包裹破损，客户要求退款", 1)], SHANGHAI
    )
    assert read(text) == [["标题", "n"], ["包裹破损，客户要求退款", "1"]]
    assert BOM == "\ufeff"
