"""`N` on the queue: a phoned-in complaint becomes a case (QA N13) — the form, its refusals, the case
screen it opens; the key is in `?` help and the palette like every registry key."""

from __future__ import annotations

from queue_world import ME, screen_text, settle

from shopdesk.domain.filters import CaseFilter
from shopdesk.services import Services
from shopdesk.tui import i18n
from shopdesk.tui.app import ShopdeskApp
from shopdesk.tui.modals.forms import FormModal
from shopdesk.tui.screens.case import CaseScreen
from shopdesk.tui.screens.help import help_table


WORLD = "seeded queue"  # the `services` fixture: tests/tui/conftest.py


async def newest(services: Services):
    return (await services.cases.list(CaseFilter(), sort="newest", limit=1))[0]


async def type_into(pilot, field_id: str, text: str) -> None:
    pilot.app.screen.query_one(f"#field-{field_id}").focus()
    await pilot.press(*text)


async def test_n_opens_a_case_from_a_phone_call_and_shows_it(services):
    before = await newest(services)
    app = ShopdeskApp(services, operator=ME, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("N")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormModal) and form.id == "new-case"
        form.set_value("kind", "damaged")
        form.set_value("level", "2")
        form.set_value("urgent", "yes")
        await type_into(pilot, "title", "teapot arrived broken")
        await type_into(pilot, "customer_phone", "139 1111 2222")
        await type_into(pilot, "order_number", "1001")  # #1001 is a known order (张伟)
        await type_into(pilot, "description", "called at 14:00")
        await pilot.press("ctrl+s")
        await settle(pilot, 0.1)
        assert isinstance(app.screen, CaseScreen)
        case = await newest(services)
        assert case.id == before.id + 1 and app.screen.ref == case.ref
        assert (case.kind, case.level, case.urgent, case.status) == ("damaged", 2, True, "new")
        assert case.title == "teapot arrived broken" and case.description == "called at 14:00"
        assert case.opened_by == ME and case.source == "manual"
        assert case.order_number == "#1001"
        assert case.customer.name == "张伟" and case.customer.phone == "139 1111 2222"
        await settle(pilot, 0.2)
        assert case.ref in screen_text(app)


async def test_a_refusal_shows_under_its_field_and_keeps_what_was_typed(services):
    before = await newest(services)
    app = ShopdeskApp(services, operator=ME, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("N")
        await settle(pilot)
        form = app.screen
        await type_into(pilot, "customer_phone", "call back")
        await type_into(pilot, "description", "angry customer")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # still open
        error = form.query_one("#error-title")
        assert "-shown" in error.classes and "a title is required" in str(error.render())
        await type_into(pilot, "title", "late parcel")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "is not a phone number" in str(form.query_one("#error-customer_phone").render())
        values = form.values()
        assert values["title"] == "late parcel" and values["description"] == "angry customer"
        assert values["customer_phone"] == "call back"
        assert (await newest(services)).id == before.id  # nothing opened
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, FormModal)
        assert (await newest(services)).id == before.id


async def test_an_unknown_order_number_is_kept_on_the_new_case(services):
    app = ShopdeskApp(services, operator=ME, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("N")
        await settle(pilot)
        await type_into(pilot, "title", "where is my order")
        await type_into(pilot, "customer_name", "Mia Chen")
        await type_into(pilot, "order_number", "#5555")
        await pilot.press("ctrl+s")
        await settle(pilot, 0.1)
        case = await newest(services)
        assert case.order_number == "#5555" and case.customer.name == "Mia Chen"
        assert case.kind == "complaint"  # the form's default kind


def test_n_is_in_help_with_its_line():
    i18n.set_language("en")
    rows = help_table().columns[0]._cells
    assert "N" in rows


async def test_the_palette_offers_new_case(services):
    from shopdesk.tui.commands import supported_actions

    app = ShopdeskApp(services, operator=ME, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "new_case" in {spec.id for spec in supported_actions(app.screen)}
