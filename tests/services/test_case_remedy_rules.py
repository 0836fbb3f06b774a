"""Remedies and the end of a case (N24), approval limits and the shop's currency (N3)."""

from __future__ import annotations

import pytest
from test_cases import (
    case_with_order,
    new_case,
    operator,
    owner,
    settings,
    supervisor,
    world,
)

from operator_seats import seat_from_settings

from shopdesk.config import ApprovalLimits
from shopdesk.domain.errors import PermissionDenied, ValidationError

__all__ = ["settings", "world"]  # fixtures, shared with test_cases


# --- void, close and remedies (N24) ---------------------------------------------------------------


async def test_void_is_refused_while_a_refund_is_approved_and_names_it(world):
    services, _clock, _changes = world
    case = await case_with_order(services, total=500_000, paid=500_000, currency="CNY")
    refund = await services.cases.propose_remedy(
        operator(services), case.ref, type="refund_full", amount_minor=400_000)
    await services.cases.approve_remedy(owner(services), refund.id)
    with pytest.raises(ValidationError) as caught:
        await services.cases.void(operator(services), case.ref, "duplicate claim")
    assert str(caught.value) == (
        f"remedy #{refund.id} (refund_full 4,000.00 CNY) is approved: complete or reject it "
        "before voiding")
    assert caught.value.field == "remedies"
    assert (await services.cases.get(case.ref)).status == "open"
    # Rejected, the refund no longer holds the void back.
    await services.cases.reject_remedy(supervisor(services), refund.id, "duplicate claim")
    voided = await services.cases.void(operator(services), case.ref, "duplicate claim")
    assert voided.status == "void"


async def test_void_is_refused_while_a_remedy_awaits_approval(world):
    services, _clock, _changes = world
    case = await new_case(services)
    await services.cases.triage(operator(services), case.ref)
    coupon = await services.cases.propose_remedy(
        operator(services), case.ref, type="coupon", amount_minor=30_000)
    assert coupon.status == "proposed"
    with pytest.raises(ValidationError, match=f"remedy #{coupon.id} \\(coupon 300.00 CNY\\) is "
                                              "proposed: complete or reject it before voiding"):
        await services.cases.void(supervisor(services), case.ref, "mistake")
    # A done remedy is history, not a live one.
    gift = await services.cases.propose_remedy(operator(services), case.ref, type="gift")
    await services.cases.complete_remedy(operator(services), gift.id)
    await services.cases.reject_remedy(supervisor(services), coupon.id, "not needed")
    assert (await services.cases.void(operator(services), case.ref, "mistake")).status == "void"


async def test_a_remedy_is_not_approved_or_done_on_a_closed_case_but_may_be_rejected(world):
    services, _clock, _changes = world
    case = await new_case(services)
    await services.cases.triage(operator(services), case.ref)
    reship = await services.cases.propose_remedy(operator(services), case.ref, type="reship")
    # As an older shopdesk allowed: a case resolved and closed with its remedy still approved.
    await services.cases.complete_remedy(operator(services), reship.id)
    await services.cases.resolve(operator(services), case.ref, "reshipped")
    await services.cases.close(operator(services), case.ref)
    async with services.store.transaction() as conn:
        await conn.execute("UPDATE remedies SET status = 'approved', done_at = NULL")
    with pytest.raises(ValidationError) as caught:
        await services.cases.complete_remedy(supervisor(services), reship.id)
    assert str(caught.value) == (
        f"{case.ref} is closed: remedy #{reship.id} (reship) cannot be marked done on it any more")
    assert caught.value.field == "remedy"
    rejected = await services.cases.reject_remedy(supervisor(services), reship.id, "case closed")
    assert rejected.status == "rejected"


async def test_a_remedy_cannot_be_approved_or_done_on_a_void_case(world):
    services, _clock, _changes = world
    case = await new_case(services)
    await services.cases.triage(operator(services), case.ref)
    coupon = await services.cases.propose_remedy(
        operator(services), case.ref, type="coupon", amount_minor=30_000)
    await services.cases.reject_remedy(supervisor(services), coupon.id, "later")
    await services.cases.void(operator(services), case.ref, "duplicate")
    async with services.store.transaction() as conn:  # a void case from before this rule
        await conn.execute("UPDATE remedies SET status = 'proposed'")
    with pytest.raises(ValidationError, match=f"{case.ref} is void: remedy #{coupon.id} \\(coupon\\)"
                                              " cannot be approved on it any more"):
        await services.cases.approve_remedy(owner(services), coupon.id)
    assert (await services.cases.detail(case.ref)).remedies[0].status == "proposed"


# --- approval limits are in the shop's currency (N3) -----------------------------------------------


async def test_a_remedy_in_another_currency_always_needs_approval(world):
    services, _clock, _changes = world
    assert services.settings.currency == "CNY"
    case = await case_with_order(services, total=20_880, paid=20_880, currency="CAD")
    # 150 CAD is ~750 CNY: it is not covered by the operator's 200.00 (CNY) limit.
    refund = await services.cases.propose_remedy(
        operator(services), case.ref, type="refund_partial", amount_minor=15_000)
    assert (refund.currency, refund.status) == ("CAD", "proposed")
    event = (await services.cases.detail(case.ref)).events[-1]
    assert event.data["approval"] == (
        "approval limits are in the shop's currency CNY and an amount in CAD cannot be compared "
        "with them")
    # Not by the supervisor either (a 2,000.00 CNY limit says nothing about CAD) …
    with pytest.raises(PermissionDenied) as caught:
        await services.cases.approve_remedy(supervisor(services), refund.id)
    assert str(caught.value) == (
        f"remedy #{refund.id} is 150.00 CAD: approval limits are in the shop's currency CNY and "
        "an amount in CAD cannot be compared with them, so it needs the owner")
    assert (await services.cases.detail(case.ref)).remedies[0].status == "proposed"
    # … but by the owner, the top of the chain.
    approved = await services.cases.approve_remedy(owner(services), refund.id)
    assert approved.status == "approved"
    # Operators still propose non-money remedies in any order's currency without approval.
    reship = await services.cases.propose_remedy(operator(services), case.ref, type="reship")
    assert (reship.currency, reship.status) == ("CAD", "approved")


async def test_a_zero_decimal_currency_is_not_read_as_the_shops(world):
    services, _clock, _changes = world
    case = await case_with_order(services, total=3_000_000, paid=3_000_000, currency="JPY")
    refund = await services.cases.propose_remedy(
        operator(services), case.ref, type="refund_partial", amount_minor=19_999)  # ¥19,999
    assert refund.status == "proposed"


async def test_the_shops_own_currency_keeps_the_limits(world):
    services, _clock, _changes = world
    case = await case_with_order(services, total=100_000, paid=100_000, currency="cny")
    small = await services.cases.propose_remedy(
        operator(services), case.ref, type="refund_partial", amount_minor=15_000)
    assert small.status == "approved"


async def test_an_owner_with_a_limit_still_approves(tmp_path):
    from test_cases import MONDAY_10, Clock

    from shopdesk.config import Operator, Settings
    from shopdesk.services import Services
    from shopdesk.store import open_store

    limited = Settings(
        operators=[Operator(name="li.na"), Operator(name="lin.feng", role="owner")],
        approval_limits=ApprovalLimits(owner=1_000_000),
    )
    async with open_store(tmp_path / "owner.db") as store:
        services = Services(store, limited, clock=Clock(MONDAY_10))
        await seat_from_settings(services)
        case = await new_case(services)
        await services.cases.triage(operator(services), case.ref)
        own = await services.cases.propose_remedy(
            owner(services), case.ref, type="cashback", amount_minor=2_000_000)
        assert own.status == "proposed"  # above the owner's own limit: it stays to be approved
        # Nobody is above the owner: they approve it (before, nobody could).
        assert (await services.cases.approve_remedy(owner(services), own.id)).status == "approved"


async def test_a_refund_paid_before_the_case_was_voided_counts_in_the_compensation(world):
    services, _clock, _changes = world
    case = await case_with_order(services, total=500_000, paid=500_000, currency="CNY")
    refund = await services.cases.propose_remedy(
        owner(services), case.ref, type="refund_full", amount_minor=400_000)
    await services.cases.complete_remedy(owner(services), refund.id)
    await services.cases.void(owner(services), case.ref, "duplicate claim, refunded by mistake")
    compensation = (await services.reports.summary()).compensation
    assert [(c.type, c.currency, c.remedies, c.amount_minor) for c in compensation] == [
        ("refund_full", "CNY", 1, 400_000)]
