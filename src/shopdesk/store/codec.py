"""Conversions at the store boundary: times as ISO-8601 UTC text, JSON columns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

_json_encoder = msgspec.json.Encoder()


_texts: dict[datetime, str] = {}  # recent moments -> text: a webhook batch repeats a few times often


def to_db(moment: datetime | None) -> str | None:
    """An aware datetime as UTC text with seconds; naive datetimes are refused."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError("naive datetime reached the store")
    text = _texts.get(moment)  # equal aware datetimes are the same instant: the same text
    if text is None:
        if len(_texts) >= 4096:
            _texts.clear()
        text = _texts[moment] = moment.astimezone(UTC).isoformat(timespec="seconds")
    return text


def from_db(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text)


def json_dumps(value: Any) -> str:
    return _json_encoder.encode(value).decode()


def json_loads(text: str | bytes | None, default: Any = None) -> Any:
    if not text:
        return default
    return msgspec.json.decode(text)
