"""Incidents on a real store: declare, team, link by ref and by each filter, join on arrival, bulk
actions (refused cases among them, a rerun after an interruption), stable → closed, the review's
figures against a hand-computed fixture, and the v9 → v13 migration."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from operator_seats import seat_from_settings

from shopdesk.config import Operator, Settings
from shopdesk.domain.cases import Customer, Order
from shopdesk.domain.errors import (
    NotFoundError,
    PermissionDenied,
    TransitionError,
    ValidationError,
)
from shopdesk.domain.filters import CaseFilter
from shopdesk.services import Services
from shopdesk.services import incidents as incident_service
from shopdesk.store import open_store

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def world(tmp_path):
    settings = Settings(operators=[Operator(name="sue", role="supervisor"),
                                   Operator(name="olga", role="owner"),
                                   Operator(name="ann", role="operator")])
    clock = Clock()
    async with open_store(tmp_path / "inc.db") as store:
        services = Services(store, settings, clock=clock)
        await seat_from_settings(services)  # roles live in the store
        services.clock_ = clock
        yield services


def ann(services):
    return services.actor("ann")


def sue(services):
    return services.actor("sue")


async def open_case(services, *, number: str, carrier: str = "ZTO", kind: str = "lost",
                    address: str = "上海市浦东新区", shipped: datetime | None = None,
                    email: str = "", source: str = "demo"):
    order = Order(source=source, external_id=number, number=number, carrier=carrier,
                  address=address, shipped_at=shipped or NOW - timedelta(days=2),
                  customer=Customer(name=f"buyer {number}", email=email), total_minor=10000,
                  paid_minor=10000, currency="CNY")
    case, _ = await services.cases.open(ann(services), kind=kind, order=order)
    return case


async def declare(services, **extra):
    return await services.incidents.declare(
        sue(services), title="ZTO Shanghai hub down", type="carrier_outage", level=2, **extra)


async def test_declare_with_owner_and_team(world):
    incident = await declare(world, owner="olga", description="hub flooded")
    assert (incident.ref, incident.status, incident.owner) == ("I-0001", "active", "olga")
    team = await world.incidents.add_member(sue(world), incident.id, operator="li", role="comms",
                                            phone="+86 138 0000 1111")
    assert [(m.operator, m.role, m.phone) for m in team] == [("li", "comms", "+86 138 0000 1111")]
    team = await world.incidents.add_member(sue(world), incident.id, operator="li", role="lead",
                                            phone="13800001111")
    assert [(m.operator, m.role) for m in team] == [("li", "lead")]
    with pytest.raises(ValidationError) as refused:
        await world.incidents.add_member(sue(world), incident.id, operator="bo", role="x",
                                         phone="call me")
    assert refused.value.field == "phone"
    with pytest.raises(ValidationError) as refused:
        await world.incidents.declare(sue(world), title="x", type="meteor", level=2)
    assert refused.value.field == "type"
    with pytest.raises(ValidationError):
        await world.incidents.declare(sue(world), title="x", type="weather", level=4)
    assert (await world.incidents.find("i-1")).id == incident.id
    with pytest.raises(NotFoundError):
        await world.incidents.find("I-0009")


async def test_link_by_ref_unknown_ref_links_nothing(world):
    incident = await declare(world)
    one = await open_case(world, number="1")
    with pytest.raises(NotFoundError) as refused:
        await world.incidents.link_refs(ann(world), incident.id, [one.ref, "C-000099"])
    assert "C-000099" in refused.value.detail
    assert await world.incidents.count_cases(incident.id) == 0
    result = await world.incidents.link_refs(ann(world), incident.id, [one.ref, "c-1"])
    assert (result.matched, result.linked) == (1, 1)
    assert (await world.cases.detail(one.ref)).events[-1].type == "incident_linked"
    assert await world.incidents.unlink(ann(world), incident.id, [one.ref]) == 1
    assert await world.incidents.count_cases(incident.id) == 0


@pytest.mark.parametrize(("case_filter", "expected"), [
    (CaseFilter(carrier="ZTO"), {"1", "2", "4"}),
    (CaseFilter(kinds=["damaged"]), {"2"}),
    (CaseFilter(statuses=["open"]), {"4"}),
    (CaseFilter(source="manual"), {"1", "2", "3", "4"}),
    (CaseFilter(source="shop"), set()),
    (CaseFilter(shipped_from=NOW - timedelta(days=3), shipped_to=NOW - timedelta(days=1)),
     {"1", "2", "3"}),
    (CaseFilter(place="杭州"), {"2"}),
    (CaseFilter(place="浙江省杭州"), {"2"}),
])
async def test_link_by_each_filter_with_a_preview(world, case_filter, expected):
    incident = await declare(world)
    await open_case(world, number="1")
    await open_case(world, number="2", kind="damaged", address="浙江省杭州市西湖区")
    await open_case(world, number="3", carrier="SF")
    four = await open_case(world, number="4", shipped=NOW - timedelta(days=5))
    await world.cases.triage(ann(world), four.ref)
    preview = await world.incidents.preview(case_filter)
    assert preview == len(expected)
    if not expected:
        with pytest.raises(ValidationError) as refused:
            await world.incidents.link_filter(ann(world), incident.id, case_filter)
        assert refused.value.field == "filter" and "nothing linked" in refused.value.detail
        return
    result = await world.incidents.link_filter(ann(world), incident.id, case_filter)
    assert result.linked == len(expected)
    linked = await world.cases.list(CaseFilter(incident_id=incident.id))
    assert {case.order_number for case in linked} == expected


async def test_new_cases_matching_an_active_incident_join_on_arrival(world):
    incident = await declare(world)
    await open_case(world, number="1")
    await world.incidents.link_filter(ann(world), incident.id, CaseFilter(carrier="ZTO"))
    arrived = await open_case(world, number="2")  # intake and `cases open` both open this way
    other = await open_case(world, number="3", carrier="SF")
    assert await world.incidents.count_cases(incident.id) == 2
    event = (await world.cases.detail(arrived.ref)).events[-1]
    assert event.type == "incident_linked" and "on arrival" in event.data["note"]
    assert (await world.cases.detail(other.ref)).incidents == []
    await world.incidents.stable(sue(world), incident.id)
    await open_case(world, number="4")  # stable: no longer takes new cases
    assert await world.incidents.count_cases(incident.id) == 2


async def test_bulk_note_and_resolve_with_refused_cases(world):
    incident = await declare(world)
    cases = [await open_case(world, number=str(n)) for n in range(1, 6)]
    await world.incidents.link_filter(ann(world), incident.id, CaseFilter(carrier="ZTO"))
    await world.cases.void(ann(world), cases[1].ref, "duplicate")
    await world.cases.propose_remedy(ann(world), cases[2].ref, type="reship")
    for case in cases:
        if case.ref != cases[1].ref:
            await world.cases.triage(ann(world), case.ref)
    steps = []
    note = await world.incidents.bulk(ann(world), incident.id, "note", text="hub down, we are on it",
                                      progress=lambda done, total: steps.append((done, total)))
    assert (note.total, note.done, note.refused) == (5, 5, [])
    assert steps[0] == (0, 5) and steps[-1] == (5, 5)
    resolved = await world.incidents.bulk(ann(world), incident.id, "resolve",
                                          text="delivered after the outage")
    assert resolved.done == 3
    assert {item.ref for item in resolved.refused} == {cases[1].ref, cases[2].ref}
    assert any("reship" in item.detail for item in resolved.refused)
    assert any("void" in item.detail for item in resolved.refused)
    for case in cases:  # one timeline event per case and action
        events = [event.type for event in (await world.cases.detail(case.ref)).events]
        assert events.count("note") == 1
    refused_case = await world.cases.get(cases[2].ref)
    assert refused_case.status == "open"  # nothing half-done
    timeline = await world.incidents.timeline(incident.id)
    assert [event.data.get("action") for event in timeline if event.type == "bulk"] == [
        "note", "resolve"]


async def test_bulk_contact_with_a_template_counts_customers_contacted(world):
    incident = await declare(world)
    for n in range(1, 4):
        await open_case(world, number=str(n), email=f"b{n % 2}@example.com")
    await world.incidents.link_filter(ann(world), incident.id, CaseFilter(carrier="ZTO"))
    result = await world.incidents.bulk(ann(world), incident.id, "contact", channel="sms",
                                        template="incident_notice")
    assert result.done == 3
    assert (await world.incidents.impact(await world.incidents.get(incident.id))
            ).customers_contacted == 2  # two buyers share an email
    with pytest.raises(ValidationError) as refused:
        await world.incidents.bulk(ann(world), incident.id, "contact", channel="sms",
                                   template="poem")
    assert refused.value.field == "template"
    with pytest.raises(ValidationError) as refused:
        await world.incidents.bulk(ann(world), incident.id, "note", text=" ")
    assert refused.value.field == "text"


async def test_a_rerun_after_an_interruption_finishes_without_doubling(world, monkeypatch):
    incident = await declare(world)
    for n in range(1, 8):
        await open_case(world, number=str(n))
    await world.incidents.link_filter(ann(world), incident.id, CaseFilter(carrier="ZTO"))
    monkeypatch.setattr(incident_service, "BATCH_CASES", 3)
    original = world.cases.add_note
    calls = 0

    async def dying_note(actor, ref, text, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 5:  # the process is killed in the second batch
            raise asyncio.CancelledError
        return await original(actor, ref, text, **kwargs)

    monkeypatch.setattr(world.cases, "add_note", dying_note)
    with pytest.raises(asyncio.CancelledError):
        await world.incidents.bulk(ann(world), incident.id, "note", text="update")
    monkeypatch.setattr(world.cases, "add_note", original)
    notes = [sum(e.type == "note" for e in (await world.cases.detail(f"C-00000{n}")).events)
             for n in range(1, 8)]
    assert notes == [1, 1, 1, 0, 0, 0, 0]  # the first batch committed, the second not at all
    again = await world.incidents.bulk(ann(world), incident.id, "note", text="update")
    assert (again.done_before, again.done) == (3, 4)
    notes = [sum(e.type == "note" for e in (await world.cases.detail(f"C-00000{n}")).events)
             for n in range(1, 8)]
    assert notes == [1] * 7
    fresh = await world.incidents.bulk(ann(world), incident.id, "note", text="update")
    assert (fresh.done_before, fresh.done) == (0, 7)  # finished: the same request runs anew


async def test_stable_then_closed_with_roles_and_order(world):
    incident = await declare(world)
    with pytest.raises(TransitionError) as refused:
        await world.incidents.close(sue(world), incident.id, cause="x")
    assert "stable" in refused.value.detail
    with pytest.raises(PermissionDenied) as denied:
        await world.incidents.stable(ann(world), incident.id)
    assert "supervisor" in denied.value.detail
    world.clock_.now = NOW + timedelta(hours=5)
    stable = await world.incidents.stable(sue(world), incident.id)
    assert stable.status == "stable" and stable.stable_at == NOW + timedelta(hours=5)
    with pytest.raises(ValidationError):
        await world.incidents.close(sue(world), incident.id, cause=" ")
    closed = await world.incidents.close(sue(world), incident.id, cause="flood",
                                         lessons="second carrier")
    assert closed.status == "closed"
    with pytest.raises(TransitionError):
        await world.incidents.link_filter(ann(world), incident.id, CaseFilter())
    with pytest.raises(TransitionError):
        await world.incidents.bulk(ann(world), incident.id, "note", text="x")


async def test_review_figures_against_a_hand_computed_fixture(world):
    incident = await declare(world)
    # 4 cases on 3 orders (two cases on order 1), 3 customers; 2 contacted; compensation
    # 50.00 + 20.00 CNY approved/done and 10 USD approved; a rejected 99.00 and a reship do
    # not count.
    one = await open_case(world, number="1", email="a@example.com")
    again, _ = await world.cases.open(ann(world), kind="damaged", order_id=one.order_id)
    two = await open_case(world, number="2", email="b@example.com")
    three = await open_case(world, number="3", email="c@example.com")
    await world.incidents.link_filter(ann(world), incident.id, CaseFilter(carrier="ZTO"))
    await world.incidents.link_refs(ann(world), incident.id, [again.ref])
    await world.cases.log_contact(ann(world), one.ref, channel="sms", summary="sorry")
    await world.cases.log_contact(ann(world), again.ref, channel="sms", summary="sorry")
    await world.cases.log_contact(ann(world), two.ref, channel="phone", summary="sorry")
    await world.cases.log_contact(ann(world), three.ref, channel="phone", direction="inbound",
                                  summary="asked")
    cases = world.cases
    await cases.propose_remedy(ann(world), one.ref, type="refund_partial", amount_minor=5000)
    done = await cases.propose_remedy(ann(world), two.ref, type="coupon", amount_minor=2000)
    await cases.complete_remedy(ann(world), done.id)
    usd = await cases.propose_remedy(world.actor("olga"), three.ref, type="coupon",
                                     amount_minor=1000, currency="USD")
    assert usd.status == "approved"
    rejected = await cases.propose_remedy(sue(world), again.ref, type="coupon",
                                          amount_minor=9900)
    await cases.reject_remedy(sue(world), rejected.id, "no")
    await cases.propose_remedy(ann(world), again.ref, type="reship")
    await world.incidents.add_member(sue(world), incident.id, operator="li", role="comms",
                                     phone="13800001111")
    world.clock_.now = NOW + timedelta(hours=26, minutes=30)
    await world.incidents.stable(sue(world), incident.id)
    await world.incidents.close(sue(world), incident.id, cause="hub flood", impact="East China",
                                lessons="keep a second carrier")
    review = await world.incidents.review(incident.id)
    impact = review.impact
    assert (impact.cases, impact.orders, impact.customers_contacted) == (4, 3, 2)
    assert impact.compensation == {"CNY": 7000, "USD": 1000}
    assert impact.time_to_stable_s == (26 * 60 + 30) * 60
    markdown = await world.incidents.review_markdown(incident.id)
    assert "| time to stable | 1d 2h 30m |" in markdown
    assert "| compensation | 70.00 CNY, 10.00 USD |" in markdown
    assert "## Lessons" in markdown and "keep a second carrier" in markdown
    assert "li — comms, 13800001111" in markdown
    csv_text = await world.incidents.review_csv(incident.id)
    assert "impact,cases,4\r\n" in csv_text and "impact,customers contacted,2" in csv_text
    assert "impact,time to stable (minutes),1590" in csv_text


async def test_review_csv_is_safe_against_formulas(world):
    incident = await world.incidents.declare(sue(world), title="=HYPERLINK(\"x\")",
                                             type="other", level=1)
    csv_text = await world.incidents.review_csv(incident.id)
    assert "'=HYPERLINK" in csv_text


async def test_a_v9_store_migrates_its_incidents(tmp_path: Path):
    path = tmp_path / "old.db"
    async with open_store(path) as store:
        services = Services(store, Settings())
        await services.incidents.declare(services.actor("x"), title="t", type="other", level=1)
    conn = sqlite3.connect(path)  # back to the v9 shape: status 'ended', no new columns
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))
    from test_db import undo_version_10, undo_version_11

    undo_version_11(conn)  # outbound's step
    undo_version_10(conn)  # detection's step
    conn.executescript("""
        PRAGMA foreign_keys = OFF;
        DROP TABLE incident_cases; DROP TABLE incidents;
        DROP TABLE incident_team; DROP TABLE incident_events;
        DROP TABLE incident_run_cases; DROP TABLE incident_runs;
        CREATE TABLE incidents (id INTEGER PRIMARY KEY, title TEXT NOT NULL, type TEXT NOT NULL,
            level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 3),
            status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
            started_at TEXT NOT NULL, ended_at TEXT, owner TEXT NOT NULL DEFAULT '',
            description TEXT NOT NULL DEFAULT '', review_cause TEXT NOT NULL DEFAULT '',
            review_impact TEXT NOT NULL DEFAULT '', review_changes TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL);
        CREATE TABLE incident_cases (incident_id INTEGER NOT NULL REFERENCES incidents (id),
            case_id INTEGER NOT NULL REFERENCES cases (id), linked_at TEXT NOT NULL,
            PRIMARY KEY (incident_id, case_id));
        INSERT INTO incidents VALUES (1, 'old one', 'weather', 2, 'ended',
            '2026-01-01T00:00:00+00:00', '2026-01-03T00:00:00+00:00', 'o', '', 'rain', '', '',
            '2026-01-01T00:00:00+00:00');
        INSERT INTO incidents VALUES (2, 'live one', 'weather', 1, 'active',
            '2026-01-05T00:00:00+00:00', NULL, 'o', '', '', '', '', '2026-01-05T00:00:00+00:00');
        PRAGMA user_version = 12;
    """)
    conn.close()
    async with open_store(path) as store:
        services = Services(store, Settings())
        old, live = await services.incidents.get(1), await services.incidents.get(2)
        assert (old.status, old.review_cause, old.stable_at) == (
            "closed", "rain", datetime(2026, 1, 3, tzinfo=UTC))
        assert live.status == "active"
        await services.incidents.add_member(services.actor("x"), 2, operator="a", role="lead")


async def test_reports_gain_incident_figures(world):
    first = await declare(world)
    second = await world.incidents.declare(sue(world), title="storm", type="weather", level=1)
    await world.incidents.declare(sue(world), title="old", type="other", level=1,
                                  started_at=NOW - timedelta(days=40))
    for n in range(1, 4):
        await open_case(world, number=str(n))
    await world.incidents.link_filter(ann(world), first.id, CaseFilter(carrier="ZTO"))
    await world.incidents.link_refs(ann(world), second.id, ["C-000001"])
    world.clock_.now = NOW + timedelta(hours=6)
    await world.incidents.stable(sue(world), first.id)
    summary = await world.reports.summary(NOW - timedelta(days=7), NOW + timedelta(days=1))
    figure = summary.incidents
    assert (figure.incidents, figure.stable) == (2, 1)
    assert figure.mean_hours_to_stable == 6.0 and figure.cases_per_incident == 2.0
    from shopdesk.services.exports import summary_rows

    rows = {(row[0], row[2]): row[3] for row in summary_rows(summary)}
    assert rows[("incidents", "incidents")] == 2
    assert rows[("incidents", "mean_hours_to_stable")] == 6.0
