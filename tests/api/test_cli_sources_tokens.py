"""`shopdesk source …` and `shopdesk token …`: output a user reads, one-line errors, exit 2."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from ports import free_port

from shopdesk.cli import main


@pytest.fixture
def run(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("SHOPDESK_CONFIG", str(tmp_path / "none.toml"))
    db = tmp_path / "shop.db"

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(["--db", str(db), *argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    run.db = db
    return run


def test_source_add_prints_url_and_a_generated_secret_once(run):
    code, out, err = run("source", "add", "myshop", "--kind", "generic")
    assert code == 0
    assert err == f"shopdesk: created a new empty store at {run.db}\n"  # a typo would show
    assert "http://127.0.0.1:8765/webhooks/myshop" in out
    secret = next(line.split()[-1] for line in out.splitlines() if "secret:" in line)
    assert secret.startswith("whsec_") and len(secret) > 30
    code, out, _ = run("source", "list")
    assert "myshop" in out and secret not in out


def test_source_add_with_the_platforms_secret_does_not_echo_it(run):
    code, out, _ = run("source", "add", "woo", "--kind", "woocommerce",
                       "--secret", "the-secret-from-woocommerce")
    assert code == 0 and "the-secret-from-woocommerce" not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [(("source", "add", "Bad Name", "--kind", "generic"), "lowercase"),
     (("source", "add", "x", "--kind", "generic", "--secret", "short"), "16 characters"),
     (("source", "rotate", "nobody"), "no webhook source"),
     (("source", "remove", "nobody"), "no webhook source"),
     (("token", "revoke", "abc"), "no token abc (neither an id nor a name"),
     (("token", "revoke", "99"), "no token 99")],
)
def test_refusals_are_one_line_and_exit_2(run, argv, message):
    run("source", "add", "myshop", "--kind", "generic")
    code, _out, err = run(*argv)
    assert code == 2
    assert err.count("\n") == 1 and message in err


def test_duplicate_source_is_refused_and_keeps_the_first(run):
    run("source", "add", "myshop", "--kind", "generic")
    code, _, err = run("source", "add", "myshop", "--kind", "shopify")
    assert code == 2 and "already exists" in err
    with sqlite3.connect(run.db) as conn:
        assert conn.execute("SELECT kind FROM sources").fetchall() == [("generic",)]


def test_rotation_then_finish(run):
    run("source", "add", "myshop", "--kind", "generic")
    code, out, _ = run("source", "rotate", "myshop")
    assert code == 0 and "still accepted" in out
    assert "rotating" in run("source", "list")[1]
    assert run("source", "rotate", "myshop", "--finish")[0] == 0
    assert "rotating" not in run("source", "list")[1]


def test_listing_an_absent_store_does_not_create_it(run):
    code, _, err = run("source", "list")
    assert code == 2 and "no store at" in err
    assert not run.db.exists()


def test_token_create_list_revoke(run):
    code, out, _ = run("token", "create", "woo-plugin")
    token = out.splitlines()[1].strip()
    assert code == 0 and token.startswith("sd_")
    with sqlite3.connect(run.db) as conn:
        stored = conn.execute("SELECT token_hash, operator FROM tokens").fetchone()
    assert token not in stored[0] and stored[1] == "api:woo-plugin"
    code, out, _ = run("token", "list")
    assert "woo-plugin" in out and token not in out
    assert run("token", "revoke", "1")[0] == 0
    assert run("token", "list")[1].splitlines()[1].split()[-2] != "-"


def test_source_remove_says_what_went(run):
    run("source", "add", "myshop", "--kind", "generic")
    code, out, _ = run("source", "remove", "myshop")
    assert code == 0 and "0 stored deliveries" in out
    assert "no sources yet" in run("source", "list")[1]


def test_source_list_and_problems_show_times_in_the_shops_zone(run):
    """Like every other view: 17:00 UTC is 01:00 the next day in Shanghai (the default zone)."""
    import asyncio
    from datetime import UTC, datetime

    from shopdesk.services import Services
    from shopdesk.store import open_store

    run("source", "add", "woo", "--kind", "woocommerce", "--secret", "woo-secret-0123456789")

    async def deliver_junk() -> None:
        from shopdesk.domain.intake.signatures import sign_base64

        async with open_store(run.db) as store:
            services = Services(store, clock=lambda: datetime(2026, 11, 23, 17, 0, 5, tzinfo=UTC))
            body = b'{"id": "not a number"}'
            receipt = await services.intake.receive("woo", {
                "x-wc-webhook-topic": "order.created",
                "x-wc-webhook-signature": sign_base64("woo-secret-0123456789", body),
            }, body)
            assert receipt.status == "quarantined"

    asyncio.run(deliver_junk())
    listed = run("source", "list")[1]
    assert "2026-11-24 01:00" in listed and "UTC" not in listed
    problems = run("source", "problems")[1]
    assert problems.startswith("#1  2026-11-24 01:00:05  woo  order.created")


def test_source_add_prints_the_configured_port_and_says_when_it_cannot_be_sure(run, tmp_path):
    config = tmp_path / "shop.toml"
    config.write_text("[api]\nport = 8899\n", encoding="utf-8")
    code, out, _ = run("--config", str(config), "source", "add", "woo", "--kind", "woocommerce",
                       "--secret", "woo-secret-0123456789")
    assert code == 0
    assert "  webhook URL: http://127.0.0.1:8899/webhooks/woo\n" in out
    assert f"(host and port from [api] in {config}; nothing serves this store there now" in out


def test_source_add_while_this_store_is_served_there_needs_no_note(run, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    port = free_port()
    config = tmp_path / "shop.toml"
    config.write_text(f"[api]\nport = {port}\n", encoding="utf-8")
    run("--config", str(config), "source", "add", "shop", "--kind", "generic")
    server = subprocess.Popen(
        [sys.executable, "-m", "shopdesk", "--db", str(run.db), "--config", str(config), "serve"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, SHOPDESK_LOG=str(tmp_path / "serve.log")))
    try:
        assert server.stdout.readline().startswith("serving")
        code, out, _ = run("--config", str(config), "source", "add", "woo", "--kind",
                           "woocommerce", "--secret", "woo-secret-0123456789")
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
    assert code == 0
    assert f"  webhook URL: http://127.0.0.1:{port}/webhooks/woo\n" in out
    assert "host and port from" not in out


def test_token_revoke_by_name_or_id_and_names_are_unique_among_active_tokens(run):
    """README: `token revoke NAME` — a name works as well as an id (N8)."""
    assert run("token", "create", "woo-plugin")[0] == 0
    code, _, err = run("token", "create", "woo-plugin")
    assert code == 2 and err.count("\n") == 1
    assert "an active token is already named 'woo-plugin' (#1)" in err
    assert run("token", "create", "erp")[0] == 0
    code, out, _ = run("token", "revoke", "woo-plugin")
    assert code == 0 and out == "token #1 woo-plugin revoked\n"
    assert run("token", "create", "woo-plugin")[0] == 0  # the name is free again: #3
    assert run("token", "revoke", "#2")[1] == "token #2 erp revoked\n"
    assert run("token", "revoke", "3")[1] == "token #3 woo-plugin revoked\n"
    with sqlite3.connect(run.db) as conn:
        revoked = conn.execute("SELECT id FROM tokens WHERE revoked_at IS NOT NULL").fetchall()
    assert sorted(revoked) == [(1,), (2,), (3,)]


def test_token_revoke_refuses_a_name_two_active_tokens_share(run):
    run("token", "create", "plugin")
    with sqlite3.connect(run.db) as conn:  # a store from before names were unique
        conn.execute("INSERT INTO tokens (name, token_hash, operator, created_at) SELECT name, "
                     "'other-hash', operator, created_at FROM tokens")
    code, _, err = run("token", "revoke", "plugin")
    assert code == 2 and "2 active tokens are named 'plugin' (#1, #2): revoke one by its id" in err
    with sqlite3.connect(run.db) as conn:
        assert conn.execute("SELECT count(*) FROM tokens WHERE revoked_at IS NULL").fetchone() == (2,)
    assert run("token", "revoke", "2")[0] == 0


def test_token_list_shows_times_in_the_shops_zone(run):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from shopdesk.config import Settings

    run("token", "create", "plugin")
    with sqlite3.connect(run.db) as conn:
        created = datetime.fromisoformat(conn.execute("SELECT created_at FROM tokens").fetchone()[0])
    local = created.astimezone(ZoneInfo(Settings().timezone)).strftime("%Y-%m-%d %H:%M")
    utc = created.strftime("%Y-%m-%d %H:%M")
    out = run("token", "list")[1]
    assert local in out and (local == utc or utc not in out)
