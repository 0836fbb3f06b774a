"""The approval form (`A`) tells the supervisor what they decide on: for the chosen remedy, who
proposed it and when (shop time), its note, and the total and paid amount of the case's order; it
follows the remedy chosen, also for remedies of other cases."""

from __future__ import annotations

import msgspec
from case_world import (
    seated,
    OPERATOR,
    SUPERVISOR,
    case_app,
    choose,
    open_case,
    settle,
    show_case,
)

from shopdesk.tui import i18n
from shopdesk.tui.modals.forms import FormModal
from shopdesk.tui.screens.case import CaseScreen


def brief_of(app) -> str:
    assert isinstance(app.screen, FormModal), f"expected the form, the screen is {app.screen}"
    return str(app.screen.query_one("#field-brief").content)


async def open_form(pilot) -> str:
    screen = await show_case(pilot)
    assert screen.case is not None
    await pilot.press("A")
    await settle(pilot)
    return brief_of(pilot.app)


async def test_the_form_shows_proposer_time_note_and_the_orders_amounts(services, clock):
    case = await open_case(services)  # order 1001: 494.00 CNY, all paid
    clock.advance(minutes=-75)  # proposed at 09:15 Shanghai time (01:15 UTC)
    await services.cases.propose_remedy(services.actor(OPERATOR), case.ref, type="refund_full",
                                        amount_minor=49400, note="if not found by Friday")
    clock.advance(minutes=75)
    app = case_app(services, case.ref, operator=SUPERVISOR)
    async with app.run_test(size=(80, 24)) as pilot:
        brief = await open_form(pilot)
        assert "by olga, 11-23 09:15" in brief
        assert "Note: if not found by Friday" in brief
        assert "Order 1001: total 494.00 CNY, paid 494.00 CNY" in brief
        widget = app.screen.query_one("#field-brief")
        assert widget.region.height == 3 and widget.region.bottom <= 24  # all seen at 80x24
        await pilot.press("ctrl+s")  # the brief is not an input: approving works as before
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        [remedy] = (await services.cases.detail(case.ref)).remedies
        assert remedy.status == "approved" and remedy.decided_by == SUPERVISOR
        await pilot.press("A")  # approved, awaiting its doing: who approved it shows too
        await settle(pilot)
        assert "approved by sam, 11-23 10:30" in brief_of(app)


async def test_remedies_of_other_cases_show_their_own_order(services, clock):
    here = await open_case(services, number="1003")  # nothing to decide here
    partly_paid = await open_case(services, number="1002")
    order = await services.orders.get(partly_paid.order_id)
    await services.orders.upsert(msgspec.structs.replace(order, paid_minor=20000))
    olga = services.actor(OPERATOR)
    clock.advance(days=-3)
    await services.cases.propose_remedy(olga, partly_paid.ref, type="coupon",
                                        amount_minor=90000, note="")
    clock.advance(days=3)
    no_order = await open_case(services, with_order=False)
    without = await services.cases.propose_remedy(olga, no_order.ref, type="coupon",
                                                  amount_minor=90000, note="goodwill")
    app = case_app(services, here.ref, operator=SUPERVISOR)
    async with app.run_test(size=(100, 32)) as pilot:
        brief = await open_form(pilot)
        assert "by olga, 11-20 10:30" in brief
        assert "Note: —" in brief
        assert "Order 1002: total 494.00 CNY, paid 200.00 CNY" in brief
        await choose(pilot, "remedy", f"#{without.id}")
        assert app.screen.values()["remedy"] == str(without.id)
        brief = brief_of(app)
        assert "Note: goodwill" in brief and "No order linked" in brief
        assert "1002" not in brief


async def test_the_brief_in_chinese(services):
    i18n.set_language("zh")
    case = await open_case(services)
    await services.cases.propose_remedy(services.actor(OPERATOR), case.ref, type="refund_full",
                                        amount_minor=49400, note="周五前找不到就退款")
    app = case_app(services, case.ref, operator=SUPERVISOR)
    async with app.run_test(size=(80, 24)) as pilot:
        brief = await open_form(pilot)
        assert "olga，11-23 10:30" in brief and "说明：周五前找不到就退款" in brief
        assert "订单 1001：总额 494.00 CNY，实付 494.00 CNY" in brief
