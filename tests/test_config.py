"""docs/config.example.toml loads, names every key of Settings, and bad files are refused clearly."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from shopdesk.config import Settings, load_settings
from shopdesk.domain import sla
from shopdesk.domain.errors import ValidationError

EXAMPLE = Path(__file__).parents[1] / "docs" / "config.example.toml"


def struct_keys(struct_type, prefix: str = "") -> set[str]:
    keys = set()
    for field in msgspec.structs.fields(struct_type):
        name = prefix + field.name
        keys.add(name)
        if isinstance(field.type, type) and issubclass(field.type, msgspec.Struct):
            keys |= struct_keys(field.type, name + ".")
    return keys


def toml_keys(data: dict, prefix: str = "") -> set[str]:
    keys = set()
    for key, value in data.items():
        keys.add(prefix + key)
        if isinstance(value, dict) and prefix + key in ("api", "detection", "approval_limits",
                                                         "backup", "outbound"):
            keys |= toml_keys(value, prefix + key + ".")
    return keys


def test_the_example_loads():
    settings = load_settings(EXAMPLE, required=True)
    assert settings.timezone == "Asia/Shanghai"
    assert settings.calendar == "CN"
    assert date(2026, 11, 11) in settings.holidays
    assert date(2026, 12, 26) in settings.extra_workdays
    assert settings.business_hours["mon"] == ["09:00-12:00", "13:00-18:00"]  # with a lunch break
    assert settings.operators == []  # roles live in the store (shopdesk operator)
    assert settings.sla["lost"].first_response == "2h"
    assert settings.approval_limit("operator") == 20_000
    assert settings.csv_bom is True


def test_the_example_shows_every_key():
    """A key added to Settings without a line in the example fails here (owner's limit: commented)."""
    written = toml_keys(tomllib.loads(EXAMPLE.read_text(encoding="utf-8")))
    text = EXAMPLE.read_text(encoding="utf-8")
    missing = {key for key in struct_keys(Settings) if key not in written}
    missing = {key for key in missing if f"# {key.rsplit('.', 1)[-1]} =" not in text
               and f"# [{key}]" not in text}  # a table the example leaves commented ([smtp])
    # [[operators]] is still read (with a warning) but no longer documented: roles live in the store
    missing = {key for key in missing if not key.startswith("operators")}
    assert missing == set()


def test_the_examples_calendar_knows_national_day_and_its_make_up_days():
    calendar = load_settings(EXAMPLE, required=True).business_calendar()
    one_hour = timedelta(hours=1)
    # Wednesday 30 Sep 2026, 17:30 Shanghai: half an hour left that day, then 1–7 Oct are holidays,
    # so an hour's target falls due on Thursday 8 Oct at 09:30.
    start = datetime(2026, 9, 30, 9, 30, tzinfo=UTC)
    assert sla.add_business_time(calendar, start, one_hour) == datetime(2026, 10, 8, 1, 30, tzinfo=UTC)
    # Sunday 20 Sep 2026 is a make-up working day (调休): its clock runs on that Sunday.
    sunday = datetime(2026, 9, 20, 2, 0, tzinfo=UTC)  # 10:00 Shanghai
    assert sla.is_business_time(calendar, sunday)
    assert sla.add_business_time(calendar, sunday, one_hour) == datetime(2026, 9, 20, 3, 0, tzinfo=UTC)
    # an ordinary Sunday is not
    assert not sla.is_business_time(calendar, datetime(2026, 9, 27, 2, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ('shop_nmae = "typo"\n', "shop_nmae"),
        ('[api]\nprot = 8765\n', "prot"),
        ('[detection]\npayment_timeout = 30\n', "payment_timeout"),
        ('[[operators]]\nname = "a"\nrank = "boss"\n', "rank"),
    ],
)
def test_an_unknown_key_is_refused_naming_the_file_and_the_key(tmp_path, body, named):
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_settings(path, required=True)
    assert str(path) in caught.value.detail
    assert named in caught.value.detail


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('[[operators]]\nname = "a"\nrole = "boss"\n', "unknown role 'boss'"),
        ('[business_hours]\nmon = ["9-18"]\n', "9-18"),
        ('timezone = "Mars/Olympus"\n', "Mars/Olympus"),
        ('[sla]\nL1 = { first_response = "soon", resolution = "1d" }\n', "'soon' is not a duration"),
        ('[business_hours]\nmonday = ["09:00-18:00"]\n', "unknown day 'monday'"),
        ('lang = "fr"\n', "lang"),
        ('holidays = ["tomorrow"]\n', "holidays"),
        ('shop_name = \n', "config.toml"),
    ],
)
def test_bad_values_are_refused_naming_the_file(tmp_path, body, words):
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_settings(path, required=True)
    assert str(path) in caught.value.detail
    assert words in caught.value.detail


def test_a_missing_file_gives_defaults_unless_it_was_asked_for(tmp_path):
    assert load_settings(tmp_path / "absent.toml") == Settings()
    with pytest.raises(ValidationError, match="does not exist"):
        load_settings(tmp_path / "absent.toml", required=True)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("close_after_days = -1\n", "close_after_days: expected a whole number >= 1"),
        ("close_after_days = 0\n", "close_after_days: expected a whole number >= 1"),
        ('currency = "yen"\n', "currency must be an ISO 4217 currency code"),
        ('currency = "CNYX"\n', "currency must be an ISO 4217 currency code"),
        ("[approval_limits]\noperator = -5\n", "approval_limits.operator: expected a whole number >= 0"),
        ("[approval_limits]\nowner = -1\n", "approval_limits.owner: expected a whole number >= 0"),
        ("[api]\nport = 99999\n", "api.port: expected a whole number <= 65535"),
        ("[api]\nport = 0\n", "api.port: expected a whole number >= 1"),
        ("[api]\nmax_body_bytes = 0\n", "api.max_body_bytes: expected a whole number >= 1"),
        ("[detection]\nsweep_seconds = 0\n", "detection.sweep_seconds: expected a whole number >= 1"),
        ('bell = "yes"\n', "bell: expected true or false"),
        ('holidays = [2026-10-01, "tomorrow"]\n', "holidays[1]: expected a date like 2026-10-01"),
    ],
)
def test_nonsense_values_are_refused_in_one_line_naming_file_and_key(tmp_path, body, words):
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_settings(path, required=True)
    assert caught.value.detail == f"{path}: {words}" or \
        caught.value.detail.startswith(f"{path}: {words}")
    assert "\n" not in caught.value.detail


def test_a_three_letter_currency_and_edge_values_are_accepted(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('currency = "USD"\nclose_after_days = 1\n[api]\nport = 65535\n'
                    "[approval_limits]\noperator = 0\n", encoding="utf-8")
    settings = load_settings(path, required=True)
    assert (settings.currency, settings.close_after_days, settings.api.port) == ("USD", 1, 65535)
    assert settings.approval_limit("operator") == 0


def test_the_cli_refuses_a_nonsense_config_with_one_line_and_exit_2(tmp_path, capsys):
    from shopdesk.cli import main

    path = tmp_path / "config.toml"
    path.write_text("close_after_days = -1\n", encoding="utf-8")
    (tmp_path / "shop.db").touch()
    assert main(["--db", str(tmp_path / "shop.db"), "--config", str(path), "serve"]) == 2
    err = capsys.readouterr().err
    assert err == f"shopdesk: {path}: close_after_days: expected a whole number >= 1\n"


GBK_CONFIG = '# 店铺设置\nshop_name = "杭州茶馆"\ncurrency = "CNY"\n'


@pytest.mark.parametrize("command", [["serve"], ["cases", "list"]])
def test_a_config_saved_in_gbk_is_one_line_naming_file_and_encoding_and_exit_2(
        tmp_path, capsys, command):
    """A Chinese editor saved config.toml as GBK: no traceback, the file and the encoding named."""
    from shopdesk.cli import main

    path = tmp_path / "config.toml"
    path.write_bytes(GBK_CONFIG.encode("gbk"))
    (tmp_path / "shop.db").touch()
    assert main(["--db", str(tmp_path / "shop.db"), "--config", str(path), *command]) == 2
    err = capsys.readouterr().err
    assert err == (f"shopdesk: {path} is not UTF-8 (byte 0xb5 on line 1); it looks like GBK: "
                   "save it as UTF-8 (iconv -f GBK -t UTF-8)\n")


def test_a_config_in_no_known_encoding_is_refused_all_the_same(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'shop_name = "caf\xe9"\n\xff\xfe\n')
    with pytest.raises(ValidationError) as error:
        load_settings(path, required=True)
    assert error.value.field == "config"
    assert str(error.value) == f"{path} is not UTF-8 (byte 0xe9 on line 1); save it as UTF-8"


def test_a_utf8_config_with_a_bom_as_notepad_saves_it_is_read(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(GBK_CONFIG.encode("utf-8-sig"))
    assert load_settings(path, required=True).shop_name == "杭州茶馆"


@pytest.mark.parametrize(("every", "seconds"), [("1d", 86400), ("6h", 21600), ("90m", 5400),
                                                 ("30s", 30)])
def test_backup_intervals(tmp_path, every, seconds):
    path = tmp_path / "config.toml"
    path.write_text(f'[backup]\ndir = "/tmp/b"\nevery = "{every}"\n', encoding="utf-8")
    assert load_settings(path, required=True).backup.every_seconds() == seconds


@pytest.mark.parametrize("every", ["daily", "0d", "1w", ""])
def test_a_backup_interval_that_is_no_interval_is_refused_naming_the_key(tmp_path, every):
    path = tmp_path / "config.toml"
    path.write_text(f'[backup]\nevery = "{every}"\n', encoding="utf-8")
    with pytest.raises(ValidationError) as error:
        load_settings(path, required=True)
    assert error.value.field == "backup.every"
    assert str(error.value) == (f"{path}: backup.every: {every!r} is not an interval like 6h "
                                "or 1d")
