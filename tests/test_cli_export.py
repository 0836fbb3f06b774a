"""`shopdesk export`: CSV on stdout or in a file; bad input is one line on stderr and exit 2."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest
from report_world import build_week

from shopdesk.cli import main
from shopdesk.cli.export import KIND_NAMES
from shopdesk.services.exports import KINDS
from shopdesk.store import open_store


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "shop.db"

    async def build() -> None:
        async with open_store(path) as store:
            await build_week(store)

    asyncio.run(build())
    return path


def rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_kinds_are_the_services_kinds() -> None:
    assert set(KIND_NAMES) == set(KINDS)


def test_cases_to_stdout_with_filters(db: Path, capsysbinary) -> None:
    code = main(["--db", str(db), "export", "cases", "--from", "2026-11-16", "--to", "2026-11-22",
                 "--kind", "delivery", "--level", "L3", "--level", "2"])
    out = capsysbinary.readouterr().out
    assert code == 0
    assert not out.startswith(b"\xef\xbb\xbf")
    assert [(r["ref"], r["kind"]) for r in rows(out)] == [
        ("C-000002", "lost"), ("C-000003", "damaged"), ("C-000005", "delivery_delayed"),
    ]


def test_urgent_and_status_filters(db: Path, capsysbinary) -> None:
    assert main(["--db", str(db), "export", "cases", "--urgent", "yes", "--status", "resolved"]) == 0
    assert [r["ref"] for r in rows(capsysbinary.readouterr().out)] == ["C-000004"]


def test_summary_to_a_file_with_bom(db: Path, tmp_path: Path, capsysbinary) -> None:
    target = tmp_path / "summary.csv"
    code = main(["--db", str(db), "export", "summary", "--from", "2026-11-16", "--to", "2026-11-22",
                 "-o", str(target), "--bom"])
    captured = capsysbinary.readouterr()
    assert code == 0 and captured.out == b""
    assert b"rows written to" in captured.err
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfperiod_from,")
    figures = {(r["section"], r["key"], r["metric"]): r["value"] for r in rows(data)}
    assert figures[("total", "all", "cases")] == "5"
    assert {r["period_to"] for r in rows(data)} == {"2026-11-23T00:00:00+08:00"}


def test_carriers_and_departments(db: Path, capsysbinary) -> None:
    assert main(["--db", str(db), "export", "carriers", "--from", "2026-11-16", "--to", "2026-11-22"]) == 0
    assert [r["carrier"] for r in rows(capsysbinary.readouterr().out)] == ["SF", "YTO"]
    assert main(["--db", str(db), "export", "departments.csv"]) == 0
    assert [r["department"] for r in rows(capsysbinary.readouterr().out)] == ["logistics", "warehouse"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["export", "invoices"], "unknown export 'invoices'"),
        (["export", "cases", "--from", "2026-02-30"], "from: '2026-02-30' is not a date"),
        (["export", "cases", "--from", "2026-11-20", "--to", "2026-11-10"], "ends before it starts"),
        (["export", "cases", "--level", "4"], "level: must be 1, 2 or 3"),
        (["export", "cases", "--kind", "teapot"], "unknown kind 'teapot'"),
        (["export", "cases", "--status", "done"], "unknown status 'done'"),
        (["export", "cases", "--urgent", "maybe"], "is not true or false"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(db: Path, capsysbinary, argv, message) -> None:
    code = main(["--db", str(db), *argv])
    captured = capsysbinary.readouterr()
    assert code == 2
    assert captured.out == b""
    err = captured.err.decode()
    assert err.count("\n") == 1 and message in err and err.startswith("shopdesk: ")


def test_unwritable_output_and_missing_store(db: Path, tmp_path: Path, capsysbinary) -> None:
    assert main(["--db", str(db), "export", "cases", "-o", str(tmp_path / "no" / "x.csv")]) == 2
    assert b"cannot write" in capsysbinary.readouterr().err
    assert main(["--db", str(tmp_path / "none.db"), "export", "cases"]) == 2
    assert b"no store at" in capsysbinary.readouterr().err
    assert not (tmp_path / "none.db").exists()
