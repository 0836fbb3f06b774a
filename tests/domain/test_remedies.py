"""The refund cap: what was paid on the order, less what is already gone. Paid back is the larger
of the refunds done here and the refunds the shop's platform reported (a refund done from a case
is made on the platform too and reported by it: not counted twice); pending refunds add to it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shopdesk.domain.cases import Order, Remedy
from shopdesk.domain.errors import ValidationError
from shopdesk.domain.remedies import check_refund

AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ORDER = Order(id=1, source="shopify", external_id="42", number="#1042", total_minor=10_000,
              paid_minor=10_000, currency="USD")


def remedy(amount: int, status: str, type: str = "refund_partial", currency: str = "USD") -> Remedy:
    return Remedy(id=amount, case_id=1, type=type, amount_minor=amount, currency=currency,
                  status=status, note="", proposed_by="olga", proposed_at=AT, decided_by=None,
                  decided_at=None, done_at=AT if status == "done" else None)


def allowed(amount: int, others=(), platform: int = 0) -> bool:
    try:
        check_refund("refund_partial", amount, "USD", ORDER, others, platform)
    except ValidationError as error:
        assert error.field == "amount"
        return False
    return True


def test_a_refund_the_platform_reported_counts_against_the_cap():
    assert allowed(5_000, platform=5_000)
    assert not allowed(5_001, platform=5_000)


def test_a_refund_done_here_and_reported_by_the_platform_counts_once():
    done = [remedy(3_000, "done")]
    assert allowed(7_000, done, platform=3_000)
    assert not allowed(7_001, done, platform=3_000)


def test_paid_back_is_the_larger_of_done_here_and_reported_and_pending_ones_add():
    others = [remedy(2_000, "done"), remedy(1_000, "approved"), remedy(500, "proposed"),
              remedy(9_000, "rejected"), remedy(4_000, "done", type="coupon")]
    # paid back max(2000, 6000) + pending 1500 = 7500 of 10000
    assert allowed(2_500, others, platform=6_000)
    assert not allowed(2_501, others, platform=6_000)
    # the platform reported less than was done here (a refund done outside it): done counts
    assert allowed(6_500, others, platform=1_000)
    assert not allowed(6_501, others, platform=1_000)


def test_the_refusal_says_the_platforms_refunds_are_included():
    with pytest.raises(ValidationError) as caught:
        check_refund("refund_full", 9_000, "USD", ORDER, [], 4_194)
    assert str(caught.value) == (
        "the amount 90.00 USD is more than the 58.06 USD left to refund of the 100.00 USD paid on "
        "order #1042; 41.94 USD is already refunded or proposed on its cases (refunds the shop's "
        "platform reported included)")
    assert caught.value.params["taken"] == "41.94 USD"
