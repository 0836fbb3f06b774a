"""`cases show` with a bare number: a WooCommerce shop's order numbers are bare integers too, so
"600" may be case C-000600 or the case of order 600 — refused, naming both; "C-600" is sure (N22)."""

from __future__ import annotations

import asyncio

import pytest

from shopdesk.cli import main
from shopdesk.config import Settings
from shopdesk.domain.cases import Customer, Order
from shopdesk.services import Services
from shopdesk.store import open_store


@pytest.fixture
def store(tmp_path):
    """Three cases: C-000001 and C-000002 on orders 10036/10037, C-000003 on WooCommerce order 2
    (Wang Fang) — so "2" is a case number and an order number."""
    path = tmp_path / "shop.db"

    async def seed() -> None:
        async with open_store(path) as opened:
            services = Services(opened, Settings())
            me = services.actor("tester")
            for external_id, number, name in (("10036", "#10036", "Daniel Evans"),
                                              ("10037", "#10037", "Henry Wright"),
                                              ("2", "2", "Wang Fang")):
                await services.cases.open(
                    me, kind="damaged", title=f"broken for {name}",
                    order=Order(source="manual", external_id=external_id, number=number,
                                customer=Customer(name=name)))

    asyncio.run(seed())
    return path


def test_a_bare_number_that_is_also_an_order_number_is_refused_naming_both(store, capsys):
    assert main(["--db", str(store), "cases", "show", "2"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert "C-000003 (order 2, Wang Fang)" in lines[0]
    assert "C-000002 (case number 2)" in lines[0]
    assert lines[0].index("C-000003") < lines[0].index("C-000002")  # the order's case first


@pytest.mark.parametrize("text", ["C-2", "c-2", "C-000002", "c2"])
def test_the_c_forms_are_always_the_case(store, capsys, text):
    assert main(["--db", str(store), "cases", "show", text]) == 0
    out = capsys.readouterr().out
    assert out.startswith("C-000002") and "Henry Wright" in out


def test_a_bare_number_no_order_shares_is_the_case(store, capsys):
    assert main(["--db", str(store), "cases", "show", "1"]) == 0
    assert capsys.readouterr().out.startswith("C-000001")


def test_a_bare_number_that_is_no_case_is_not_found(store, capsys):
    assert main(["--db", str(store), "cases", "show", "10036"]) == 2
    assert "no case C-010036" in capsys.readouterr().err
