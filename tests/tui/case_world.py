"""A small, deterministic world for the case screen and action tests: a store with a fixed clock,
a supervisor and an operator, and helpers that open cases in known states through the services.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import clocks


from operator_seats import seat_from_settings

from shopdesk.config import Operator, Settings
from shopdesk.domain.cases import Actor, Case, Customer, Order, OrderItem
from shopdesk.services import Services
from shopdesk.store import Store
from shopdesk.tui import i18n
from shopdesk.tui.app import ShopdeskApp
from shopdesk.tui.screens.case import CaseScreen

# Monday 2026-11-23 10:30 in Shanghai: inside business hours.
NOW = datetime(2026, 11, 23, 2, 30, tzinfo=UTC)
OPERATOR = "olga"
SUPERVISOR = "sam"


def FakeClock(now: datetime = NOW) -> clocks.FakeClock:  # noqa: N802  (made like a class)
    """The case world's clock: NOW unless told."""
    return clocks.FakeClock(now)


def settings() -> Settings:
    return Settings(
        shop_name="Teahouse",
        operators=[Operator(name=SUPERVISOR, role="supervisor"), Operator(name=OPERATOR)],
    )


def services_for(store: Store, clock: FakeClock | None = None) -> Services:
    return Services(store, settings(), clock=clock or FakeClock())


async def seated(services: Services) -> Services:
    """`services` with the world's operators (a supervisor and an operator) in its store."""
    await seat_from_settings(services)
    return services


async def seed_order(services: Services, number: str = "1001") -> Order:
    return await services.orders.record_order(Order(
        source="shopify",
        external_id=f"ext-{number}",
        number=number,
        customer=Customer(name="张伟", email="zhang.wei@example.cn", phone="138 0013 8000"),
        address="上海市浦东新区张江路 88 号 3 栋 1201 室",
        items=[OrderItem(name="西湖龙井 Longjing green tea 250g", quantity=2, sku="TEA-LJ250",
                         price_minor=16800),
               OrderItem(name="竹制茶盘 Bamboo tea tray", quantity=1, sku="TRAY-BM40",
                         price_minor=15800)],
        total_minor=49400,
        paid_minor=49400,
        currency="CNY",
        status="shipped",
        carrier="SF Express",
        tracking_number="SF1234567890",
        placed_at=NOW - timedelta(days=4),
    ), at=NOW - timedelta(days=4))


async def open_case(
    services: Services, *, kind: str = "delivery_delayed", level: int = 2, urgent: bool = False,
    number: str = "1001", with_order: bool = True, minutes_ago: int = 90,
) -> Case:
    order = await seed_order(services, number) if with_order else None
    case, _ = await services.cases.open(
        Actor("intake", "operator"), kind=kind, level=level, urgent=urgent,
        title="Parcel stuck at the sorting centre", description="No tracking update for 4 days.",
        order_id=order.id if order else None, source="api",
        opened_at=NOW - timedelta(minutes=minutes_ago),
    )
    return case


async def working_case(services: Services, **options) -> Case:
    """An open case assigned to the operator, with a contact, a note and a remedy on its timeline."""
    case = await open_case(services, **options)
    olga = services.actor(OPERATOR)
    case = await services.cases.triage(olga, case.ref, level=case.level)
    case = await services.cases.take(olga, case.ref)
    case = await services.cases.log_contact(
        olga, case.ref, channel="phone", summary="Told the customer we are chasing the carrier",
    )
    case = await services.cases.add_note(olga, case.ref, "Carrier hotline says: sorting backlog")
    await services.cases.propose_remedy(olga, case.ref, type="coupon", amount_minor=2000,
                                        note="sorry coupon")
    return await services.cases.get(case.ref)


async def rich_case(services: Services, clock: FakeClock) -> Case:
    """An urgent L3 case three hours into its life, with something in every panel."""
    from shopdesk.domain.filters import CaseFilter

    clock.now = NOW - timedelta(hours=3)
    case = await open_case(services, kind="lost", level=3, urgent=True, minutes_ago=180)
    olga, sam = services.actor(OPERATOR), services.actor(SUPERVISOR)
    steps = [
        lambda: services.cases.triage(olga, case.ref),
        lambda: services.cases.take(olga, case.ref),
        lambda: services.cases.log_contact(
            olga, case.ref, channel="phone", template="apology",
            summary="Apologised; the carrier is searching", next_follow_up_at=NOW + timedelta(hours=2),
        ),
        lambda: services.cases.set_responsibility(
            olga, case.ref, party="carrier", department="logistics", joint_department="warehouse",
            root_cause="Parcel mis-sorted at the Shanghai hub",
        ),
        lambda: services.cases.propose_remedy(olga, case.ref, type="coupon", amount_minor=2000,
                                              note="sorry coupon"),
        lambda: services.cases.propose_remedy(olga, case.ref, type="refund_full",
                                              amount_minor=49400, note="if not found by Friday"),
        lambda: services.incidents.declare(sam, title="SF Express hub backlog",
                                           type="carrier_outage", level=2),
        lambda: services.incidents.link(sam, 1, CaseFilter(carrier="SF Express")),
        lambda: services.cases.add_note(olga, case.ref, "Carrier hotline: sorting backlog"),
    ]
    for step in steps:
        clock.advance(minutes=17)
        await step()
    clock.now = NOW
    return await services.cases.get(case.ref)


def case_app(services: Services, ref: str, operator: str = OPERATOR) -> ShopdeskApp:
    """The real app on these services; `show_case(pilot)` opens `ref` on it."""
    app = ShopdeskApp(services, operator=operator, lang=i18n.language())
    app.case_ref = ref
    return app


def snapshot_app(path: Path, ref: str, operator: str = OPERATOR) -> ShopdeskApp:
    """For snapshots (their own event loop): the app opens the seeded store file on its loop."""
    app = ShopdeskApp.for_store(path, operator=operator, settings=settings(), clock=FakeClock(),
                                lang=i18n.language())
    app.case_ref = ref
    return app


async def show_case(pilot) -> CaseScreen:
    """Open the app's case on top of the queue and wait until it has loaded."""
    app = pilot.app
    await settle(pilot)
    if not isinstance(app.screen, CaseScreen):
        await app.push_screen(CaseScreen(app.services, app.case_ref))
        await settle(pilot)
    assert isinstance(app.screen, CaseScreen)
    return app.screen


# --- driving the UI -------------------------------------------------------------------------------


async def settle(pilot) -> None:
    """Let messages, workers and the reloads they cause finish."""
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def type_text(pilot, text: str) -> None:
    await pilot.press(*text)


async def focus_field(pilot, name: str):
    widget = pilot.app.screen.query_one(f"#field-{name}")
    widget.focus()
    await pilot.pause()
    return widget


async def choose(pilot, name: str, search: str) -> None:
    """Open the select `name`, type to search for an option, pick it with enter."""
    select = await focus_field(pilot, name)
    await pilot.press("enter")
    await type_text(pilot, search)
    await pilot.press("enter")
    await pilot.pause()
    for _ in range(50):  # on a busy machine the overlay closes (and gives focus back) later
        if not getattr(select, "expanded", False):
            break
        await pilot.pause(0.01)
    await pilot.pause()


async def fill(pilot, name: str, text: str) -> None:
    """Replace the text of an input field by typing."""
    widget = await focus_field(pilot, name)
    widget.clear()
    await type_text(pilot, text)


def notifications(app, severity: str | None = None) -> list[str]:
    return [n.message for n in app._notifications if severity is None or n.severity == severity]


def field_error(app, name: str) -> str:
    """The validation message shown under a form field ('' when none is shown)."""
    widget = app.screen.query_one(f"#error-{name}")
    return str(widget.render()) if widget.has_class("-shown") else ""
