"""Amounts typed in major units become minor units; shown back in major units."""

from __future__ import annotations

import pytest

from shopdesk.domain.errors import ValidationError
from shopdesk.domain.money import format_minor, to_minor


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("12.5", "CNY", 1250), ("12.50", "cny", 1250), ("1,200", "USD", 120000), ("¥8", "CNY", 800),
     (" 0.01 ", "EUR", 1), ("500", "JPY", 500), ("", "CNY", 0)],
)
def test_to_minor(text, currency, minor):
    assert to_minor(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [("abc", "CNY", "not an amount"), ("-3", "CNY", "cannot be negative"),
     ("1.234", "CNY", "at most 2 decimals"), ("1.5", "JPY", "at most 0 decimals"),
     ("nan", "CNY", "not an amount"), ("inf", "CNY", "not an amount")],
)
def test_to_minor_refuses(text, currency, message):
    with pytest.raises(ValidationError) as error:
        to_minor(text, currency, field="amount")
    assert message in error.value.detail
    assert error.value.field == "amount"


def test_format_minor():
    assert format_minor(1250, "cny") == "12.50 CNY"
    assert format_minor(123456789, "USD") == "1,234,567.89 USD"
    assert format_minor(500, "JPY") == "500 JPY"
