"""`shopdesk` as a user runs it: a subprocess, its output and its exit code."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from ports import free_port

from shopdesk import __version__
from shopdesk.cli.cases import display_width, fit


def shopdesk_command() -> list[str]:
    script = Path(sys.executable).parent / "shopdesk"
    return [str(script)] if script.exists() else [sys.executable, "-m", "shopdesk"]


def run(*args: str, home: Path, timeout: float = 120, **extra_env: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("COLUMNS", None)
    env.update(
        SHOPDESK_CONFIG=str(home / "no-config.toml"),
        SHOPDESK_LOG=str(home / "shopdesk.log"),
        **extra_env,
    )
    env.pop("SHOPDESK_DB", None)
    return subprocess.run(
        [*shopdesk_command(), *args], capture_output=True, text=True, timeout=timeout, env=env,
        cwd=home,
    )


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> tuple[Path, Path]:
    home = tmp_path_factory.mktemp("cli")
    store = home / "demo.db"
    result = run("--db", str(store), "demo", home=home)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "120 cases" in result.stdout
    return home, store


def test_version(tmp_path):
    result = run("--version", home=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"shopdesk {__version__}"


def queue_key(case: dict) -> tuple:
    due = datetime.fromisoformat(case["due_at"]) if case["due_at"] else datetime.max.replace(tzinfo=None)
    return (not case["overdue"], not case["urgent"], -case["level"], due.replace(tzinfo=None))


def test_demo_then_cases_list_shows_the_queue_in_order(demo_store):
    home, store = demo_store
    listed = run("--db", str(store), "cases", "list", "--limit", "500", "--json", home=home)
    assert listed.returncode == 0, listed.stderr
    cases = json.loads(listed.stdout)
    assert cases, "the demo store has active cases"
    assert {case["status"] for case in cases} <= {"new", "open", "waiting", "escalated"}
    assert [queue_key(case) for case in cases] == sorted(queue_key(case) for case in cases)
    assert any(case["overdue"] for case in cases) and any(case["urgent"] for case in cases)
    assert cases[0]["overdue"]  # overdue first

    table = run("--db", str(store), "cases", "list", "--limit", "500", home=home)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:4] == ["REF", "LEFT", "DUE", "LVL"]
    rows = [line for line in lines[1:] if line.startswith("C-")]
    assert [row.split()[0] for row in rows] == [case["ref"] for case in cases]
    assert rows[0].split()[1].startswith("!")  # the overdue marker
    # columns line up in display columns, Chinese names (two columns a character) included
    level_columns = {display_width(row[: re.search(r" L[123] ", row).start()]) for row in rows}
    assert len(level_columns) == 1
    status_col = display_width(lines[0][: lines[0].index("CUSTOMER")])
    order_col = display_width(lines[0][: lines[0].index("ORDER")])
    for row in rows:
        order = re.search(r"#\d+", row)
        assert display_width(row[: order.start()]) == order_col, row
        assert display_width(row[:status_col]) <= status_col
    assert any(re.search(r"[\u4e00-\u9fff]", row) for row in rows)


def test_cases_list_fits_an_80_column_terminal(demo_store):
    home, store = demo_store
    result = run("--db", str(store), "cases", "list", "--limit", "500", home=home, COLUMNS="80")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(display_width(line) for line in lines) <= 80
    assert lines[0].split()[:3] == ["REF", "LEFT", "LVL"]  # the due time column gave way
    assert "CUSTOMER" in lines[0]


def test_cases_list_filters(demo_store):
    home, store = demo_store

    def refs(*args):
        result = run("--db", str(store), "cases", "list", "--limit", "500", "--json", *args, home=home)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    closed = refs("--status", "closed")
    assert closed and {case["status"] for case in closed} == {"closed"}
    urgent = refs("--urgent", "--all")
    assert urgent and all(case["urgent"] for case in urgent)
    overdue = refs("--overdue")
    assert overdue and all(case["overdue"] for case in overdue)
    high = refs("--level", "3", "--all")
    assert high and {case["level"] for case in high} == {3}
    delivery = refs("--kind", "delivery", "--all")
    assert delivery and {case["kind"] for case in delivery} <= {
        "delivery_delayed", "lost", "damaged", "refused", "address_error", "undeliverable"}
    lost = refs("--kind", "lost", "--all")
    assert {case["kind"] for case in lost} == {"lost"}
    assert len(refs("--all")) == 120


def test_cases_show_presents_the_case_with_both_clocks_and_its_timeline(demo_store):
    home, store = demo_store
    listed = json.loads(run("--db", str(store), "cases", "list", "--status", "closed",
                            "--json", "--limit", "500", home=home).stdout)
    ref = listed[0]["ref"]
    shown = run("--db", str(store), "cases", "show", ref.lower(), home=home)
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    assert text.startswith(ref)
    for heading in ("SLA (business hours", "Order", "Remedies", "Contacts", "Survey", "Timeline"):
        assert heading in text
    assert re.search(r"first response\s+(met|breached)", text)
    assert re.search(r"resolution\s+(met|breached)", text)
    timeline = text[text.index("Timeline"):]
    assert "opened" in timeline and "resolved" in timeline
    number_only = run("--db", str(store), "cases", "show", str(int(ref[2:])), "--json", home=home)
    detail = json.loads(number_only.stdout)
    assert detail["case"]["ref"] == ref
    assert {"first_response", "resolution"} == set(detail["clocks"])
    assert detail["events"][0]["type"] == "opened"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("cases", "list", "--status", "lost"), "unknown status 'lost'"),
        (("cases", "list", "--kind", "stolen"), "unknown kind 'stolen'"),
        (("cases", "list", "--level", "5"), "level must be 1, 2 or 3"),
        (("cases", "list", "--limit", "none"), "--limit must be a whole number"),
        (("cases", "list", "--bogus"), "unrecognized arguments: --bogus"),
        (("cases", "show", "C-999999"), "no case C-999999"),
        (("cases",), "required"),
        (("demo", "--cases", "many"), "--cases must be a whole number"),
        (("demo", "--cases", "0"), "--cases must be from 1"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_code_2(demo_store, args, message):
    home, store = demo_store
    result = run("--db", str(store), *args, home=home)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("shopdesk")
    assert message in lines[0]


def test_a_read_command_on_a_missing_store_says_so_and_creates_nothing(tmp_path):
    missing = tmp_path / "nowhere" / "shop.db"
    result = run("--db", str(missing), "cases", "list", home=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"shopdesk: no store at {missing} (run `shopdesk --db {missing} init` to create an empty "
        f"store, `shopdesk --db {missing} demo` for a demo store, or pass --db PATH)"
    ]
    assert not missing.parent.exists()


def test_a_file_that_is_not_a_store_is_refused_quickly(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("tea, more tea\n" * 100, encoding="utf-8")
    before = notes.read_bytes()
    result = run("--db", str(notes), "cases", "list", home=tmp_path, timeout=30)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert str(notes) in result.stderr
    assert notes.read_bytes() == before


def test_shopdesk_db_environment_variable(demo_store, tmp_path):
    home, store = demo_store
    env_home = tmp_path
    copy = env_home / "copy.db"
    shutil.copy(store, copy)
    env = dict(os.environ, SHOPDESK_DB=str(copy), SHOPDESK_CONFIG=str(env_home / "none.toml"),
               SHOPDESK_LOG=str(env_home / "log"))
    result = subprocess.run([*shopdesk_command(), "cases", "show", "C-000001"], capture_output=True,
                            text=True, env=env, timeout=60, cwd=env_home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("C-000001")


def test_text_width_helpers():
    assert display_width("abc") == 3
    assert display_width("张伟") == 4
    assert display_width("e\u0301") == 1  # a combining accent takes no column
    assert fit("张伟", 6) == "张伟  "
    assert fit("郭晶晶的订单很长", 7) == "郭晶晶…"
    assert display_width(fit("郭晶晶的订单很长", 7)) == 7
    assert fit("Olivia Smith", 8) == "Olivia …"


# --- creating a store on purpose (init) and never by accident --------------------------------


def test_init_creates_an_empty_store_once_and_the_desk_opens_it(tmp_path, capsys):
    from shopdesk.cli import main

    store = tmp_path / "new" / "shop.db"
    assert main(["--db", str(store), "init"]) == 0
    assert capsys.readouterr().out.startswith(f"created an empty store at {store}; its owner is")
    assert main(["--db", str(store), "init"]) == 0
    assert capsys.readouterr().out == f"{store} is already a shopdesk store; nothing changed\n"
    result = run("--db", str(store), "cases", "list", home=tmp_path)
    assert result.returncode == 0, result.stderr


def test_init_refuses_a_file_that_is_not_a_store_and_leaves_it_alone(tmp_path, capsys):
    from shopdesk.cli import main

    notes = tmp_path / "notes.txt"
    notes.write_text("tea, more tea\n" * 100, encoding="utf-8")
    before = notes.read_bytes()
    assert main(["--db", str(notes), "init"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and str(notes) in err
    assert notes.read_bytes() == before


@pytest.mark.parametrize("command", [[], ["--no-api"], ["serve"]])
def test_the_desk_and_serve_refuse_a_mistyped_db_and_create_nothing(tmp_path, capsys, command):
    from shopdesk.cli import main

    typo = tmp_path / "dmeo.db"
    assert main(["--db", str(typo), *command]) == 2
    assert capsys.readouterr().err == (
        f"shopdesk: no store at {typo} (run `shopdesk --db {typo} init` to create an empty store, "
        f"`shopdesk --db {typo} demo` for a demo store, or pass --db PATH)\n")
    assert not typo.exists()


def test_a_mistyped_shopdesk_db_variable_is_refused_too(tmp_path, capsys, monkeypatch):
    from shopdesk.cli import main

    monkeypatch.setenv("SHOPDESK_DB", str(tmp_path / "typo.db"))
    assert main(["serve"]) == 2
    assert "no store at" in capsys.readouterr().err
    assert not (tmp_path / "typo.db").exists()


def test_serve_creates_the_default_store_on_first_run_and_says_so(tmp_path):
    """No --db and no $SHOPDESK_DB: a fresh machine's first `shopdesk serve` starts on a new store
    in the user data dir, and its first line says so."""
    import signal

    port = free_port()
    env = dict(os.environ, SHOPDESK_CONFIG=str(tmp_path / "none.toml"),
               SHOPDESK_LOG=str(tmp_path / "log"), XDG_DATA_HOME=str(tmp_path / "data"))
    env.pop("SHOPDESK_DB", None)
    server = subprocess.Popen([*shopdesk_command(), "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=tmp_path)
    try:
        store = tmp_path / "data" / "shopdesk" / "shopdesk.db"
        assert server.stdout.readline() == f"created a new empty store at {store} (first run)\n"
        assert server.stdout.readline().startswith(f"serving {store} on")
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
    assert server.returncode == 0
    assert store.exists()


def test_cases_show_prints_amounts_in_the_currencys_own_decimals(tmp_path, capsys):
    """A yen order has no minor unit: 30,000 JPY, not 300.00 JPY."""
    import asyncio

    from shopdesk.cli import main
    from shopdesk.config import Settings
    from shopdesk.domain.cases import Order
    from shopdesk.services import Services
    from shopdesk.store import open_store

    store = tmp_path / "shop.db"

    async def seed() -> str:
        async with open_store(store) as opened:
            services = Services(opened, Settings())
            case, _ = await services.cases.open(
                services.actor("tester"), kind="damaged", title="Kettle arrived cracked",
                order=Order(source="manual", external_id="J-1", number="J-1",
                            total_minor=30000, paid_minor=30000, currency="JPY"))
            return case.ref

    ref = asyncio.run(seed())
    capsys.readouterr()
    assert main(["--db", str(store), "cases", "show", ref]) == 0
    out = capsys.readouterr().out
    assert "total 30,000 JPY, paid 30,000 JPY" in out and "300.00 JPY" not in out
