"""`shopdesk calendar`, `shopdesk init --calendar` and `shopdesk config`, run as a user would."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from test_cli import run

from shopdesk.services.operators import os_account


def init(home: Path, *extra: str) -> Path:
    store = home / "shop.db"
    result = run("--db", str(store), "init", *extra, home=home)
    assert result.returncode == 0, result.stderr
    return store


def test_init_with_a_calendar_and_the_days_it_lists(tmp_path):
    store = init(tmp_path, "--calendar", "CN")
    result = run("--db", str(store), "calendar", "--from", "2026-09-19", "--to", "2026-10-11",
                 home=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("2026-09-20 Sun  09:00-12:00 13:00-18:00")
    assert lines[0].endswith("make-up working day (调休)")
    assert any(line.startswith("2026-10-01 Thu  closed") and line.endswith("National Day")
               for line in lines)
    assert lines[-1].startswith("2026-10-10 Sat  09:00-12:00") and "调休" in lines[-1]
    assert not any(line.startswith("2026-09-21") for line in lines)  # an ordinary Monday

    zh = run("--db", str(store), "--lang", "zh", "calendar", "--from", "2026-10-01", "--to",
             "2026-10-10", "--json", home=tmp_path)
    days = {day["date"]: day for day in json.loads(zh.stdout)}
    assert days["2026-10-01"] == {"date": "2026-10-01", "working": False, "hours": [],
                                  "why": "国庆节"}
    assert days["2026-10-10"] == {"date": "2026-10-10", "working": True,
                                  "hours": ["09:00-12:00", "13:00-18:00"], "why": "调休上班"}

    every = run("--db", str(store), "calendar", "--from", "2026-09-21", "--to", "2026-09-27",
                "--all", "--json", home=tmp_path)
    assert [day["working"] for day in json.loads(every.stdout)] == [True] * 4 + [False] * 3


def test_a_year_the_package_does_not_cover_is_warned_about(tmp_path):
    store = init(tmp_path, "--calendar", "CN")
    result = run("--db", str(store), "calendar", "--from", "2031-01-01", "--to", "2031-01-31",
                 home=tmp_path)
    assert result.returncode == 0
    assert "no official CN dates for 2031" in result.stderr


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    store = init(tmp_path)
    for args, words in [
        (["init", "--calendar", "XX"], "calendar: unknown country code 'XX'"),
        (["calendar", "--from", "10/01"], "--from must be a date"),
        (["calendar", "--from", "2026-10-02", "--to", "2026-10-01"], "before --from"),
        (["config", "set", "calendar", "US-ZZ"], "US has no subdivision 'ZZ'"),
        (["config", "set", "sla.L9", "1h"], "L9"),
        (["config", "get", "nope"], "unknown setting 'nope'"),
    ]:
        result = run("--db", str(tmp_path / "other.db" if args[0] == "init" else store), *args,
                     home=tmp_path)
        assert result.returncode == 2, args
        assert words in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert not (tmp_path / "other.db").exists()
    listed = run("calendar", "--codes", "US", home=tmp_path)
    assert "US-CA" in listed.stdout.split()


def test_config_set_get_show_history(tmp_path):
    store = init(tmp_path)
    assert run("--db", str(store), "config", "set", "calendar", "us-ca", home=tmp_path).returncode == 0
    assert run("--db", str(store), "config", "get", "calendar", home=tmp_path).stdout == "US-CA\n"
    assert run("--db", str(store), "config", "set", "sla.L2.first_response", "2h",
               home=tmp_path).returncode == 0
    shown = json.loads(run("--db", str(store), "config", "show", "--json", home=tmp_path).stdout)
    assert shown["calendar"] == "US-CA" and shown["sla"]["L2"]["first_response"] == "2h"
    toml = run("--db", str(store), "config", "show", home=tmp_path).stdout
    assert 'calendar = "US-CA"' in toml and "[detection]" in toml
    history = run("--db", str(store), "config", "history", home=tmp_path).stdout.splitlines()
    me = os_account()  # the store's creator, its first owner
    assert f"{me}  sla.L2.first_response: 4h -> 2h" in history[0]
    assert f"{me}  calendar: (default) -> US-CA" in history[1]


def test_config_import_takes_the_shop_keys_of_an_old_config_file(tmp_path):
    store = init(tmp_path)
    old = tmp_path / "old.toml"
    old.write_text('lang = "zh"\ncalendar = "CN"\nholidays = [2026-11-11]\n'
                   '[detection]\nsweep_seconds = 60\n', encoding="utf-8")
    result = run("--db", str(store), "config", "import", str(old), home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "calendar" in result.stdout and "left in the file: lang" in result.stdout
    assert run("--db", str(store), "config", "get", "detection.sweep_seconds",
               home=tmp_path).stdout == "60\n"
    # the same file as someone's personal config: its shop keys are named, the store's used
    named = run("--db", str(store), "--config", str(old), "config", "get", "calendar",
                home=tmp_path)
    assert named.stdout == "CN\n"
    assert "calendar is a shop setting; the store's is used" in named.stderr


def test_config_edit_checks_before_saving_and_keeps_a_bad_edit(tmp_path):
    store = init(tmp_path)
    editor = tmp_path / "editor.py"
    editor.write_text(  # an "editor" that puts the lines of editor.py.line for the shop_name line
        "import re, sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "line = pathlib.Path(sys.argv[0] + '.line').read_text(encoding='utf-8')\n"
        "text = re.sub(r'(?m)^shop_name = .*$', lambda m: line, p.read_text(encoding='utf-8'))\n"
        "p.write_text(text, encoding='utf-8')\n",
        encoding="utf-8")
    command = f"{sys.executable} {editor}"
    (tmp_path / "editor.py.line").write_text('shop_name = "清风茶舍"\ncalendar = "CN"',
                                              encoding="utf-8")
    result = run("--db", str(store), "config", "edit", home=tmp_path, EDITOR=command)
    assert result.returncode == 0, result.stderr
    assert "shop_name" in result.stdout and "calendar" in result.stdout
    assert run("--db", str(store), "config", "get", "shop_name", home=tmp_path).stdout == "清风茶舍\n"

    (tmp_path / "editor.py.line").write_text('shop_name = 5', encoding="utf-8")
    bad = run("--db", str(store), "config", "edit", home=tmp_path, EDITOR=command)
    assert bad.returncode == 2
    assert "shop_name: expected a text" in bad.stderr and "nothing saved" in bad.stderr
    kept = Path(bad.stderr.split("your text is in ")[1].split(" ")[0])
    assert "shop_name = 5" in kept.read_text(encoding="utf-8")
    assert run("--db", str(store), "config", "get", "shop_name", home=tmp_path).stdout == "清风茶舍\n"
