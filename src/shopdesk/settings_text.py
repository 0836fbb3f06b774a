"""The shop's settings as TOML text (`shopdesk config show|edit`) and one key at a time
(`shopdesk config get|set`): dotted keys like `sla.L2.first_response` or `detection.sweep_seconds`."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from typing import Any

from shopdesk.config import SHOP_KEYS
from shopdesk.domain.errors import ValidationError

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else _string(name)


def _string(text: str) -> str:
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\t", "\\t").replace("\r", "\\r"))
    return f'"{escaped}"'


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _scalar(value: Any, *, dates: bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and dates and _ISO_DATE.match(value):
        return value  # a TOML date
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(item, dates=dates) for item in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{_key(k)} = {_scalar(v, dates=dates)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    raise ValidationError(f"cannot write {value!r} as TOML", field="config")


_DATE_KEYS = ("holidays", "extra_workdays")


def to_toml(values: dict[str, Any]) -> str:
    """TOML text of the shop's settings: plain keys first, then one table per table key."""
    lines: list[str] = []
    tables: list[tuple[str, dict]] = []
    for key, value in values.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{_key(key)} = {_scalar(value, dates=key in _DATE_KEYS)}")
    for key, table in tables:
        lines += ["", f"[{_key(key)}]"]
        lines += [f"{_key(k)} = {_scalar(v, dates=False)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def parse_toml(text: str, where: str, *, shop_only: bool = False) -> dict[str, Any]:
    """The shop settings of a TOML text; a key that is not one is refused (`shop_only`: left out,
    as from a whole config file, whose personal keys stay where they are)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValidationError(f"{where}: {error}", field="config") from error
    if shop_only:
        data = {key: value for key, value in data.items() if key in SHOP_KEYS}
    unknown = [key for key in data if key not in SHOP_KEYS]
    if unknown:
        raise ValidationError(
            f"{where}: {unknown[0]} is not a shop setting (shop settings: {', '.join(SHOP_KEYS)}; "
            "personal ones, like lang and bell, stay in your config file)", field=unknown[0])
    return {key: _plain(value) for key, value in data.items()}


def _plain(value: Any) -> Any:
    """tomllib's values as the store keeps them (dates as ISO text)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def parse_value(text: str) -> Any:
    """A value typed on the command line: TOML (`4h` needs no quotes: what is not TOML is text)."""
    try:
        return _plain(tomllib.loads(f"v = {text}")["v"])
    except tomllib.TOMLDecodeError:
        return text


def split_key(key: str) -> list[str]:
    parts = [part for part in key.strip().split(".")]
    if not parts or not all(parts) or parts[0] not in SHOP_KEYS:
        raise ValidationError(
            f"unknown setting {key!r}; shop settings: {', '.join(SHOP_KEYS)} "
            "(`shopdesk config show` lists them with their values)", field="key")
    return parts


def get_path(values: dict[str, Any], key: str) -> Any:
    parts = split_key(key)
    value: Any = values
    for part in parts:
        if not isinstance(value, dict) or part not in value:
            raise ValidationError(f"{key} is not set (`shopdesk config show` lists the settings)",
                                  field="key")
        value = value[part]
    return value


def set_path(values: dict[str, Any], key: str, value: Any) -> tuple[str, Any]:
    """Set `key` in a copy of the top-level value it is in; returns (top-level key, new value)."""
    parts = split_key(key)
    top = parts[0]
    if len(parts) == 1:
        return top, value
    current = values.get(top)
    root = _copy(current) if isinstance(current, dict) else {}
    node = root
    for part in parts[1:-1]:
        child = node.get(part)
        node[part] = _copy(child) if isinstance(child, dict) else {}
        node = node[part]
    node[parts[-1]] = value
    return top, root


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value
