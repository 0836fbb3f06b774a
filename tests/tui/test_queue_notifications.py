"""Notifications on the queue at 80x24: toasts do not pile up over the last rows and the status line
(a new one replaces the one of its kind, at most three show, errors stay longest), a burst of new
urgent cases is one toast, and a second shopdesk that attached to another's API shows the pid in
its title bar and says so once."""

from __future__ import annotations

import pytest
from queue_world import ME, FakeClock, queue_settings, screen_text, settle

from operator_seats import seat_from_settings

from shopdesk.config import Operator
from shopdesk.domain.cases import Actor, Customer
from shopdesk.services import Services
from shopdesk.store import open_store
from shopdesk.tui import i18n
from shopdesk.tui.app import MAX_TOASTS, TOAST_SECONDS, ShopdeskApp
from shopdesk.tui.i18n import t


WORLD = "seeded queue"  # the `services` fixture: tests/tui/conftest.py


def showing(app) -> list[tuple[str, str]]:
    return [(n.severity, n.message) for n in app._notifications]


async def test_a_new_toast_replaces_the_one_of_its_kind_and_errors_stay(services):
    app = ShopdeskApp(services, operator=ME, lang="en")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        app.notify("C-000001 could not be saved: disk full", severity="error")
        for ref in ("C-000002", "C-000003", "C-000004"):
            app.notify(f"{ref} triaged")
        await settle(pilot)
        assert showing(app) == [("error", "C-000001 could not be saved: disk full"),
                                ("information", "C-000004 triaged")]
        text = screen_text(app)
        assert "C-000004 triaged" in text and "C-000002 triaged" not in text
        # the status line and the key bar are not covered by the toasts
        lines = text.splitlines()
        assert "sorted by queue order" in lines[-2] and "Help" in lines[-1]
        # kinds are (severity, title): at most three toasts, the oldest non-error goes first
        app.notify("No case is highlighted.", severity="warning")
        app.notify("C-000009 urgent lost", title=t("alert.title"), severity="warning")
        await settle(pilot)
        kinds = showing(app)
        assert len(kinds) == MAX_TOASTS
        assert ("error", "C-000001 could not be saved: disk full") in kinds
        assert ("information", "C-000004 triaged") not in kinds


async def test_toasts_are_short_lived_and_errors_last_longest(services):
    app = ShopdeskApp(services, operator=ME, lang="en")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        timeouts = {}
        for message, options in (("saved", {}), ("refused", {"severity": "error"}),
                                 ("asked for a minute", {"timeout": 60})):
            app.notify(message, **options)
            await settle(pilot)
            timeouts[message] = next(n.timeout for n in app._notifications if n.message == message)
    assert timeouts["saved"] == TOAST_SECONDS["information"] <= 5
    assert timeouts["refused"] == TOAST_SECONDS["error"] >= 10
    assert timeouts["asked for a minute"] == 60


async def test_a_burst_of_new_urgent_cases_is_one_toast(services):
    app = ShopdeskApp(services, operator=ME, lang="en")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        app.bell = lambda: None
        await settle(pilot)
        refs = []
        for name in ("Hurry One", "Hurry Two", "Hurry Three"):
            case, _ = await services.cases.open(Actor("intake"), kind="urgent_order", level=1,
                                                urgent=True, customer=Customer(name=name))
            refs.append(case.ref)
        await pilot.pause(0.3)
        await settle(pilot)
        alerts = [n for n in app._notifications if n.title == t("alert.title")]
    assert len(alerts) == 1
    assert all(ref in alerts[0].message for ref in refs)
    assert len(app.alerts) == 3


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_attached_title_bar_keeps_the_pid_at_80_columns_and_says_so_once(tmp_path, lang):
    settings = queue_settings(shop_name="清风茶舍 Qingfeng Tea House",
                              operators=[Operator(name="zhou.min", role="supervisor")])
    i18n.set_language(lang)
    async with open_store(tmp_path / "desk.db") as store:
        services = Services(store, settings, clock=FakeClock())
        await seat_from_settings(services)
        app = ShopdeskApp(services, operator="zhou.min", lang=lang,
                          api_note=t("api.attached", pid=24635),
                          notice=t("api.attached_notice", pid=24635))
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await settle(pilot)
            title = screen_text(app).splitlines()[0]
            notices = [n.message for n in app._notifications]
    assert "24635" in title, title
    assert notices == [t("api.attached_notice", pid=24635)]
