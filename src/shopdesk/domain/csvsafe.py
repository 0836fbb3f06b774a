"""CSV that spreadsheets and scripts read right (docs/exports.md). Pure: no I/O.

- RFC 4180: comma separated, CRLF line ends, a field quoted when it holds `"`, `,`, CR or LF, with
  `"` doubled inside — exactly what the stdlib csv module writes with its defaults.
- Formula injection (OWASP "CSV Injection"): a *text* cell that starts with `=`, `+`, `-`, `@`, tab
  or CR gets a leading `'`, so no spreadsheet evaluates it. Whether a cell is text is decided by
  its column's type, never by looking at the value: a `money` or `number` column keeps "-12.50".
- Times: ISO-8601 with the offset of the shop's time zone ("2026-11-23T14:00:00+08:00").
- Money: major units ("12.50") beside a currency column; the currency decides the decimals.

Two renderers produce the same text: `render_rows` (row by row through `csv.writer`, the
reference, used for the small summary exports) and `render_chunk` (column by column, the fast path
for streaming thousands of store rows). A property test holds them equal.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import msgspec

BOM = "\ufeff"
LINE_END = "\r\n"
DANGEROUS_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
# A cell that starts dangerous, in cells joined by NUL (a NUL inside a cell only costs speed).
_DANGEROUS_AFTER_NUL = re.compile("\x00[=+@\t\r-]")

_DECIMAL = re.compile(r"-?\d+(\.\d+)?")

ColumnType = Literal["text", "int", "number", "money", "time", "bool"]

# ISO 4217 minor-unit exponents that are not 2.
_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
         "VND", "VUV", "XAF", "XOF", "XPF"),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}


class Column(msgspec.Struct, frozen=True):
    """One stable export column: its header name and how its cells are written."""

    name: str
    type: ColumnType = "text"
    currency_column: str | None = None  # money: the column holding the row's currency code


def neutralise(text: str) -> str:
    """A text cell as a spreadsheet will show it, never evaluate it (OWASP: prefix a `'`)."""
    return "'" + text if text.startswith(DANGEROUS_PREFIXES) else text


def currency_exponent(currency: str | None) -> int:
    return _EXPONENTS.get((currency or "").upper(), 2)


def format_money(minor: int | None, currency: str | None) -> str:
    """Minor units as a major-unit decimal: 1250 CNY -> "12.50", -5 JPY -> "-5"."""
    if minor is None:
        return ""
    exponent = currency_exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**exponent)
    if exponent == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{fraction:0{exponent}d}"


def format_number(value: int | float | None) -> str:
    """A plain number: integers as they are, fractions rounded to 2 places ("66.67")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str):  # an amount already in major units, e.g. from format_money
        if not _DECIMAL.fullmatch(value):
            raise ValueError(f"{value!r} in a number column is not a number")
        return value
    if isinstance(value, int):
        return str(value)
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def format_bool(value: Any) -> str:
    if value is None or value == "":
        return ""
    return "true" if value else "false"


class TimeFormatter:
    """UTC times (the store's text, or aware datetimes) -> ISO-8601 in one zone, with its offset.

    The store writes times as "YYYY-MM-DDTHH:MM:SS+00:00"; within one UTC hour a zone whose offset
    is a whole number of hours shifts only the hour part, so each hour is converted once and cached.
    """

    _UTC_SUFFIX = "+00:00"

    def __init__(self, zone: str | ZoneInfo) -> None:
        self.zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        self._hours: dict[str, tuple[str, str] | None] = {}

    def _hour(self, key: str) -> tuple[str, str] | None:
        start = datetime.fromisoformat(key + ":00:00+00:00")
        first = start.astimezone(self.zone)
        last = (start + timedelta(minutes=59, seconds=59)).astimezone(self.zone)
        offset = first.utcoffset() or timedelta()
        if offset != last.utcoffset() or offset.total_seconds() % 3600:
            entry = None  # an offset change inside the hour, or a :30/:45 zone: convert each time
        else:
            text = first.isoformat(timespec="seconds")
            entry = (text[:13], text[19:])
        if len(self._hours) > 200_000:
            self._hours.clear()
        self._hours[key] = entry
        return entry

    def format(self, value: str | datetime | None) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError("naive datetime in an export")
            return value.astimezone(self.zone).isoformat(timespec="seconds")
        if len(value) == 25 and value.endswith(self._UTC_SUFFIX):
            key = value[:13]
            entry = self._hours[key] if key in self._hours else self._hour(key)
            if entry is not None:
                return entry[0] + value[13:19] + entry[1]
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.zone).isoformat(timespec="seconds")

    def format_column(self, values: Sequence[str | datetime | None]) -> list[str]:
        """`format` for a whole column; the store's text in whole-hour zones takes a fast path."""
        present = [value for value in values if value]
        if not present:
            return ["" for _ in values]
        if self._is_store_text(present):
            hours = self._hours
            for _attempt in range(2):
                try:
                    return [
                        "" if not value else (entry := hours[value[:13]])[0] + value[13:19] + entry[1]
                        for value in values
                    ]
                except KeyError:  # hours not seen yet: convert each once, then again
                    for key in {value[:13] for value in present} - hours.keys():
                        self._hour(key)
                except TypeError:  # an hour with no whole-hour offset: the careful path
                    break
        return [self.format(value) for value in values]

    @staticmethod
    def _is_store_text(present: list[Any]) -> bool:
        """Is every value "YYYY-MM-DDTHH:MM:SS+00:00"? Checked on the joined column at once."""
        try:
            joined = "\x00".join(present)
        except TypeError:  # datetimes
            return False
        count = len(present)
        return (
            len(joined) == 26 * count - 1
            and joined[25::26] == "\x00" * (count - 1)
            and joined[19::26] == "+" * count
            and joined[20::26] == "0" * count
            and joined[21::26] == "0" * count
            and joined[22::26] == ":" * count
            and joined[23::26] == "0" * count
            and joined[24::26] == "0" * count
        )


def _cell(column: Column, value: Any, row: dict[str, Any], times: TimeFormatter) -> Any:
    kind = column.type
    if kind == "text":
        return "" if value is None else neutralise(str(value))
    if kind == "time":
        return times.format(value)
    if kind == "money":
        currency = row.get(column.currency_column or "currency")
        return format_money(value, currency)
    if kind == "bool":
        return format_bool(value)
    return format_number(value)


def header_line(columns: Sequence[Column]) -> str:
    return ",".join(column.name for column in columns) + LINE_END


def render_rows(
    columns: Sequence[Column], rows: Iterable[Sequence[Any]], times: TimeFormatter
) -> str:
    """The reference renderer: each row's cells by column type, written by `csv.writer`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=LINE_END)
    names = [column.name for column in columns]
    for row in rows:
        by_name = dict(zip(names, row))
        writer.writerow([_cell(c, v, by_name, times) for c, v in zip(columns, row)])
    return buffer.getvalue()


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _text_column(values: Sequence[Any]) -> list[str] | Sequence[str]:
    cells: list[str] | Sequence[str] = values
    if None in values:
        cells = ["" if value is None else value for value in values]
    try:
        joined = "\x00".join(cells)
    except TypeError:  # a number in a text column: written as its text
        cells = ["" if value is None else str(value) for value in values]
        joined = "\x00".join(cells)
    # Look at the whole column at once: does any cell start dangerous, need quoting?
    if joined.startswith(DANGEROUS_PREFIXES) or _DANGEROUS_AFTER_NUL.search(joined):
        if joined.count("\x00") == len(cells) - 1:  # no NUL inside a cell: guard the joined text
            if joined.startswith(DANGEROUS_PREFIXES):
                joined = "'" + joined
            for prefix in DANGEROUS_PREFIXES:
                joined = joined.replace("\x00" + prefix, "\x00'" + prefix)
            cells = joined.split("\x00")
        else:
            cells = ["'" + v if v.startswith(DANGEROUS_PREFIXES) else v for v in cells]
    if '"' in joined or "," in joined or "\n" in joined or "\r" in joined:
        cells = [
            _quote(v) if ('"' in v or "," in v or "\n" in v or "\r" in v) else v for v in cells
        ]
    return cells


def _money_column(values: Sequence[Any], currencies: Sequence[Any]) -> list[str]:
    if {currency_exponent(currency) for currency in set(currencies)} == {2}:
        return [
            "" if v is None else ("%d.%02d" % divmod(v, 100) if v >= 0 else format_money(v, c))
            for v, c in zip(values, currencies)
        ]
    return [format_money(v, c) for v, c in zip(values, currencies)]


def render_chunk(
    columns: Sequence[Column], rows: Sequence[Sequence[Any]], times: TimeFormatter
) -> str:
    """The same text as `render_rows`, built column by column (fast for thousands of rows)."""
    if not rows:
        return ""
    raw_columns = list(zip(*rows))
    index = {column.name: position for position, column in enumerate(columns)}
    rendered: list[Sequence[str]] = []
    for position, column in enumerate(columns):
        values = raw_columns[position]
        kind = column.type
        if kind == "text":
            rendered.append(_text_column(values))
        elif kind == "time":
            rendered.append(times.format_column(values))
        elif kind == "money":
            currencies = raw_columns[index[column.currency_column or "currency"]]
            rendered.append(_money_column(values, currencies))
        elif kind == "bool":
            rendered.append(
                ["" if v is None or v == "" else "true" if v else "false" for v in values]
            )
        elif kind == "int":
            if None in values or not all(v.__class__ is int for v in values):
                rendered.append(["" if v is None else format_number(v) for v in values])
            else:
                rendered.append(list(map(str, values)))
        else:
            rendered.append([format_number(v) for v in values])
    if len(columns) == 1:
        # csv.writer quotes a row that is one empty field, so it is not read as a blank line.
        lines = ['""' if cell == "" else cell for cell in rendered[0]]
        return LINE_END.join(lines) + LINE_END
    # One flat list: cell, separator, cell, separator … with "\r\n" after each row's last cell.
    width = len(columns)
    flat: list[str] = [","] * (2 * width * len(rows))
    for position, cells in enumerate(rendered):
        flat[2 * position :: 2 * width] = cells
    flat[2 * width - 1 :: 2 * width] = [LINE_END] * len(rows)
    return "".join(flat)
