"""`shopdesk operator …` and identity from the OS account, as two accounts on one store (the
account is injected: tests replace services.operators.os_account)."""

from __future__ import annotations

import json

import pytest

from shopdesk.cli import main
from shopdesk.services import operators


@pytest.fixture
def store(tmp_path, monkeypatch):
    path = tmp_path / "shop.db"
    monkeypatch.setattr(operators, "os_account", lambda: "boss")
    assert main(["--db", str(path), "init"]) == 0
    return path


def as_account(monkeypatch, account: str) -> None:
    monkeypatch.setattr(operators, "os_account", lambda: account)


def run(store, *args) -> int:
    return main(["--db", str(store), *args])


def test_the_creator_owns_the_store_and_adds_people(store, monkeypatch, capsys):
    assert run(store, "operator", "add", "emma", "--role", "operator", "--phone", "138") == 0
    assert run(store, "operator", "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert [(o["name"], o["role"], o["unix_user"]) for o in listed] == [
        ("boss", "owner", "boss"), ("emma", "operator", "emma")]


def test_an_operator_cannot_promote_themselves_or_act_as_the_owner(store, monkeypatch, capsys):
    run(store, "operator", "add", "emma", "--role", "operator")
    as_account(monkeypatch, "emma")
    capsys.readouterr()
    assert run(store, "operator", "set", "emma", "--role", "owner") == 2
    assert "only an owner manages operators" in capsys.readouterr().err
    assert run(store, "--operator", "boss", "operator", "set", "emma", "--role", "owner") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--operator boss is not mapped to OS account 'emma'" in err
    assert run(store, "cases", "open", "--kind", "lost", "--title", "parcel gone") == 0
    ref = capsys.readouterr().out.strip()
    assert run(store, "cases", "show", ref, "--json") == 0
    assert json.loads(capsys.readouterr().out)["case"]["opened_by"] == "emma"


def test_a_stranger_reads_and_is_told_how_to_be_added(store, monkeypatch, capsys):
    as_account(monkeypatch, "mallory")
    assert run(store, "cases", "list") == 0
    capsys.readouterr()
    assert run(store, "cases", "open", "--kind", "lost", "--title", "parcel gone") == 2
    err = capsys.readouterr().err
    assert "may read but not change anything" in err
    assert "shopdesk operator add NAME --role operator --unix-user mallory" in err


@pytest.mark.parametrize(("args", "message"), [
    (("operator", "add", "two words", "--role", "operator"), "contains a space"),
    (("operator", "add", "ann", "--role", "boss"), "expected one of: operator, supervisor, owner"),
    (("operator", "set", "boss", "--role", "operator"), "the last owner"),
    (("operator", "disable", "boss"), "the last owner"),
    (("operator", "disable", "nobody"), "no operator named 'nobody'"),
    (("operator", "add", "ann", "--role", "operator", "--email", "a\x1b[2Jb"), "control character"),
])
def test_bad_input_is_one_line_and_exit_2(store, capsys, args, message):
    capsys.readouterr()
    assert run(store, *args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_roles_in_a_config_file_are_no_longer_read_and_a_warning_says_so(store, tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text('[[operators]]\nname = "mallory"\nrole = "owner"\n', encoding="utf-8")
    capsys.readouterr()
    assert main(["--db", str(store), "--config", str(config), "operator", "list"]) == 0
    captured = capsys.readouterr()
    assert "[[operators]] in" in captured.err and "no longer read" in captured.err
    assert "mallory" not in captured.out


def test_the_demo_twice_says_so_and_exits_0(tmp_path, monkeypatch, capsys):
    as_account(monkeypatch, "ann")
    path = tmp_path / "demo.db"
    assert main(["--db", str(path), "demo", "--cases", "12"]) == 0
    capsys.readouterr()
    assert main(["--db", str(path), "demo", "--cases", "12"]) == 0
    out = capsys.readouterr().out
    assert "already holds the demo (12 cases); nothing changed" in out
    assert run(path, "operator", "list", "--json") == 0
    listed = {o["name"]: (o["role"], o["unix_user"])
              for o in json.loads(capsys.readouterr().out.splitlines()[-1])}
    assert listed["ann"] == ("owner", "ann") and listed["zhou.min"] == ("supervisor", "ann")
    as_account(monkeypatch, "bob")  # another account running the demo again gains nothing
    assert main(["--db", str(path), "demo"]) == 0
    capsys.readouterr()
    run(path, "operator", "list", "--json")
    assert "bob" not in capsys.readouterr().out


def test_init_group_shares_the_store_with_a_group(tmp_path, monkeypatch, capsys):
    import grp
    import os
    import stat

    group = grp.getgrgid(os.getgid()).gr_name
    path = tmp_path / "shared" / "shop.db"
    assert main(["--db", str(path), "init", "--group", group]) == 0
    assert f"shared with group {group}" in capsys.readouterr().out
    assert path.parent.stat().st_mode & stat.S_ISGID
    assert path.parent.stat().st_mode & stat.S_IWGRP and path.stat().st_mode & stat.S_IWGRP
    assert path.stat().st_gid == os.getgid()


def test_init_with_an_unknown_group_is_refused(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "shop.db"), "init", "--group", "no-such-group-x"]) == 2
    assert "no OS group named 'no-such-group-x'" in capsys.readouterr().err
    assert not (tmp_path / "shop.db").exists()
