"""CSV that spreadsheets and scripts read right (docs/exports.md). Pure: no I/O.

- RFC 4180: comma separated, CRLF line ends, a field quoted when it holds `"`, `,`, CR or LF, with
  `"` doubled inside — exactly what the stdlib csv module writes with its defaults.
- Formula injection (OWASP "CSV Injection"): a *text* cell that starts with `=`, `+`, `-`, `@`, tab
  or CR gets a leading `'`, so no spreadsheet evaluates it. Whether a cell is text is decided by
  its column's type, never by looking at the value: a `money` or `number` column keeps "-12.50".
- Times: ISO-8601 with the offset of the shop's time zone ("2026-11-23T14:00:00+08:00").
- Money: major units ("12.50") beside a currency column; the currency decides the decimals.

Two renderers produce the same CSV: `render_rows` (row by row through `csv.writer`, the reference,
used for the small summary exports) and `render_chunk` (column by column on UTF-8 bytes, the fast
path for streaming thousands of store rows: whole columns are checked at once, and only a column
with a cell to guard or quote is touched cell by cell). A property test holds
`render_chunk(...) == render_rows(...).encode()`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import msgspec

BOM = "\ufeff"
LINE_END = "\r\n"
DANGEROUS_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

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


def format_number(value: float | None) -> str:
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
        self._hours_utf8: dict[bytes, tuple[bytes, bytes] | None] = {}

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
        """One time as ISO-8601 in the zone; "" for none."""
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

    def _hour_utf8(self, key: bytes) -> tuple[bytes, bytes] | None:
        entry = self._hour(key.decode())
        encoded = None if entry is None else (entry[0].encode(), entry[1].encode())
        if len(self._hours_utf8) > 200_000:
            self._hours_utf8.clear()
        self._hours_utf8[key] = encoded
        return encoded

    @staticmethod
    def _is_store_text_bytes(joined: bytes, count: int) -> bool:
        """Are all `count` NUL-joined values "YYYY-MM-DDTHH:MM:SS+00:00"? Checked at once."""
        return (
            len(joined) == 26 * count - 1
            and joined[25::26] == b"\x00" * (count - 1)
            and joined[19::26] == b"+" * count
            and joined[20::26] == b"0" * count
            and joined[21::26] == b"0" * count
            and joined[22::26] == b":" * count
            and joined[23::26] == b"0" * count
            and joined[24::26] == b"0" * count
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


# The fast path works on UTF-8 bytes: the store's text comes as bytes (no decoding), and the CSV
# leaves as bytes (no encoding). Every character the rules look at is ASCII, one byte in UTF-8.
_B_DANGEROUS = tuple(prefix.encode() for prefix in DANGEROUS_PREFIXES)
_B_DANGEROUS_AFTER_NUL = re.compile(b"\x00[=+@\t\r-]")
_B_LINE_END = LINE_END.encode()


def _utf8_column(values: Sequence[Any]) -> tuple[Sequence[Any], bytes | None]:
    """(values with text as bytes, their NUL-joined bytes or None when not all are text)."""
    try:
        return values, b"\x00".join(values)
    except TypeError:
        pass
    values = [v.encode() if v.__class__ is str else v for v in values]
    try:
        return values, b"\x00".join(values)
    except TypeError:
        return values, None


def _b_quote(value: bytes) -> bytes:
    return b'"' + value.replace(b'"', b'""') + b'"'


def _text_column(values: Sequence[Any]) -> Sequence[bytes]:
    cells: Sequence[Any] = values
    try:
        joined: bytes | None = b"\x00".join(values)
    except TypeError:  # NULLs (empty cells) or str
        cells, joined = _utf8_column([b"" if value is None else value for value in values])
    if joined is None:  # a number in a text column: written as its text
        cells = [v if v.__class__ is bytes else str(v).encode() for v in cells]
        joined = b"\x00".join(cells)
    # Look at the whole column at once: does any cell start dangerous, need quoting?
    if joined.startswith(_B_DANGEROUS) or _B_DANGEROUS_AFTER_NUL.search(joined):
        if joined.count(b"\x00") == len(cells) - 1:  # no NUL inside a cell: guard the joined text
            if joined.startswith(_B_DANGEROUS):
                joined = b"'" + joined
            for prefix in _B_DANGEROUS:
                joined = joined.replace(b"\x00" + prefix, b"\x00'" + prefix)
            cells = joined.split(b"\x00")
        else:
            cells = [b"'" + v if v.startswith(_B_DANGEROUS) else v for v in cells]
    if 34 in joined or 44 in joined or 10 in joined or 13 in joined:  # " , LF CR
        # (a byte value as an int: bytes.__contains__ then is a plain memchr)
        cells = [_b_quote(v) if (34 in v or 44 in v or 10 in v or 13 in v) else v for v in cells]
    return cells


def _time_column(values: Sequence[Any], times: TimeFormatter) -> Sequence[bytes]:
    present = [value for value in values if value]
    if not present:
        return [b""] * len(values)
    try:
        joined: bytes | None = b"\x00".join(present)
    except TypeError:  # str (or datetimes): as bytes, then try again
        values = [v.encode() if v.__class__ is str else v for v in values]
        present = [value for value in values if value]
        try:
            joined = b"\x00".join(present)
        except TypeError:
            joined = None
    if joined is not None and times._is_store_text_bytes(joined, len(present)):
        hours = times._hours_utf8
        for _attempt in range(2):
            try:
                return [
                    b"" if not value else (entry := hours[value[:13]])[0] + value[13:19] + entry[1]
                    for value in values
                ]
            except KeyError:  # hours not seen yet: convert each once, then again
                for key in {value[:13] for value in present} - hours.keys():
                    times._hour_utf8(key)
            except TypeError:  # an hour with no whole-hour offset: the careful path
                break
    return [
        times.format(v.decode() if v.__class__ is bytes else v).encode() for v in values
    ]


def _money_column(values: Sequence[Any], currencies: Sequence[Any]) -> list[bytes]:
    codes = [c.decode() if c.__class__ is bytes else c for c in set(currencies)]
    if {currency_exponent(code) for code in codes} == {2}:
        return [
            b"" if v is None
            else (b"%d.%02d" % divmod(v, 100) if v >= 0 else format_money(v, "XXX").encode())
            for v in values
        ]
    return [
        format_money(v, c.decode() if c.__class__ is bytes else c).encode()
        for v, c in zip(values, currencies)
    ]


Derive = Callable[[Mapping[str, Sequence[Any]]], Sequence[Any]]


def render_chunk(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    times: TimeFormatter,
    derived: Mapping[str, Derive] | None = None,
) -> bytes:
    """`render_rows(...)` encoded as UTF-8, built column by column (fast for thousands of rows).

    Text and time values may come as UTF-8 bytes (the store's export connection reads them so)
    or as str. `derived` computes columns the rows do not hold from the ones they do (by name):
    `rows` then hold the other columns, in order.
    """
    if not rows:
        return b""
    derived = derived or {}
    stored = [column.name for column in columns if column.name not in derived]
    by_name: dict[str, Sequence[Any]] = dict(zip(stored, zip(*rows)))
    for name, derive in derived.items():
        by_name[name] = derive(by_name)
    rendered: list[Sequence[bytes]] = []
    for column in columns:
        values = by_name[column.name]
        kind = column.type
        if kind == "text":
            rendered.append(_text_column(values))
        elif kind == "time":
            rendered.append(_time_column(values, times))
        elif kind == "money":
            currencies = by_name[column.currency_column or "currency"]
            rendered.append(_money_column(values, currencies))
        elif kind == "bool":
            rendered.append(
                [b"" if v is None or v == "" or v == b"" else b"true" if v else b"false"
                 for v in values]
            )
        elif kind == "int" and None not in values and all(v.__class__ is int for v in values):
            rendered.append(list(map(b"%d".__mod__, values)))
        else:
            rendered.append([
                b"" if v is None else format_number(v.decode() if v.__class__ is bytes else v).encode()
                for v in values
            ])
    if len(columns) == 1:
        # csv.writer quotes a row that is one empty field, so it is not read as a blank line.
        lines = [b'""' if cell == b"" else cell for cell in rendered[0]]
        return _B_LINE_END.join(lines) + _B_LINE_END
    # One flat list: cell, separator, cell, separator … with CRLF after each row's last cell.
    width = len(columns)
    flat: list[bytes] = [b","] * (2 * width * len(rows))
    for position, cells in enumerate(rendered):
        flat[2 * position :: 2 * width] = cells
    flat[2 * width - 1 :: 2 * width] = [_B_LINE_END] * len(rows)
    return b"".join(flat)
