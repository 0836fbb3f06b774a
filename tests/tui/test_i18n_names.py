"""Names in the UI language (N6): incident types on the incidents board, kind groups; every code
of the domain's lists has its name in both languages."""

from __future__ import annotations

import pytest
from queue_world import ME, screen_text, seed_queue, settle

from shopdesk.domain import kinds
from shopdesk.tui import i18n
from shopdesk.tui.app import ShopdeskApp
from shopdesk.tui.screens.incidents import IncidentsScreen


WORLD = "queue"  # the `services` fixture: tests/tui/conftest.py


@pytest.mark.parametrize(("language", "name"), [("zh", "快递停运"), ("en", "carrier outage")])
async def test_the_incidents_board_names_the_incident_type(services, language, name):
    await seed_queue(services)
    await services.incidents.declare(services.actor("sam"), title="ZTO outage in Shanghai",
                                     type="carrier_outage", level=2)
    app = ShopdeskApp(services, operator=ME, lang=language)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, IncidentsScreen)
        text = screen_text(app)
        assert name in text
        assert "carrier_outage" not in text


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize(
    ("group", "codes"),
    [("group", kinds.KIND_GROUPS), ("incident_type", kinds.INCIDENT_TYPES),
     ("remedy", kinds.REMEDY_TYPES), ("party", kinds.PARTIES),
     ("department", kinds.DEPARTMENTS)],
)
def test_every_code_has_a_name(language, group, codes):
    catalog = i18n.CATALOGS[language]
    assert [code for code in codes if f"vocab.{group}.{code}" not in catalog] == []


def test_the_export_toast_is_in_chinese():
    from shopdesk.tui.report_text import text

    i18n.set_language("zh")
    assert text("export.done", rows=76, path="/tmp/cases.csv") == "已导出 76 行到 /tmp/cases.csv"
