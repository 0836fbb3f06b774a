"""Text from shops and operators is shown as written, never read as Rich markup (N20), and no
control character from it reaches the terminal (N21, for stores written before intake cleaned them).

Every text field of a case and of its order holds "[/]" (a closing tag with nothing to close: a
MarkupError that used to kill the app), "[b]x", "[link=x]y[/link]", "[@click=app.quit]z" and a
few escape sequences; the case screen, the reports, the incidents board, the contact form's preview,
notifications and the pick list must show them literally and keep running.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from case_world import (
    seated,
    NOW,
    OPERATOR,
    SUPERVISOR,
    case_app,
    choose,
    notifications,
    settle,
    show_case,
)

from shopdesk.domain.cases import Actor, Customer, Order, OrderItem
from shopdesk.domain.filters import CaseFilter
from shopdesk.tui.modals.goto import match_line
from shopdesk.tui.screens.case import CaseScreen
from shopdesk.tui.screens.incidents import IncidentsScreen
from shopdesk.tui.screens.reports import ReportsScreen

MARKUP = "[/] [b]x [link=x]y[/link] [@click=app.quit]z"
ESCAPES = "\x1b[31m\x1b]0;PWNED\x07\x1b[2J"
SIZE = (260, 120)  # wide enough that no field folds


def hostile(field: str) -> str:
    """What a field holds: its name, escape sequences, then markup."""
    return f"{field}{ESCAPES} {MARKUP}"


def shown(field: str) -> str:
    """What the screen must show for it: the name and the markup, literally."""
    return f"{field} {MARKUP}"


FIELDS = ("customer", "phone", "email", "address", "item", "carrier", "tracking", "number",
          "title", "description", "evidence", "contact", "note", "root cause", "remedy note",
          "remedy done", "resolution")


async def hostile_case(services) -> str:
    """A resolved case whose every text field (and its order's) is hostile, written through the
    services as an operator or an old store would hold it."""
    order = await services.orders.record_order(Order(
        source="shopify", external_id="ext-1", number=hostile("number"),
        customer=Customer(name=hostile("customer"), email=hostile("email"),
                          phone=hostile("phone")),
        address=hostile("address"),
        items=[OrderItem(name=hostile("item"), sku=hostile("sku"), quantity=1, price_minor=100)],
        total_minor=100, paid_minor=100, currency="CNY", status="shipped",
        carrier=hostile("carrier"), tracking_number=hostile("tracking"),
        placed_at=NOW - timedelta(days=3), shipped_at=NOW - timedelta(days=2),
    ), at=NOW - timedelta(days=3))
    case, _ = await services.cases.open(
        Actor("intake", "operator"), kind="damaged", level=2, title=hostile("title"),
        description=hostile("description"), evidence=[hostile("evidence")], order_id=order.id,
        source="api", opened_at=NOW - timedelta(minutes=90),
    )
    olga, sam = services.actor(OPERATOR), services.actor(SUPERVISOR)
    ref = case.ref
    await services.cases.triage(olga, ref, level=2)
    await services.cases.take(olga, ref)
    await services.cases.log_contact(olga, ref, channel="phone", summary=hostile("contact"))
    await services.cases.add_note(olga, ref, hostile("note"))
    await services.cases.set_responsibility(olga, ref, party="carrier", department="logistics",
                                            root_cause=hostile("root cause"))
    remedy = await services.cases.propose_remedy(olga, ref, type="coupon", amount_minor=100,
                                                 note=hostile("remedy note"))
    if remedy.status == "proposed":
        await services.cases.approve_remedy(sam, remedy.id)
    await services.cases.complete_remedy(sam, remedy.id, hostile("remedy done"))
    await services.cases.resolve(sam, ref, hostile("resolution"))
    incident = await services.incidents.declare(sam, title=hostile("incident"),
                                                type="carrier_outage", level=2)
    await services.incidents.link(sam, incident.id, CaseFilter(statuses=["resolved"]))
    return ref


def screen_text(screen) -> str:
    """Every line the screen's widgets render, one after the other."""
    lines = []
    for widget in screen.query("*"):
        if not widget.display or widget.region.area == 0 or widget.children:
            continue
        for strip in widget.render_lines(widget.region.reset_offset):
            lines.append(strip.text.rstrip())
    return "\n".join(lines)


def assert_safe(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "PWNED" not in text


async def test_the_case_screen_shows_every_hostile_field_literally(services):
    ref = await hostile_case(services)
    app = case_app(services, ref)
    async with app.run_test(size=SIZE) as pilot:
        screen = await show_case(pilot)
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen) and app.is_running
        text = screen_text(screen)
    assert_safe(text)
    missing = [field for field in FIELDS if shown(field) not in text]
    assert not missing, f"not shown literally: {missing}\n{text}"


async def test_a_case_without_an_order_shows_its_customer_literally(services):
    case, _ = await services.cases.open(
        Actor("intake", "operator"), kind="other", title="plain",
        customer=Customer(name=hostile("customer"), phone=hostile("phone"),
                          email=hostile("email")),
    )
    app = case_app(services, case.ref)
    async with app.run_test(size=SIZE) as pilot:
        screen = await show_case(pilot)
        text = screen_text(screen)
        queue_text = screen_text(app.screen_stack[-2])
    assert_safe(text)
    for field in ("customer", "phone", "email"):
        assert shown(field) in text
    assert_safe(queue_text)
    assert "customer [/] [b]x" in queue_text  # the queue row, cut to its column


async def test_the_reports_show_carriers_literally(services):
    await hostile_case(services)
    app = case_app(services, "C-000001")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.push_screen(ReportsScreen(app.services))
        await settle(pilot)
        assert isinstance(app.screen, ReportsScreen) and app.is_running
        text = screen_text(app.screen)
    assert_safe(text)
    assert shown("carrier") in text


async def test_the_incidents_board_shows_titles_and_cases_literally(services):
    await hostile_case(services)
    app = case_app(services, "C-000001")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.push_screen(IncidentsScreen(app.services, operator=OPERATOR))
        await settle(pilot)
        assert isinstance(app.screen, IncidentsScreen) and app.is_running
        text = screen_text(app.screen)
    assert_safe(text)
    assert "incident [/] [b]x" in text  # the board's title column
    assert shown("incident") in text  # the line under the board


async def test_the_contact_forms_preview_shows_the_customer_literally(services):
    ref = await hostile_case(services)
    await services.cases.reopen(services.actor(SUPERVISOR), ref, reason="called back")
    app = case_app(services, ref, operator=SUPERVISOR)
    async with app.run_test(size=SIZE) as pilot:
        await show_case(pilot)
        await pilot.press("c")
        await settle(pilot)
        await choose(pilot, "template", "Apology")
        await settle(pilot)
        preview = app.screen.query_one("#field-preview")
        text = "\n".join(s.text for s in preview.render_lines(preview.region.reset_offset))
        assert app.is_running
    assert_safe(text)
    assert shown("customer") in " ".join(text.split())  # the preview wraps


async def test_notifications_show_data_literally(services):
    app = case_app(services, "C-000001")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        app.notify(f"no case matches {hostile('typed')}", severity="warning")
        await settle(pilot)
        assert app.is_running
        from textual.widgets._toast import Toast

        toasts = "\n".join(
            strip.text for toast in app.screen.query(Toast)
            for strip in toast.render_lines(toast.region.reset_offset)
        )
    assert notifications(app) == [f"no case matches {shown('typed')}"]
    assert_safe(toasts)
    assert shown("typed") in toasts


async def test_the_pick_list_shows_names_without_controls(services):
    case, _ = await services.cases.open(
        Actor("intake", "operator"), kind="other", customer=Customer(name=f"Eve{ESCAPES}[/]"),
    )
    line = match_line(case, ZoneInfo("Asia/Shanghai")).plain
    assert_safe(line)
    assert "Eve[/]" in line


def test_the_delivery_screen_shows_a_quarantined_body_literally():
    from datetime import UTC, datetime
    from io import StringIO

    from rich.console import Console

    from shopdesk.domain.intake.records import Delivery
    from shopdesk.tui.screens.delivery import delivery_view

    delivery = Delivery(
        id=7, source="woo", dedupe_key=f"wc:{hostile('key')}", received_at=datetime.now(UTC),
        topic=hostile("topic"), status="quarantined", error=hostile("error"),
        headers={"x-wc-webhook-topic": hostile("header")},
        body=f"not json {hostile('body')}\x9b2J".encode(), order_id=None,
    )
    console = Console(file=StringIO(), width=300, color_system=None, record=True)
    console.print(delivery_view(delivery, ZoneInfo("Asia/Shanghai")))
    text = console.export_text()
    assert_safe(text)
    for field in ("key", "topic", "error", "header", "body"):
        assert shown(field) in text
