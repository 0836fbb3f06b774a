"""The demo store: realistic, complete (every kind, level and status …), deterministic for a seed."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections import defaultdict
from datetime import UTC, datetime

import pytest

from shopdesk.domain.errors import ValidationError
from shopdesk.domain.kinds import KINDS
from shopdesk.domain.workflow import STATUSES
from shopdesk.services.demo import DemoPresent, fill_demo
from shopdesk.store import open_store

NOW = datetime(2026, 11, 25, 7, 30, tzinfo=UTC)  # a Wednesday, 15:30 in Shanghai
TABLES = ("orders", "order_events", "cases", "case_events", "sla_pauses", "remedies", "contacts",
          "surveys", "incidents", "incident_cases")


async def make_demo(path, *, cases=120, seed=7, now=NOW):
    async with open_store(path) as store:
        return await fill_demo(store, cases=cases, seed=seed, now=now)


def dump(path) -> dict[str, list[tuple]]:
    with sqlite3.connect(path) as conn:
        return {table: conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall() for table in TABLES}


def query(path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    summary = asyncio.run(make_demo(path))  # one store for the module, on its own loop
    return path, summary


async def test_the_summary(demo):
    _path, summary = demo
    # 109 stories with their orders, and 13 orders that trip every detection rule (11 cases)
    assert summary.cases == 120 and summary.orders == 122 and summary.incidents == 1
    assert summary.detected == 11
    assert summary.overdue > 0 and summary.urgent > 0 and summary.pending_remedies > 0
    assert sum(summary.by_status.values()) == 120


async def test_every_kind_level_and_status(demo):
    path, _summary = demo
    assert {row[0] for row in query(path, "SELECT DISTINCT kind FROM cases")} == set(KINDS)
    assert {row[0] for row in query(path, "SELECT DISTINCT level FROM cases")} == {1, 2, 3}
    assert {row[0] for row in query(path, "SELECT DISTINCT status FROM cases")} == set(STATUSES)
    assert {row[0] for row in query(path, "SELECT DISTINCT tier FROM cases")} >= {"operator", "supervisor"}


async def test_some_cases_are_overdue_and_some_urgent(demo):
    path, _summary = demo
    now = NOW.isoformat(timespec="seconds")
    overdue = query(path, f"SELECT count(*) FROM cases WHERE status IN ('new', 'open', 'escalated') "
                          f"AND due_at < '{now}'")[0][0]
    in_time = query(path, f"SELECT count(*) FROM cases WHERE status IN ('new', 'open', 'escalated') "
                          f"AND due_at >= '{now}'")[0][0]
    urgent = query(path, "SELECT count(*) FROM cases WHERE urgent = 1 AND status IN ('new', 'open', 'waiting', 'escalated')")[0][0]
    assert overdue >= 3 and in_time >= 10 and urgent >= 3


async def test_customers_orders_and_carriers_look_real(demo):
    path, _summary = demo
    names = [row[0] for row in query(path, "SELECT customer_name FROM orders")]
    assert any(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", name) for name in names)
    assert any(re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", name) for name in names)
    phones = [row[0] for row in query(path, "SELECT customer_phone FROM orders")]
    assert any(re.fullmatch(r"\+86 13\d \d{4} \d{4}", phone) for phone in phones)
    addresses = " ".join(row[0] for row in query(path, "SELECT address FROM orders"))
    for city in ("上海", "北京", "深圳"):
        assert city in addresses
    carriers = {row[0] for row in query(path, "SELECT DISTINCT carrier FROM orders WHERE carrier != ''")}
    assert {"SF Express", "ZTO Express", "EMS"} <= carriers
    assert len(carriers) >= 5
    assert query(path, "SELECT count(*) FROM orders WHERE carrier != '' AND tracking_number = ''")[0][0] == 0
    ids = [row[0] for row in query(path, "SELECT external_id FROM orders")]
    assert all(int(external_id) > 2**53 for external_id in ids)  # text ids, like Shopify's
    assert query(path, "SELECT count(*) FROM orders WHERE items = '[]'")[0][0] == 0
    assert query(path, "SELECT count(*) FROM order_events")[0][0] > 120


async def test_timelines_carry_the_whole_workflow(demo):
    path, _summary = demo
    types = {row[0] for row in query(path, "SELECT DISTINCT type FROM case_events")}
    assert {"opened", "triaged", "assigned", "contact", "note", "wait", "resume", "escalated",
            "decided", "remedy_proposed", "remedy_approved", "remedy_done", "responsibility",
            "resolved", "survey", "closed", "voided", "reopened", "incident_linked"} <= types
    remedy_statuses = {row[0] for row in query(path, "SELECT DISTINCT status FROM remedies")}
    assert {"proposed", "approved", "done"} <= remedy_statuses
    # awaiting approval: above the operator's limit of 200.00, or in another currency than the
    # shop's CNY (the limits are in CNY); no operator granted a foreign amount themselves
    assert query(path, "SELECT min(amount_minor) FROM remedies WHERE status = 'proposed' "
                       "AND currency = 'CNY'")[0][0] > 20_000
    assert not query(path, "SELECT 1 FROM remedies WHERE decided_by = proposed_by "
                           "AND currency != 'CNY' AND amount_minor > 0 AND proposed_by != 'lin.feng'")
    assert query(path, "SELECT count(*) FROM cases WHERE joint_department IS NOT NULL")[0][0] > 0
    assert query(path, "SELECT count(DISTINCT responsible_department) FROM cases")[0][0] >= 4
    assert query(path, "SELECT count(*) FROM surveys")[0][0] > 5
    assert query(path, "SELECT count(*) FROM case_events WHERE type = 'escalated' AND actor = 'shopdesk'")[0][0] > 0
    assert query(path, "SELECT count(*) FROM contacts WHERE direction = 'inbound'")[0][0] > 0
    assert query(path, "SELECT count(*) FROM sla_pauses")[0][0] > 0


async def test_a_past_carrier_outage_with_linked_cases_and_a_review(demo):
    path, _summary = demo
    [(incident_id, type_, status, cause, changes)] = query(
        path, "SELECT id, type, status, review_cause, review_changes FROM incidents")
    assert (type_, status) == ("carrier_outage", "closed")
    assert cause and changes
    linked = query(path, f"""SELECT o.carrier FROM incident_cases AS ic JOIN cases AS c ON c.id = ic.case_id
                             JOIN orders AS o ON o.id = c.order_id WHERE ic.incident_id = {incident_id}""")
    assert len(linked) >= 3 and {row[0] for row in linked} == {"ZTO Express"}
    notices = query(path, "SELECT count(*) FROM contacts WHERE template = 'incident_notice'")[0][0]
    assert notices >= 3


async def test_history_is_in_the_past_and_each_timeline_in_time_order(demo):
    path, _summary = demo
    now = NOW.isoformat(timespec="seconds")
    assert query(path, f"SELECT count(*) FROM case_events WHERE at > '{now}'")[0][0] == 0
    assert query(path, "SELECT min(opened_at) FROM cases")[0][0] < "2026-11-11"  # weeks of history
    timelines = defaultdict(list)
    for case_id, at in query(path, "SELECT case_id, at FROM case_events ORDER BY id"):
        timelines[case_id].append(at)
    for case_id, moments in timelines.items():
        assert moments == sorted(moments), f"case {case_id} has its timeline out of order"


async def test_the_same_seed_gives_the_same_store_and_another_seed_another(tmp_path):
    await make_demo(tmp_path / "a.db", cases=40, seed=3)
    await make_demo(tmp_path / "b.db", cases=40, seed=3)
    await make_demo(tmp_path / "c.db", cases=40, seed=4)
    assert dump(tmp_path / "a.db") == dump(tmp_path / "b.db")
    assert dump(tmp_path / "a.db")["cases"] != dump(tmp_path / "c.db")["cases"]


async def test_a_small_demo_and_bad_sizes(tmp_path):
    summary = await make_demo(tmp_path / "one.db", cases=1)
    assert summary.cases == 1
    for count in (0, -3, 10**6):
        with pytest.raises(ValidationError):
            await make_demo(tmp_path / f"bad{count}.db", cases=count)


async def test_the_demo_fills_only_an_empty_store(demo):
    path, _summary = demo
    before = dump(path)
    with pytest.raises(DemoPresent, match="already holds the demo"):
        await make_demo(path)  # the README's first command, run again: said, nothing changed
    assert dump(path) == before


async def test_the_demo_still_refuses_a_real_store(tmp_path):
    from shopdesk.domain.cases import Actor
    from shopdesk.services import Services

    path = tmp_path / "shop.db"
    async with open_store(path) as store:
        await Services(store).cases.open(Actor("emma"), kind="lost", title="parcel gone")
    before = dump(path)
    with pytest.raises(ValidationError, match="already has 1 case") as refused:
        await make_demo(path)
    assert not isinstance(refused.value, DemoPresent)
    assert dump(path) == before


async def test_the_demo_shows_every_detection_rule(demo):
    from shopdesk.domain.detection import RULE_NAMES

    path, _summary = demo
    rules = {row[0] for row in query(path, "SELECT DISTINCT rule FROM cases WHERE rule IS NOT NULL")}
    assert rules == set(RULE_NAMES)
    # the stories' orders have their cases already: nothing else is due for a check
    due = f"SELECT count(*) FROM orders WHERE check_at <= '{NOW.isoformat()}'"
    assert query(path, due)[0][0] == 0
