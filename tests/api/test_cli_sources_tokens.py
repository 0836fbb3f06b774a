"""`shopdesk source …` and `shopdesk token …`: output a user reads, one-line errors, exit 2."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

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
     (("token", "revoke", "abc"), "must be a number"),
     (("token", "revoke", "99"), "no token 99")],
)
def test_refusals_are_one_line_and_exit_2(run, argv, message):
    run("source", "add", "myshop", "--kind", "generic")
    code, out, err = run(*argv)
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
