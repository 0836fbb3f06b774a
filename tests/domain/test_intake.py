"""Intake, pure part: money parsing, signatures, the WooCommerce ping, event derivation."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopdesk.domain.cases import Order
from shopdesk.domain.errors import ValidationError
from shopdesk.domain.intake import woocommerce
from shopdesk.domain.intake.mapping import OrderPatch, apply_patch, derive_events
from shopdesk.domain.intake.money import exponent, to_minor
from shopdesk.domain.intake.signatures import (
    SignatureError,
    sign_base64,
    sign_generic,
    verify_base64,
    verify_generic,
)


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("29.90", "CNY", 2990), ("29.9", "usd", 2990), ("0", "CNY", 0), ("4980", "JPY", 4980),
     ("4980.00", "JPY", 4980), ("1.234", "KWD", 1234), (Decimal("21.99"), "EUR", 2199),
     ("-10.00", "USD", -1000), ("", "CNY", 0)],
)
def test_to_minor_is_exact(amount, currency, minor):
    assert to_minor(amount, currency) == minor


@pytest.mark.parametrize(("amount", "currency"), [("29.905", "CNY"), ("1.5", "JPY"), ("abc", "CNY"),
                                                  ("NaN", "CNY"), ("1e30", "CNY")])
def test_to_minor_refuses_what_it_cannot_represent(amount, currency):
    with pytest.raises(ValidationError) as error:
        to_minor(amount, currency, field="$.total")
    assert error.value.field == "$.total"


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["CNY", "USD", "JPY", "KWD"]))
def test_to_minor_round_trips_every_amount(minor, currency):
    digits = exponent(currency)
    text = str(Decimal(minor).scaleb(-digits)) if digits else str(minor)
    assert to_minor(text, currency) == minor


def test_generic_signature_round_trip_and_rotation():
    body = b'{"type":"paid"}'
    header = sign_generic("new-secret-0123456789", body, 1_800_000_000)
    verify_generic(header, body, ["new-secret-0123456789"], now=1_800_000_100)
    verify_generic(header, body, ["old-secret-0123456789", "new-secret-0123456789"],
                   now=1_800_000_000)
    with pytest.raises(SignatureError):
        verify_generic(header, body + b" ", ["new-secret-0123456789"], now=1_800_000_000)
    with pytest.raises(SignatureError, match="minutes"):
        verify_generic(header, body, ["new-secret-0123456789"], now=1_800_000_301)


@pytest.mark.parametrize("offset", [-301, 301, -3600, 3600, -10**9, 10**9])
def test_generic_signature_outside_the_tolerance_either_way_is_refused(offset):
    """Dated too far in the past or in the future alike (the check is on the distance)."""
    body = b'{"type":"paid"}'
    header = sign_generic("secret-0123456789", body, 1_800_000_000 + offset)
    with pytest.raises(SignatureError, match="minutes from the server's clock"):
        verify_generic(header, body, ["secret-0123456789"], now=1_800_000_000)


@pytest.mark.parametrize("offset", [-300, -1, 0, 1, 300])
def test_generic_signature_inside_the_tolerance_either_way_is_accepted(offset):
    body = b'{"type":"paid"}'
    header = sign_generic("secret-0123456789", body, 1_800_000_000 + offset)
    verify_generic(header, body, ["secret-0123456789"], now=1_800_000_000)


@pytest.mark.parametrize("header", ["", "v1=abc", "t=1", "t=x,v1=00", "t=1,v1=zz", "garbage"])
def test_malformed_generic_signatures_are_refused(header):
    with pytest.raises(SignatureError):
        verify_generic(header, b"{}", ["secret-0123456789"], now=1)


def test_base64_signatures():
    body = b'{"id": 1}'
    verify_base64(sign_base64("s" * 20, body), body, ["s" * 20], header_name="X")
    for header in (None, "not base64!", sign_base64("t" * 20, body)):
        with pytest.raises(SignatureError):
            verify_base64(header, body, ["s" * 20], header_name="X")


@pytest.mark.parametrize(
    ("content_type", "body", "ping"),
    [("application/x-www-form-urlencoded", b"webhook_id=12", True),
     ("application/x-www-form-urlencoded; charset=UTF-8", b"webhook_id=3", True),
     ("application/json", b"webhook_id=12", False),
     ("application/x-www-form-urlencoded", b"webhook_id=x", False),
     ("application/x-www-form-urlencoded", b"webhook_id=1&a=2", False)],
)
def test_woocommerce_ping(content_type, body, ping):
    assert woocommerce.is_ping(content_type, body) is ping


def test_derive_events_from_snapshot_changes():
    at = datetime(2026, 11, 23, tzinfo=UTC)
    created = Order(source="s", external_id="1", status="pending", placed_at=at)
    assert [e.type for e in derive_events(None, created)] == ["created"]
    paid = Order(source="s", external_id="1", status="paid", placed_at=at, paid_at=at)
    assert [e.type for e in derive_events(created, paid)] == ["paid"]
    shipped = Order(source="s", external_id="1", status="shipped", paid_at=at, carrier="SF",
                    tracking_number="SF1")
    assert [e.type for e in derive_events(paid, shipped)] == ["shipped"]
    assert [e.type for e in derive_events(shipped, shipped)] == ["updated"]
    cancelled = Order(source="s", external_id="1", status="cancelled", paid_at=at, carrier="SF",
                      tracking_number="SF1")
    assert [e.type for e in derive_events(shipped, cancelled)] == ["cancelled"]


def test_apply_patch_keeps_what_the_patch_does_not_name():
    stored = Order(source="s", external_id="9", number="#9", total_minor=500, tags=["vip"])
    patched = apply_patch(stored, "s", OrderPatch(external_id="9",
                                                  values={"carrier": "UPS", "tags": ["gift"]}))
    assert (patched.number, patched.total_minor, patched.carrier) == ("#9", 500, "UPS")
    assert patched.tags == ["gift", "vip"]
    assert apply_patch(None, "s", OrderPatch(external_id="9")).external_id == "9"


# --- names and line items as WooCommerce sends them --------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "shown"),
    [("丽", "徐", "徐丽"), ("小明", "欧阳", "欧阳小明"), ("太郎", "山田", "山田太郎"),
     ("민수", "김", "김민수"), ("Jane", "Smith", "Jane Smith"), ("丽", "Xu", "丽 Xu"),
     ("徐丽", "", "徐丽"), ("", "徐", "徐"), (" 丽 ", " 徐 ", "徐丽"), (None, None, ""),
     ("阿依古丽", "买买提", "买买提阿依古丽")],
)
def test_full_name_puts_a_cjk_family_name_first_without_a_space(first, last, shown):
    from shopdesk.domain.intake.names import full_name

    assert full_name(first, last) == shown


def test_woocommerce_order_with_a_chinese_name_and_escaped_item_names():
    body = {
        "id": 81, "number": "81", "status": "processing", "currency": "CNY", "total": "59.80",
        "billing": {"first_name": "丽", "last_name": "徐", "phone": "+86 138 0013 8000"},
        "shipping": {"first_name": "丽", "last_name": "徐", "address_1": "南京路 1 号",
                     "city": "上海"},
        "line_items": [
            {"name": "Ship Your Idea &ndash; Color: Black", "quantity": 1, "price": 29.9},
            {"name": "Tea &amp; Cups &#8211; 2 &quot;sets&quot;", "quantity": 1, "price": 29.9},
        ],
    }
    import json

    mapped = woocommerce.map_delivery("woo", "order.created", json.dumps(body).encode())
    order = mapped.order
    assert order.customer.name == "徐丽"
    assert order.address.startswith("徐丽, 南京路 1 号")
    assert [item.name for item in order.items] == ["Ship Your Idea – Color: Black",
                                                   'Tea & Cups – 2 "sets"']


def test_an_unmappable_body_is_explained_in_words_naming_the_field():
    from shopdesk.domain.intake import generic
    from shopdesk.domain.intake.mapping import UnmappableError

    body = (b'{"type": "paid", "order": {"id": "1", "currency": "CNY", "total": "-5"}}')
    with pytest.raises(UnmappableError) as refused:
        generic.map_event("shop", body)
    assert "regex" not in str(refused.value) and "decimal string" in str(refused.value)
    assert refused.value.field == "$.order.total"
