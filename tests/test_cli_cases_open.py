"""`shopdesk cases open`: a phoned-in complaint recorded from the terminal (QA N13)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from operator_seats import seat

from shopdesk.services.operators import os_account
from shopdesk.cli import main
from shopdesk.config import Settings
from shopdesk.domain.cases import Customer, Order
from shopdesk.services import Services
from shopdesk.store import open_store


@pytest.fixture
def store(tmp_path) -> Path:
    path = tmp_path / "shop.db"

    async def seed() -> None:
        async with open_store(path) as opened:
            services = Services(opened, Settings())
            await services.orders.upsert(Order(
                source="demo", external_id="880001", number="#10036",
                customer=Customer(name="Daniel Evans", email="dan@example.com", phone="+1 555 0100"),
                total_minor=20880, paid_minor=20880, currency="CAD"))
            await seat(services, {"emma": "operator"}, unix_user=os_account())  # emma is this login

    asyncio.run(seed())
    return path


def cli(store: Path, *args: str) -> int:
    return main(["--db", str(store), "--operator", "emma", "cases", *args])


def case_json(store: Path, ref: str, capsys) -> dict:
    capsys.readouterr()
    assert cli(store, "show", ref, "--json") == 0
    return json.loads(capsys.readouterr().out)


def test_open_prints_the_new_ref_and_links_the_known_order(store, capsys, monkeypatch):
    monkeypatch.setenv("SHOPDESK_CONFIG", str(store.parent / "none.toml"))
    assert cli(store, "open", "--kind", "complaint", "--title", "phoned: parcel arrived wet",
               "--order", "10036", "--phone", "138 0000 1111", "--level", "L2", "--urgent") == 0
    captured = capsys.readouterr()
    assert captured.out == "C-000001\n" and captured.err == ""
    shown = case_json(store, "C-000001", capsys)
    case = shown.get("case", shown)
    assert case["kind"] == "complaint" and case["level"] == 2 and case["urgent"] is True
    assert case["status"] == "new" and case["opened_by"] == "emma" and case["source"] == "manual"
    # the order's customer, with the phone the caller gave
    assert case["customer"]["name"] == "Daniel Evans"
    assert case["customer"]["phone"] == "138 0000 1111"
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT count(*) FROM orders").fetchone()[0] == 1  # linked, not copied
        linked = db.execute("SELECT o.number FROM cases c JOIN orders o ON o.id = c.order_id"
                            ).fetchone()[0]
    assert linked == "#10036"


def test_an_unknown_order_number_is_kept_with_the_case(store, capsys):
    assert cli(store, "open", "--kind", "lost", "--title", "never arrived", "--order", "#77",
               "--customer", "Li Lei") == 0
    assert capsys.readouterr().out == "C-000001\n"
    capsys.readouterr()
    assert cli(store, "list", "--q", "77") == 0
    listed = capsys.readouterr().out
    assert "C-000001" in listed and "#77" in listed and "Li Lei" in listed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "nope", "--title", "x"], "unknown kind 'nope'"),
        (["--kind", "lost", "--title", "   "], "a title is required"),
        (["--kind", "lost", "--title", "x", "--level", "4"], "level must be 1, 2 or 3, not '4'"),
        (["--kind", "lost", "--title", "x", "--phone", "call me"], "is not a phone number"),
        (["--kind", "lost", "--title", "x", "--order", "1 2"], "is not an order number"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_opens_nothing(store, capsys, args, message):
    assert cli(store, "open", *args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("shopdesk: ") and message in captured.err
    assert captured.err.count("\n") == 1
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT count(*) FROM cases").fetchone()[0] == 0


def test_missing_kind_or_title_is_a_usage_error(store, capsys):
    with pytest.raises(SystemExit) as exited:
        cli(store, "open", "--title", "x")
    assert exited.value.code == 2
    assert "--kind" in capsys.readouterr().err


def test_an_order_number_two_shops_share_is_refused_naming_them(store, capsys):
    async def second() -> None:
        async with open_store(store) as opened:
            await Services(opened, Settings()).orders.upsert(
                Order(source="woo", external_id="10036", number="10036"))

    asyncio.run(second())
    assert cli(store, "open", "--kind", "lost", "--title", "x", "--order", "10036") == 2
    err = capsys.readouterr().err
    assert "ambiguous" in err and "demo 880001" in err and "woo 10036" in err


def test_a_caller_who_is_not_the_orders_customer_keeps_only_what_was_typed(store, capsys):
    assert cli(store, "open", "--kind", "complaint", "--title", "gift never came",
               "--order", "#10036", "--customer", "Zhang San") == 0
    ref = capsys.readouterr().out.strip()
    case = case_json(store, ref, capsys)
    case = case.get("case", case)
    assert case["customer"]["name"] == "Zhang San"
    assert not case["customer"].get("phone") and not case["customer"].get("email")
