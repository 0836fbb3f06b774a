"""`shopdesk cases ACTION REF …`: every case action of the TUI from the command line; each prints
the case's new state, and a refusal is one line on stderr with exit code 2."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from operator_seats import seat

from shopdesk.cli import main
from shopdesk.cli.case_actions import WAIT_ON  # noqa: F401  (the module imports bare)
from shopdesk.services import Services
from shopdesk.services.operators import os_account
from shopdesk.store import open_store

ACTIONS = ("triage", "assign", "note", "contact", "remedy", "approve", "reject", "done", "wait",
           "resume", "escalate", "return", "resolve", "reopen", "void", "close", "survey",
           "responsibility", "urgent")


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
            await services.cases.open(services.actor("ann"), kind="lost", level=2)

    asyncio.run(seed())
    return path


def cli(store: Path, *args: str, operator: str = "ann") -> int:
    return main(["--db", str(store), "--operator", operator, "cases", *args])


def state(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out


def refusal(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("shopdesk: ")
    return captured.err


@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_has_help(action, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["cases", action, "--help"])
    assert exit_.value.code == 0
    assert "REF" in capsys.readouterr().out


def test_triage_assign_note_urgent(store, capsys):
    assert cli(store, "triage", "C-000001", "--level", "3", "--urgent") == 0
    assert state(capsys).startswith("C-000001  open  L3 URGENT  lost")
    assert cli(store, "assign", "c-1", "me") == 0
    assert "assignee ann" in state(capsys)
    assert cli(store, "assign", "C-000001", "--nobody") == 0
    assert "assignee —" in state(capsys)
    assert cli(store, "note", "C-000001", "called the depot") == 0
    assert "version" in state(capsys)
    assert cli(store, "urgent", "C-000001", "--off") == 0
    assert state(capsys).startswith("C-000001  open  L3  lost")
    assert cli(store, "note", "C-000001", "  ") == 2
    assert "note" in refusal(capsys)
    assert cli(store, "assign", "C-000001") == 2
    assert "--nobody" in refusal(capsys)
    assert cli(store, "triage", "C-000001", "--kind", "teleported") == 2
    assert "teleported" in refusal(capsys)


def test_contact_with_template_and_json(store, capsys):
    assert cli(store, "contact", "C-000001", "--channel", "sms", "--template", "delay_notice",
               "--follow-up", "2h", "--json") == 0
    case = json.loads(state(capsys))
    assert case["first_response_at"] is not None
    assert cli(store, "contact", "C-000001", "--channel", "pigeon", "--summary", "x") == 2
    assert "pigeon" in refusal(capsys)
    assert cli(store, "contact", "C-000001", "--channel", "sms", "--template", "poem") == 2
    assert "poem" in refusal(capsys)


def test_remedy_approve_done_and_reject(store, capsys):
    assert cli(store, "remedy", "C-000001", "--type", "coupon", "--amount", "500") == 0
    assert "coupon 500.00 CNY proposed" in state(capsys)
    assert cli(store, "approve", "C-000001") == 2
    assert "needs the role supervisor" in refusal(capsys)
    assert cli(store, "approve", "C-000001", operator="sue") == 0
    assert "approved" in state(capsys)
    assert cli(store, "done", "C-000001") == 0
    assert "done" in state(capsys)
    assert cli(store, "done", "C-000001") == 2
    assert "no remedy to complete" in refusal(capsys)
    assert cli(store, "remedy", "C-000001", "--type", "coupon", "--amount", "600") == 0
    assert cli(store, "remedy", "C-000001", "--type", "coupon", "--amount", "700") == 0
    capsys.readouterr()
    assert cli(store, "reject", "C-000001", "--reason", "no", operator="sue") == 2
    assert "say which" in refusal(capsys)
    assert cli(store, "reject", "C-000001", "--remedy", "2", "--reason", "no", operator="sue") == 0
    assert "rejected" in state(capsys)
    assert cli(store, "done", "C-000001", "--remedy", "99") == 2
    assert "no remedy #99" in refusal(capsys)
    assert cli(store, "remedy", "C-000001", "--type", "refund_partial") == 2
    assert "needs an amount" in refusal(capsys)


def test_wait_resume_escalate_return(store, capsys):
    assert cli(store, "wait", "C-000001") == 2  # a new case is triaged first
    assert "allowed from new" in refusal(capsys)
    cli(store, "triage", "C-000001")
    capsys.readouterr()
    assert cli(store, "wait", "C-000001", "--on", "carrier") == 0
    assert "waiting" in state(capsys)
    assert cli(store, "resume", "C-000001") == 0
    assert "  open  " in state(capsys)
    assert cli(store, "escalate", "C-000001", "--reason", "big refund") == 0
    assert "escalated/supervisor" in state(capsys)
    assert cli(store, "return", "C-000001", "--decision", "refund it") == 2
    assert "supervisor" in refusal(capsys)
    assert cli(store, "return", "C-000001", "--decision", "refund it", operator="sue") == 0
    assert "  open  " in state(capsys)


def test_resolve_survey_close_reopen_void_responsibility(store, capsys):
    cli(store, "triage", "C-000001")
    capsys.readouterr()
    assert cli(store, "responsibility", "C-000001", "--party", "carrier", "--department",
               "logistics", "--joint", "logistics") == 2
    assert "jointly" in refusal(capsys)
    assert cli(store, "responsibility", "C-000001", "--party", "carrier") == 0
    state(capsys)
    assert cli(store, "close", "C-000001") == 2
    assert "allowed from open" in refusal(capsys)
    assert cli(store, "resolve", "C-000001", "--summary", "found at the depot") == 0
    assert "resolved" in state(capsys)
    assert cli(store, "survey", "C-000001", "--score", "six") == 2
    assert "1 to 5" in refusal(capsys)
    assert cli(store, "survey", "C-000001", "--score", "5", "--comment", "fast") == 0
    assert "closed" in state(capsys)
    assert cli(store, "reopen", "C-000001", "--reason", "wrong parcel") == 0
    assert "  open  " in state(capsys)
    assert cli(store, "void", "C-000001", "--reason", "duplicate") == 0
    assert "void" in state(capsys)
    assert cli(store, "close", "C-000001") == 2
    assert "final" in refusal(capsys)
    assert cli(store, "note", "C-000042", "x") == 2
    assert "no case" in refusal(capsys)
