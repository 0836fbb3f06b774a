"""The filter matches what you see: every column on screen (assignee, kind in English and Chinese,
status, carrier …) and `field:value` terms that narrow it."""

from __future__ import annotations

import pytest
from queue_world import ME, FakeClock, queue_settings, seed_queue, settle

from shopdesk.domain.filters import CaseFilter
from shopdesk.services import Services
from shopdesk.tui import i18n
from shopdesk.tui.app import ShopdeskApp
from shopdesk.tui.filter_text import with_text
from shopdesk.tui.widgets.case_table import CaseTable

ACTIVE = ["new", "open", "waiting", "escalated"]


@pytest.fixture
def services(store):
    return Services(store, queue_settings(), clock=FakeClock())


@pytest.fixture
async def seeded(services):
    return await seed_queue(services)


async def refs_for(services, text: str) -> list[str]:
    cases = await services.cases.list(with_text(CaseFilter(statuses=ACTIVE), text), limit=200)
    return sorted(case.ref for case in cases)


@pytest.mark.parametrize(("text", "which"), [
    ("alice", "mine"),  # the assignee column
    ("assignee:ali", "mine"),
    ("SF Express", "lost"),  # the carrier column
    ("carrier:sf", "lost"),
    ("damaged", "overdue"),  # the kind, in English …
    ("破损", "overdue"),  # … and in Chinese, whatever the UI language
    ("kind:damaged", "overdue"),
    ("status:waiting", "waiting"),
    ("等待", "waiting"),  # the status label in Chinese
    ("order:1001", "lost"),
    ("tracking:SF123", "lost"),
    ("phone:13800000001", "lost"),
    ("customer:张伟", "lost"),
    ("title:parcel", "lost"),
    ("level:3", "lost"),
    ("kind:urgent assignee:alice", "mine"),  # terms narrow together
])
async def test_each_column_on_screen_can_be_filtered(services, seeded, text, which):
    assert await refs_for(services, text) == [getattr(seeded, which).ref]


async def test_terms_narrow_together_and_unknown_fields_are_text(services, seeded):
    assert await refs_for(services, "kind:damaged assignee:alice") == []
    assert await refs_for(services, "kind:") == await refs_for(services, "")  # being typed
    assert await refs_for(services, "10:30") == []  # a colon that names no field: plain text


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_typing_an_assignee_on_the_queue_finds_their_cases(services, seeded, lang):
    app = ShopdeskApp(services, operator=ME, lang=lang)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"assignee:alice", "enter")
        await settle(pilot)
        grid = app.screen.query_one("#cases", CaseTable)
        assert grid.total == 1 and grid.row_at(0).ref == seeded.mine.ref
    i18n.set_language("en")
