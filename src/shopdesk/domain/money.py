"""Amounts: stored in minor units (fen, cents), typed and shown in major units ("12.50")."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from shopdesk.domain.errors import ValidationError

# ISO 4217 currencies without a minor unit; every other currency has two decimals here.
_NO_DECIMALS = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "HUF", "TWD"})


def decimals(currency: str) -> int:
    return 0 if currency.upper() in _NO_DECIMALS else 2


def to_minor(text: str, currency: str, field: str = "amount") -> int:
    """"12.5" CNY -> 1250. Refuses negatives, too many decimals and anything not a number."""
    cleaned = text.strip().replace(",", "").replace("¥", "").replace("$", "")
    if not cleaned:
        return 0
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationError(
            f"{text.strip()!r} is not an amount like 12.50", field=field, code="not_an_amount",
            params={"text": text.strip()},
        ) from None
    if not amount.is_finite():
        raise ValidationError(
            f"{text.strip()!r} is not an amount like 12.50", field=field, code="not_an_amount",
            params={"text": text.strip()},
        )
    if amount < 0:
        raise ValidationError(
            "the amount cannot be negative", field=field, code="negative_amount"
        )
    places = decimals(currency)
    scaled = amount.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise ValidationError(
            f"{currency.upper()} amounts have at most {places} decimals", field=field,
            code="too_many_decimals", params={"currency": currency.upper(), "places": places},
        )
    return int(scaled)


def format_minor(amount_minor: int, currency: str) -> str:
    """1250, "CNY" -> "12.50 CNY"."""
    places = decimals(currency)
    major = Decimal(amount_minor).scaleb(-places)
    return f"{major:,.{places}f} {currency.upper()}"
