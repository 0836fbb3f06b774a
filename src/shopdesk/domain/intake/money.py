"""Decimal amounts from shops ("29.90", 21.99, "1000") to integer minor units, exactly.

No float anywhere: JSON numbers are decoded straight to Decimal by msgspec. The exponent depends on
the currency (ISO 4217): JPY has none, KWD three, most two.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from shopdesk.domain.errors import ValidationError

_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
         "VND", "VUV", "XAF", "XOF", "XPF"),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}


def exponent(currency: str) -> int:
    """Digits after the decimal point in `currency` (2 unless ISO 4217 says otherwise)."""
    return _EXPONENTS.get(currency.upper(), 2)


def to_minor(amount: Decimal | str | int | None, currency: str, *, field: str = "amount") -> int:
    """`amount` in minor units of `currency`; refuses more decimals than the currency has."""
    if amount is None or amount == "":
        return 0
    digits = exponent(currency)
    if isinstance(amount, str):
        whole, dot, fraction = amount.partition(".")
        if (whole.isascii() and whole.isdigit() and len(whole) <= 15 and len(fraction) <= digits
                and (not dot or (fraction.isascii() and fraction.isdigit()))):
            # The common case ("29.90"), without Decimal: same result, a fraction of the time.
            return int(whole) * 10**digits + (int(fraction.ljust(digits, "0")) if digits else 0)
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount).strip())
    except InvalidOperation:
        raise ValidationError(f"{field}: {str(amount)[:40]!r} is not a decimal amount",
                              field=field) from None
    if not value.is_finite():
        raise ValidationError(f"{field}: {value} is not an amount", field=field)
    minor = value.scaleb(digits)
    if minor != minor.to_integral_value():
        raise ValidationError(
            f"{field}: {value} has more decimals than {currency.upper() or 'the currency'} "
            f"allows ({digits})",
            field=field,
        )
    if abs(minor) >= 2**63:
        raise ValidationError(f"{field}: {value} is too large", field=field)
    return int(minor)
