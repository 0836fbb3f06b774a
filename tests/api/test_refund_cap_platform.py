"""A refund Shopify reported (refunds/create) counts against the cap of refunds proposed on the
order's cases: the operator cannot pay back what the platform already paid back."""

from __future__ import annotations

import pytest
from api_helpers import fixture_bytes, shopify_headers

from shopdesk.domain.cases import Actor
from shopdesk.domain.errors import ValidationError

OWNER = Actor(name="boss", role="owner")


async def _shopify_order_with_a_refund(client, services):
    order = fixture_bytes("shopify_order.json")  # #1042, 213.93 USD paid
    response = await client.post("/webhooks/shopify", content=order,
                                 headers=shopify_headers(order))
    assert response.status_code == 200, response.text
    refund = fixture_bytes("shopify_refund.json")  # 41.94 USD refunded on Shopify
    response = await client.post("/webhooks/shopify", content=refund,
                                 headers=shopify_headers(refund, "refunds/create", webhook_id="r1"))
    assert response.status_code == 200, response.text
    order = await services.orders.find("shopify", "5821958430918245377")
    case, _ = await services.cases.open(OWNER, kind="refund_issue", title="Wants the rest back",
                                        order_id=order.id)
    return await services.cases.triage(OWNER, case.ref)


async def test_a_refund_reported_by_shopify_counts_against_the_cap(client, services):
    case = await _shopify_order_with_a_refund(client, services)
    with pytest.raises(ValidationError) as caught:
        await services.cases.propose_remedy(OWNER, case.ref, type="refund_full",
                                            amount_minor=21_393)
    assert caught.value.field == "amount"
    assert "171.99 USD left to refund of the 213.93 USD paid on order #1042" in str(caught.value)
    assert "refunds the shop's platform reported included" in str(caught.value)
    assert (await services.cases.detail(case.ref)).remedies == []
    rest = await services.cases.propose_remedy(OWNER, case.ref, type="refund_partial",
                                               amount_minor=17_199)
    assert rest.amount_minor == 17_199


async def test_the_same_refund_done_here_and_reported_by_shopify_counts_once(client, services):
    case = await _shopify_order_with_a_refund(client, services)
    done = await services.cases.propose_remedy(OWNER, case.ref, type="refund_partial",
                                               amount_minor=4_194, note="the one made on Shopify")
    await services.cases.complete_remedy(OWNER, done.id)
    rest = await services.cases.propose_remedy(OWNER, case.ref, type="refund_partial",
                                               amount_minor=17_199)
    assert rest.amount_minor == 17_199  # 213.93 - 41.94, not 213.93 - 2 x 41.94
