"""`shopdesk cases list/show` never print a control character from the store to the terminal (N21):
a store written before intake dropped them may hold a customer name with colours, a window title
(OSC 0), a clipboard write (OSC 52) or a clear-screen; JSON keeps the text exact, escaped."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from shopdesk.cli import main
from shopdesk.config import Settings
from shopdesk.domain.cases import Customer, Order
from shopdesk.services import Services
from shopdesk.store import open_store

NAME = "\x1b[31mRED\x1b[0m\x1b]0;PWNED\x07Eve"
TITLE = "esc \x1b[2J cleared\x9b2J"
NOTE = "copied\x1b]52;c;aGVsbG8=\x07\nsecond line\x7f"
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # newline is fine


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "shop.db"

    async def seed() -> None:
        async with open_store(path) as opened:
            services = Services(opened, Settings())
            actor = services.actor("tester")
            case, _ = await services.cases.open(
                actor, kind="damaged", title=TITLE, description="first\nsecond\x1b[A",
                customer=Customer(name=NAME, phone="138\x1b[K"),
                order=Order(source="manual", external_id="X-1", number="#1\x1b[1m",
                            customer=Customer(name=NAME), carrier="SF\x1b]0;T\x07",
                            tracking_number="SF1\x07", address="Room 5\x1b[2J [back door]"),
            )
            await services.cases.add_note(actor, case.ref, NOTE)

    asyncio.run(seed())
    return path


def test_cases_list_prints_no_control_characters(store, capsys):
    assert main(["--db", str(store), "cases", "list"]) == 0
    out = capsys.readouterr().out
    assert not RAW_CONTROL.search(out), repr(out)
    assert "REDEve" in out and "PWNED" not in out


def test_cases_show_prints_no_control_characters_and_keeps_the_text(store, capsys):
    assert main(["--db", str(store), "cases", "show", "C-000001"]) == 0
    out = capsys.readouterr().out
    assert not RAW_CONTROL.search(out), repr(out)
    assert "PWNED" not in out and "aGVsbG8" not in out
    assert "esc  cleared" in out
    assert "customer        REDEve" in out
    assert "Room 5 [back door]" in out
    assert "carrier SF  tracking SF1" in out
    assert "copied" in out and "second line" in out


def test_cases_json_keeps_the_text_exact_with_controls_escaped(store, capsys):
    assert main(["--db", str(store), "cases", "list", "--json"]) == 0
    out = capsys.readouterr().out
    assert not RAW_CONTROL.search(out), repr(out)
    (case,) = json.loads(out)
    assert case["title"] == TITLE and case["customer"]["name"] == NAME
    assert main(["--db", str(store), "cases", "show", "C-000001", "--json"]) == 0
    out = capsys.readouterr().out
    assert not RAW_CONTROL.search(out), repr(out)
    assert json.loads(out)["case"]["title"] == TITLE
