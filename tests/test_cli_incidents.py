"""`shopdesk incident …` as a user runs it (in process): declare, team, link with a preview, bulk
actions with a refused case, stable, close, review as Markdown and CSV; refusals one line, exit 2."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from operator_seats import seat

from shopdesk.cli import main
from shopdesk.domain.cases import Customer, Order
from shopdesk.services import Services
from shopdesk.services.operators import os_account
from shopdesk.store import open_store

SUBCOMMANDS = ("declare", "list", "show", "team", "link", "unlink", "note", "contact",
               "escalate", "resolve", "stable", "close", "review")


@pytest.fixture
def store(tmp_path, monkeypatch) -> Path:
    config = tmp_path / "config.toml"
    config.write_text('', encoding="utf-8")
    monkeypatch.setenv("SHOPDESK_CONFIG", str(config))
    monkeypatch.setenv("SHOPDESK_LOG", str(tmp_path / "log"))
    path = tmp_path / "shop.db"

    async def seed() -> None:
        async with open_store(path) as opened:
            services = Services(opened)
            # roles live in the store: the desk's staff, mapped to the OS account running the tests
            await seat(services, {"ann": "operator", "sue": "supervisor", "olga": "owner"},
                       unix_user=os_account())
            for number, carrier, address in (("1", "ZTO", "上海市浦东新区"),
                                             ("2", "ZTO", "浙江省杭州市"),
                                             ("3", "SF", "上海市")):
                await services.cases.open(services.actor("ann"), kind="lost", order=Order(
                    source="demo", external_id=number, number=number, carrier=carrier,
                    address=address, customer=Customer(name=f"b{number}"),
                    shipped_at=datetime(2026, 11, 20, 4, tzinfo=UTC)))

    asyncio.run(seed())
    return path


def cli(store: Path, *args: str, operator: str = "sue") -> int:
    return main(["--db", str(store), "--operator", operator, "incident", *args])


def out(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out


def err(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.err.startswith("shopdesk: ") and captured.err.count("\n") == 1
    return captured.err


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["incident", command, "--help"])
    assert exit_.value.code == 0
    assert "usage" in capsys.readouterr().out


def test_declare_team_link_show(store, capsys):
    assert cli(store, "declare", "--type", "carrier_outage", "--level", "2", "--title",
               "ZTO hub down", "--owner", "sue") == 0
    assert out(capsys) == "I-0001\n"
    assert cli(store, "declare", "--type", "meteor", "--level", "2", "--title", "x") == 2
    assert "meteor" in err(capsys)
    assert cli(store, "team", "I-0001", "--add", "li", "--role", "comms", "--phone",
               "13800001111") == 0
    assert out(capsys) == "li  comms  13800001111\n"
    assert cli(store, "link", "1", "--carrier", "ZTO", "--preview") == 0
    assert out(capsys).startswith("2 case(s) match; nothing linked")
    assert cli(store, "link", "1", "--place", "杭州") == 0
    assert out(capsys).startswith("1 case(s) linked to I-0001")
    assert cli(store, "link", "1", "--carrier", "ZTO", "--shipped-from", "2026-11-20",
               "--shipped-to", "2026-11-20") == 0
    assert "1 case(s) linked to I-0001 (1 already were)" in out(capsys)
    assert cli(store, "link", "1", "--carrier", "DHL") == 2
    assert "nothing linked" in err(capsys)
    assert cli(store, "link", "1", "C-000003", "C-000077") == 2
    assert "C-000077" in err(capsys)
    assert cli(store, "link", "1") == 2
    assert "say which cases" in err(capsys)
    assert cli(store, "link", "1", "c-3") == 0
    assert out(capsys).startswith("1 case(s) linked")
    assert cli(store, "unlink", "1", "C-000003") == 0
    assert out(capsys).startswith("1 case(s) unlinked")
    assert cli(store, "show", "I-0001") == 0
    shown = out(capsys)
    assert "cases 2, orders 2" in shown and "li  comms  13800001111" in shown
    assert cli(store, "list") == 0
    assert "I-0001  active  L2" in out(capsys)
    assert cli(store, "show", "I-0042") == 2
    assert "no incident" in err(capsys)


def test_bulk_actions_report_refused_cases_and_go_on(store, capsys):
    cli(store, "declare", "--type", "carrier_outage", "--level", "2", "--title", "t")
    cli(store, "link", "1", "--carrier", "ZTO")
    main(["--db", str(store), "--operator", "sue", "cases", "triage", "C-000001"])
    capsys.readouterr()
    assert cli(store, "note", "1", "--text", "we are on it") == 0
    assert out(capsys).startswith("note on I-0001: 2 case(s) done, 0 refused")
    assert cli(store, "resolve", "1", "--summary", "delivered") == 2  # C-000002 is still new
    captured = capsys.readouterr()
    assert captured.out.startswith("resolve on I-0001: 1 case(s) done, 1 refused")
    assert captured.err.startswith("C-000002: cannot resolve a case that is new")
    assert cli(store, "contact", "1", "--channel", "sms") == 0
    assert "2 case(s) done" in out(capsys)
    assert cli(store, "escalate", "1", "--reason", "carrier silent") == 2
    captured = capsys.readouterr()
    assert "C-000001: cannot escalate a case that is resolved" in captured.err


def test_stable_close_review(store, tmp_path, capsys):
    cli(store, "declare", "--type", "weather", "--level", "1", "--title", "typhoon")
    cli(store, "link", "1", "--carrier", "ZTO")
    capsys.readouterr()
    assert cli(store, "close", "1", "--cause", "rain") == 2
    assert "allowed from active: stable" in err(capsys)
    assert cli(store, "stable", "1", operator="ann") == 2
    assert "supervisor" in err(capsys)
    assert cli(store, "stable", "1") == 0
    assert "stable" in out(capsys)
    assert cli(store, "close", "1", "--cause", "typhoon", "--lessons", "ship earlier") == 0
    assert "closed" in out(capsys)
    assert cli(store, "review", "1") == 0
    markdown = out(capsys)
    assert markdown.startswith("# I-0001 typhoon") and "| cases | 2 |" in markdown
    target = tmp_path / "review.csv"
    assert cli(store, "review", "1", "--format", "csv", "-o", str(target), "--bom") == 0
    assert target.read_bytes().decode("utf-8").startswith("\ufeffsection,item,value\r\n")
    assert cli(store, "note", "1", "--text", "x") == 2
    assert "closed" in err(capsys)
