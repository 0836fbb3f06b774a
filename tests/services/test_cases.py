"""Case services on a real store: each write and its timeline event, stale edits, roles, remedies,
surveys, SLA pauses, first response, the sweep, and change notifications after commit."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from clocks import FakeClock

from operator_seats import seat_from_settings

from shopdesk.config import Operator, Settings
from shopdesk.domain import sla
from shopdesk.domain.cases import Customer, Order
from shopdesk.domain.errors import (
    ConflictError,
    NotFoundError,
    PermissionDenied,
    TransitionError,
    ValidationError,
)
from shopdesk.domain.filters import CaseFilter
from shopdesk.services import Services
from shopdesk.store import open_store

# Monday 23 Nov 2026, 10:00 in Shanghai (business hours 09-12, 13-18, Mon-Fri).
MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def shanghai(day: int, hour: int, minute: int = 0) -> datetime:
    """A November 2026 wall-clock time in Shanghai, as UTC."""
    return datetime(2026, 11, day, hour - 8, minute, tzinfo=UTC) if hour >= 8 else \
        datetime(2026, 11, day - 1, hour + 16, minute, tzinfo=UTC)


Clock = FakeClock


@pytest.fixture
def settings() -> Settings:
    return Settings(operators=[
        Operator(name="li.na", role="operator"),
        Operator(name="zhou.min", role="supervisor"),
        Operator(name="lin.feng", role="owner"),
    ])


@pytest.fixture
async def world(tmp_path, settings):
    clock = Clock(MONDAY_10)
    async with open_store(tmp_path / "cases.db") as store:
        services = Services(store, settings, clock=clock)
        await seat_from_settings(services)
        changes = []
        services.changes.subscribe(changes.append)
        yield services, clock, changes


def operator(services):
    return services.actor("li.na")


def supervisor(services):
    return services.actor("zhou.min")


def owner(services):
    return services.actor("lin.feng")


async def new_case(services, **fields):
    fields.setdefault("kind", "lost")
    fields.setdefault("level", 2)
    fields.setdefault("customer", Customer(name="张伟", phone="+86 138 0013 8000"))
    case, created = await services.cases.open(operator(services), **fields)
    assert created
    return case


async def events(services, ref):
    return (await services.cases.detail(ref)).events


def committed(services, ref) -> tuple[int, str]:
    """(version, status) as another connection sees them: only what has been committed."""
    with sqlite3.connect(services.store.path) as conn:
        return conn.execute("SELECT version, status FROM cases WHERE ref = ?", (ref,)).fetchone()


# --- opening --------------------------------------------------------------------------------------


async def test_open_writes_the_case_its_event_and_its_due_times(world):
    services, _clock, changes = world
    case = await new_case(services, title="包裹丢失", description="no tracking for 5 days")
    assert case.ref == "C-000001"
    assert (case.status, case.tier, case.version) == ("new", "operator", 1)
    # L2: first response within 4 business hours (10-12, 13-15), resolution within 3 business days
    assert case.first_response_due_at == shanghai(23, 15)
    assert case.resolution_due_at == shanghai(26, 10)
    assert case.due_at == case.first_response_due_at
    [opened] = await events(services, case.ref)
    assert (opened.type, opened.actor, opened.data["kind"], opened.data["level"]) == ("opened", "li.na", "lost", 2)
    assert [(c.what, c.ref) for c in changes] == [("case_opened", "C-000001")]


async def test_open_refuses_bad_input_and_stores_nothing(world):
    services, _clock, changes = world
    with pytest.raises(ValidationError) as caught:
        await services.cases.open(operator(services), kind="stolen")
    assert caught.value.field == "kind"
    with pytest.raises(ValidationError):
        await services.cases.open(operator(services), kind="lost", level=4)
    with pytest.raises(NotFoundError):
        await services.cases.open(operator(services), kind="lost", order_id=404)
    assert await services.cases.count() == 0
    assert changes == []


async def test_a_dedupe_key_seen_before_returns_the_earlier_case(world):
    services, _clock, _changes = world
    first, created = await services.cases.open(operator(services), kind="payment_timeout", dedupe_key="k1")
    again, created_again = await services.cases.open(operator(services), kind="payment_timeout", dedupe_key="k1")
    assert created and not created_again
    assert again.ref == first.ref
    assert await services.cases.count() == 1


# --- each write and its event ------------------------------------------------------------------------


async def test_triage_acknowledges_grades_and_recomputes_the_due_time(world):
    services, clock, _changes = world
    case = await new_case(services, level=1)
    clock.advance(minutes=5)
    triaged = await services.cases.triage(operator(services), case.ref, level=3, urgent=True)
    assert (triaged.status, triaged.level, triaged.urgent, triaged.version) == ("open", 3, True, 2)
    assert triaged.first_response_due_at == shanghai(23, 11)  # L3: 1 hour from opening
    event = (await events(services, case.ref))[-1]
    assert event.type == "triaged"
    assert event.data["level"] == {"from": 1, "to": 3}
    assert event.data["status"] == {"from": "new", "to": "open"}


async def test_assign_take_note_urgent_responsibility(world):
    services, _clock, _changes = world
    case = await new_case(services)
    await services.cases.assign(supervisor(services), case.ref, "lin.feng")
    taken = await services.cases.take(operator(services), case.ref)
    assert taken.assignee == "li.na"
    noted = await services.cases.add_note(operator(services), case.ref, "checked the warehouse log")
    urgent = await services.cases.set_urgent(operator(services), case.ref, True)
    assert urgent.urgent
    responsible = await services.cases.set_responsibility(
        supervisor(services), case.ref, party="carrier", department="logistics",
        joint_department="warehouse", root_cause="hub delay",
    )
    assert (responsible.responsible_party, responsible.responsible_department,
            responsible.joint_department, responsible.root_cause) == ("carrier", "logistics", "warehouse", "hub delay")
    timeline = await events(services, case.ref)
    assert [e.type for e in timeline] == [
        "opened", "assigned", "assigned", "note", "urgent_set", "responsibility",
    ]
    assert timeline[2].data == {"from": "lin.feng", "to": "li.na"}
    assert timeline[3].data == {"text": "checked the warehouse log"}
    assert noted.version == 4 and responsible.version == 6


async def test_bad_responsibility_is_refused(world):
    services, _clock, _changes = world
    case = await new_case(services)
    with pytest.raises(ValidationError, match="must differ"):
        await services.cases.set_responsibility(
            operator(services), case.ref, party="carrier", department="logistics",
            joint_department="logistics",
        )
    with pytest.raises(ValidationError) as caught:
        await services.cases.set_responsibility(operator(services), case.ref, party="aliens")
    assert caught.value.field == "party"
    assert (await services.cases.get(case.ref)).version == 1


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s, ref: s.cases.escalate(operator(s), ref, "   "), "reason"),
        (lambda s, ref: s.cases.add_note(operator(s), ref, ""), "text"),
        (lambda s, ref: s.cases.log_contact(operator(s), ref, channel="phone", summary=" "), "summary"),
        (lambda s, ref: s.cases.log_contact(operator(s), ref, channel="pigeon", summary="hi"), "channel"),
        (lambda s, ref: s.cases.void(operator(s), ref, ""), "reason"),
        (lambda s, ref: s.cases.wait(operator(s), ref, on="the moon"), "on"),
    ],
)
async def test_missing_or_bad_input_is_refused_naming_the_field_and_nothing_changes(world, call, field):
    services, _clock, changes = world
    case = await new_case(services)
    await services.cases.triage(operator(services), case.ref)
    before = await services.cases.detail(case.ref)
    changes.clear()
    with pytest.raises(ValidationError) as caught:
        await call(services, case.ref)
    assert caught.value.field == field
    after = await services.cases.detail(case.ref)
    assert after == before
    assert changes == []


async def test_an_unknown_ref_is_not_found(world):
    services, _clock, _changes = world
    with pytest.raises(NotFoundError, match="no case C-000404"):
        await services.cases.add_note(operator(services), "C-000404", "hello")


# --- optimistic versions -------------------------------------------------------------------------------


async def test_a_stale_edit_is_refused_with_who_and_when_and_nothing_is_lost(world):
    services, clock, changes = world
    case = await new_case(services)
    seen_version = case.version
    clock.now = shanghai(23, 10, 5)
    await services.cases.add_note(supervisor(services), case.ref, "the supervisor got there first")
    before = await services.cases.detail(case.ref)
    changes.clear()
    clock.advance(minutes=1)
    with pytest.raises(ConflictError) as caught:
        await services.cases.escalate(
            operator(services), case.ref, "needs a decision", expected_version=seen_version
        )
    assert caught.value.detail == (
        "C-000001 was changed by zhou.min at 2026-11-23 10:05; reload it and try again"
    )
    after = await services.cases.detail(case.ref)
    assert after == before  # the supervisor's note is kept, the stale escalation wrote nothing
    assert after.case.status == "new"
    assert changes == []
    # with the current version the same edit goes through
    done = await services.cases.escalate(
        operator(services), case.ref, "needs a decision", expected_version=after.case.version
    )
    assert done.status == "escalated"


# --- contacts and first response -------------------------------------------------------------------------


async def test_the_first_outbound_contact_is_the_first_response(world):
    services, clock, _changes = world
    case = await new_case(services)
    clock.advance(minutes=20)
    inbound = await services.cases.log_contact(
        operator(services), case.ref, channel="phone", direction="inbound", summary="customer called"
    )
    assert inbound.first_response_at is None
    clock.advance(minutes=30)
    answered_at = clock.now
    first = await services.cases.log_contact(
        operator(services), case.ref, channel="sms", summary="apologised", template="apology",
        next_follow_up_at=clock.now + timedelta(days=1),
    )
    assert first.first_response_at == answered_at
    assert first.due_at == first.resolution_due_at  # the resolution clock now runs
    clock.advance(minutes=30)
    second = await services.cases.log_contact(operator(services), case.ref, channel="email", summary="update")
    assert second.first_response_at == answered_at
    detail = await services.cases.detail(case.ref)
    assert [(c.direction, c.channel) for c in detail.contacts] == [
        ("inbound", "phone"), ("outbound", "sms"), ("outbound", "email")]
    assert detail.contacts[1].template == "apology"
    contact_events = [e for e in detail.events if e.type == "contact"]
    assert [e.data["first_response"] for e in contact_events] == [False, True, False]
    first_clock, _resolution_clock = await services.cases.clocks(detail.case)
    assert first_clock.stopped and not first_clock.breached


async def test_a_follow_up_in_the_past_is_refused(world):
    services, clock, _changes = world
    case = await new_case(services)
    with pytest.raises(ValidationError) as caught:
        await services.cases.log_contact(
            operator(services), case.ref, channel="phone", summary="x",
            next_follow_up_at=clock.now - timedelta(hours=1),
        )
    assert caught.value.field == "next_follow_up_at"


# --- waiting pauses the SLA --------------------------------------------------------------------------------


async def test_waiting_pauses_the_clock_and_pushes_the_due_time_by_the_paused_business_time(world):
    services, clock, _changes = world
    case = await new_case(services)  # L2, opened Monday 10:00
    await services.cases.triage(operator(services), case.ref)
    assert case.first_response_due_at == shanghai(23, 15)
    old_resolution_due = case.resolution_due_at

    clock.now = shanghai(23, 11)
    waiting = await services.cases.wait(operator(services), case.ref, on="customer", note="photos?")
    assert waiting.status == "waiting"
    assert waiting.due_at is None  # paused: no running due time, never overdue
    clock.now = shanghai(24, 9)  # the old first-response due time has passed while waiting
    assert await services.cases.count(CaseFilter(overdue=True)) == 0
    first_clock, _ = await services.cases.clocks(waiting)
    assert first_clock.paused and not first_clock.breached

    clock.now = shanghai(24, 10)  # paused Mon 11-12, 13-18 and Tue 9-10: 7 business hours
    resumed = await services.cases.resume(operator(services), case.ref, note="photos arrived")
    assert resumed.status == "open"
    assert resumed.first_response_due_at == shanghai(24, 14)  # 15:00 Mon + 7 business hours
    assert resumed.due_at == resumed.first_response_due_at
    calendar = services.policy.calendar
    assert sla.business_time_between(calendar, old_resolution_due, resumed.resolution_due_at) == timedelta(hours=7)
    timeline = [e.type for e in await events(services, case.ref)]
    assert timeline[-2:] == ["wait", "resume"]


# --- escalation and roles ----------------------------------------------------------------------------------


async def test_escalation_raises_the_tier_and_a_decision_needs_that_tier(world):
    services, _clock, _changes = world
    case = await new_case(services)
    escalated = await services.cases.escalate(operator(services), case.ref, "customer wants a refund")
    assert (escalated.status, escalated.tier) == ("escalated", "supervisor")
    event = (await events(services, case.ref))[-1]
    assert (event.type, event.data["reason"], event.data["tier"]) == ("escalated", "customer wants a refund", "supervisor")
    with pytest.raises(PermissionDenied, match="needs the role supervisor"):
        await services.cases.return_to_operator(operator(services), case.ref, "go ahead")
    higher = await services.cases.escalate(supervisor(services), case.ref, "above my limit")
    assert higher.tier == "owner"
    with pytest.raises(PermissionDenied, match="needs the role owner"):
        await services.cases.return_to_operator(supervisor(services), case.ref, "go ahead")
    with pytest.raises(ValidationError, match="escalated to the owner, the top tier") as top:
        await services.cases.escalate(owner(services), case.ref, "nobody above")
    assert "final" not in top.value.detail  # it is not: the owner decides it
    decided = await services.cases.return_to_operator(owner(services), case.ref, "refund it")
    assert decided.status == "open"
    assert (await events(services, case.ref))[-1].type == "decided"


async def test_resolving_or_voiding_an_escalated_case_is_its_tiers_decision(world):
    services, _clock, _changes = world
    case = await new_case(services)
    await services.cases.escalate(operator(services), case.ref, "customer wants a refund")
    for move in (
        lambda actor: services.cases.resolve(actor, case.ref, "refunded"),
        lambda actor: services.cases.void(actor, case.ref, "duplicate"),
    ):
        with pytest.raises(PermissionDenied, match="escalated case needs the role supervisor or "
                                                   "above; your role is operator") as caught:
            await move(operator(services))
        assert caught.value.field == "role"
    untouched = await services.cases.get(case.ref)
    assert (untouched.status, untouched.version) == ("escalated", 2)

    await services.cases.escalate(supervisor(services), case.ref, "above my limit")
    with pytest.raises(PermissionDenied, match="resolving an escalated case needs the role owner"):
        await services.cases.resolve(supervisor(services), case.ref, "refunded")
    resolved = await services.cases.resolve(owner(services), case.ref, "refunded")
    assert resolved.status == "resolved"

    other = await new_case(services)
    await services.cases.escalate(operator(services), other.ref, "is this a duplicate?")
    voided = await services.cases.void(supervisor(services), other.ref, "duplicate")
    assert voided.status == "void"
    # Not escalated: an operator resolves and voids as before.
    plain = await new_case(services)
    await services.cases.triage(operator(services), plain.ref)
    assert (await services.cases.resolve(operator(services), plain.ref, "done")).status == "resolved"


# --- remedies ------------------------------------------------------------------------------------------------


async def test_remedies_within_and_above_the_limits(world):
    services, _clock, _changes = world
    case = await new_case(services)
    await services.cases.triage(operator(services), case.ref)
    small = await services.cases.propose_remedy(operator(services), case.ref, type="coupon", amount_minor=5_000)
    assert small.status == "approved" and small.decided_by == "li.na"  # within 200.00: at once
    large = await services.cases.propose_remedy(operator(services), case.ref, type="refund_full", amount_minor=50_000)
    assert large.status == "proposed"
    assert [r.id for r in await services.cases.pending_remedies()] == [large.id]

    with pytest.raises(PermissionDenied, match="needs the role supervisor"):
        await services.cases.approve_remedy(operator(services), large.id)
    huge = await services.cases.propose_remedy(operator(services), case.ref, type="cashback", amount_minor=300_000)
    with pytest.raises(PermissionDenied, match="needs the owner"):
        await services.cases.approve_remedy(supervisor(services), huge.id)
    approved = await services.cases.approve_remedy(supervisor(services), large.id, note="ok")
    assert (approved.status, approved.decided_by) == ("approved", "zhou.min")
    rejected = await services.cases.reject_remedy(owner(services), huge.id, "too much")
    assert rejected.status == "rejected"
    with pytest.raises(ValidationError, match="cannot complete a remedy that is rejected"):
        await services.cases.complete_remedy(operator(services), huge.id)
    done = await services.cases.complete_remedy(operator(services), large.id)
    assert done.status == "done" and done.done_at is not None
    types = [e.type for e in await events(services, case.ref)]
    assert types.count("remedy_proposed") == 3
    assert {"remedy_approved", "remedy_rejected", "remedy_done"} <= set(types)


@pytest.mark.parametrize(
    ("remedy", "amount", "field"),
    [("refund_full", 0, "amount_minor"), ("coupon", -5, "amount_minor"), ("teleport", 0, "type")],
)
async def test_bad_remedies_are_refused(world, remedy, amount, field):
    services, _clock, _changes = world
    case = await new_case(services)
    with pytest.raises(ValidationError) as caught:
        await services.cases.propose_remedy(operator(services), case.ref, type=remedy, amount_minor=amount)
    assert caught.value.field == field
    assert (await services.cases.detail(case.ref)).remedies == []


async def case_with_order(services, *, total: int, paid: int, currency: str = "CAD"):
    order_id = await services.orders.upsert(Order(
        source="shop", external_id="10036", number="10036", total_minor=total, paid_minor=paid,
        currency=currency,
    ))
    case = await new_case(services, order_id=order_id)
    await services.cases.triage(operator(services), case.ref)
    return case


async def test_a_refund_above_what_was_paid_on_the_order_is_refused(world):
    services, _clock, _changes = world
    services.settings.currency = "CAD"  # a shop selling in CAD: its approval limits are in CAD
    case = await case_with_order(services, total=20_880, paid=20_880)
    for remedy in ("refund_partial", "refund_full", "cashback"):
        with pytest.raises(ValidationError) as caught:
            await services.cases.propose_remedy(
                owner(services), case.ref, type=remedy, amount_minor=50_000, currency="CAD")
        assert caught.value.field == "amount"
        assert str(caught.value) == (
            "the amount 500.00 CAD is more than the 208.80 CAD paid on order #10036")
    assert (await services.cases.detail(case.ref)).remedies == []
    # A coupon is not money paid back: no cap. The whole payment may be refunded, once.
    await services.cases.propose_remedy(owner(services), case.ref, type="coupon", amount_minor=50_000)
    first = await services.cases.propose_remedy(
        operator(services), case.ref, type="refund_partial", amount_minor=15_000)
    assert (first.currency, first.status) == ("CAD", "approved")  # the order's currency by default
    with pytest.raises(ValidationError, match="more than the 58.80 CAD left to refund of the "
                       "208.80 CAD paid on order #10036; 150.00 CAD is already refunded"):
        await services.cases.propose_remedy(
            operator(services), case.ref, type="refund_partial", amount_minor=6_000)
    # Another case on the same order shares the same payment.
    second = await new_case(services, order_id=case.order_id)
    await services.cases.triage(operator(services), second.ref)
    with pytest.raises(ValidationError, match="more than the 58.80 CAD left"):
        await services.cases.propose_remedy(
            operator(services), second.ref, type="refund_full", amount_minor=20_880)
    rest = await services.cases.propose_remedy(
        operator(services), case.ref, type="refund_partial", amount_minor=5_880)
    assert rest.status == "approved"
    # A rejected refund gives its amount back.
    await services.cases.reject_remedy(supervisor(services), first.id, "wrong amount")
    again = await services.cases.propose_remedy(
        operator(services), case.ref, type="cashback", amount_minor=15_000)
    assert again.status == "approved"


async def test_a_refund_is_in_the_orders_currency(world):
    services, _clock, _changes = world
    case = await case_with_order(services, total=20_880, paid=20_880)
    with pytest.raises(ValidationError) as caught:
        await services.cases.propose_remedy(
            operator(services), case.ref, type="refund_partial", amount_minor=1_000, currency="CNY")
    assert caught.value.field == "currency"
    assert "the order's currency CAD, not CNY" in str(caught.value)
    assert (await services.cases.detail(case.ref)).remedies == []


async def test_an_unpaid_order_caps_refunds_at_its_total_and_an_unknown_one_does_not(world):
    services, _clock, _changes = world
    case = await case_with_order(services, total=10_000, paid=0)
    with pytest.raises(ValidationError, match="more than the 100.00 CAD total of order #10036 "
                                              "\\(no payment recorded\\)"):
        await services.cases.propose_remedy(
            owner(services), case.ref, type="refund_full", amount_minor=10_001)
    # An order known only by its id (no amounts): nothing to check against.
    # Shops that number their orders "#1001" are named once with their "#".
    hashed = await services.orders.upsert(Order(
        source="shop", external_id="77", number="#1077", total_minor=100, currency="CAD"))
    numbered = await new_case(services, order_id=hashed)
    await services.cases.triage(operator(services), numbered.ref)
    with pytest.raises(ValidationError, match="more than the 1.00 CAD total of order #1077 "):
        await services.cases.propose_remedy(
            owner(services), numbered.ref, type="refund_full", amount_minor=101)
    order_id = await services.orders.upsert(Order(source="shop", external_id="1"))
    bare = await new_case(services, order_id=order_id)
    await services.cases.triage(operator(services), bare.ref)
    remedy = await services.cases.propose_remedy(
        owner(services), bare.ref, type="refund_partial", amount_minor=10_001, currency="EUR")
    assert remedy.amount_minor == 10_001


async def test_approval_checks_the_refund_cap_again(world):
    services, _clock, _changes = world
    services.settings.currency = "CAD"
    case = await case_with_order(services, total=60_000, paid=60_000)
    large = await services.cases.propose_remedy(
        operator(services), case.ref, type="refund_partial", amount_minor=50_000)
    assert large.status == "proposed"
    # The shop reports a partial payment: only 300.00 was paid after all.
    order = await services.orders.find("shop", "10036")
    await services.orders.upsert(msgspec.structs.replace(order, paid_minor=30_000))
    with pytest.raises(ValidationError, match="more than the 300.00 CAD paid") as caught:
        await services.cases.approve_remedy(supervisor(services), large.id)
    assert caught.value.field == "amount"
    assert (await services.cases.detail(case.ref)).remedies[0].status == "proposed"


async def test_resolve_is_refused_while_a_remedy_is_pending(world):
    services, _clock, _changes = world
    case = await new_case(services)
    await services.cases.triage(operator(services), case.ref)
    remedy = await services.cases.propose_remedy(operator(services), case.ref, type="reship")
    assert remedy.status == "approved"  # no money: within every limit, but not done yet
    with pytest.raises(ValidationError, match=f"remedy #{remedy.id} \\(reship\\) is approved"):
        await services.cases.resolve(operator(services), case.ref, "reshipped")
    with pytest.raises(ValidationError) as caught:
        await services.cases.resolve(operator(services), case.ref, "  ")
    assert caught.value.field == "summary"
    assert (await services.cases.get(case.ref)).status == "open"
    await services.cases.complete_remedy(operator(services), remedy.id)
    resolved = await services.cases.resolve(operator(services), case.ref, "reshipped")
    assert resolved.status == "resolved" and resolved.resolution == "reshipped"
    assert resolved.resolved_at is not None and resolved.due_at is None


# --- resolution, survey, close, reopen, void --------------------------------------------------------------------


async def test_a_survey_once_after_resolution_closes_the_case(world):
    services, clock, _changes = world
    case = await new_case(services)
    with pytest.raises(ValidationError, match="after resolution"):
        await services.cases.record_survey(operator(services), case.ref, 5)
    await services.cases.triage(operator(services), case.ref)
    await services.cases.resolve(operator(services), case.ref, "found the parcel")
    for score in (0, 6):
        with pytest.raises(ValidationError) as caught:
            await services.cases.record_survey(operator(services), case.ref, score)
        assert caught.value.field == "score"
    clock.advance(hours=3)
    closed = await services.cases.record_survey(operator(services), case.ref, 4, "quick, thanks")
    assert closed.status == "closed" and closed.closed_at == clock.now
    with pytest.raises(ConflictError, match="already has its survey"):
        await services.cases.record_survey(operator(services), case.ref, 1, "changed my mind")
    detail = await services.cases.detail(case.ref)
    assert (detail.survey.score, detail.survey.comment) == (4, "quick, thanks")
    assert [e.type for e in detail.events].count("survey") == 1


async def test_reopen_and_void(world):
    services, _clock, _changes = world
    case = await new_case(services)
    await services.cases.triage(operator(services), case.ref)
    await services.cases.resolve(operator(services), case.ref, "done")
    await services.cases.close(operator(services), case.ref)
    with pytest.raises(ValidationError):
        await services.cases.reopen(operator(services), case.ref, "")
    reopened = await services.cases.reopen(operator(services), case.ref, "not fixed after all")
    assert (reopened.status, reopened.resolved_at, reopened.closed_at) == ("open", None, None)
    assert reopened.due_at is not None

    other = await new_case(services, kind="duplicate_order")
    voided = await services.cases.void(operator(services), other.ref, "duplicate of C-000001")
    assert voided.status == "void" and voided.due_at is None
    with pytest.raises(TransitionError, match="cannot reopen a case that is void"):
        await services.cases.reopen(operator(services), other.ref, "oops")
    with pytest.raises(TransitionError):
        await services.cases.log_contact(operator(services), other.ref, channel="sms", summary="hi")
    with pytest.raises(TransitionError):
        await services.cases.propose_remedy(operator(services), other.ref, type="reship")


async def test_a_refused_move_names_the_allowed_ones(world):
    services, _clock, _changes = world
    case = await new_case(services)
    with pytest.raises(TransitionError) as caught:
        await services.cases.close(operator(services), case.ref)
    assert caught.value.detail == (
        "cannot close a case that is new; allowed from new: acknowledge, escalate, void"
    )
    assert (await services.cases.get(case.ref)).version == 1


# --- the sweep ------------------------------------------------------------------------------------------------------


async def test_sweep_escalates_a_breached_case_once_and_closes_stale_resolved_cases(world):
    services, clock, _changes = world
    breached = await new_case(services, level=3)  # first response due 11:00
    fine = await new_case(services, level=1)
    stale = await new_case(services, kind="damaged")
    await services.cases.triage(operator(services), stale.ref)
    await services.cases.resolve(operator(services), stale.ref, "replaced")

    clock.now = shanghai(23, 11, 30)
    assert await services.cases.sweep() == {"escalated": 1, "closed": 0}
    case = await services.cases.get(breached.ref)
    assert (case.status, case.tier) == ("escalated", "supervisor")
    event = (await events(services, breached.ref))[-1]
    assert (event.type, event.actor, event.data["reason"]) == ("escalated", "shopdesk", "SLA breached")
    assert (await services.cases.get(fine.ref)).status == "new"

    clock.advance(hours=2)
    assert await services.cases.sweep() == {"escalated": 0, "closed": 0}  # once only
    assert [e.type for e in await events(services, breached.ref)].count("escalated") == 1

    clock.advance(days=services.settings.close_after_days)
    result = await services.cases.sweep()
    assert result["closed"] == 1
    assert (await services.cases.get(stale.ref)).status == "closed"


# --- change notifications ---------------------------------------------------------------------------------------------


async def test_changes_are_published_after_the_commit(world):
    services, _clock, changes = world
    case = await new_case(services)
    seen_by_another_connection = []

    def listener(change):
        seen_by_another_connection.append((change.what, committed(services, change.ref)))

    services.changes.subscribe(listener)
    await services.cases.triage(operator(services), case.ref, level=3)
    await services.cases.add_note(operator(services), case.ref, "hello")
    assert seen_by_another_connection == [("case_changed", (2, "open")), ("case_changed", (3, "open"))]
    assert [(c.what, c.ref, c.actor) for c in changes[-2:]] == [
        ("case_changed", case.ref, "li.na"), ("case_changed", case.ref, "li.na")
    ]


async def test_a_broken_listener_does_not_undo_the_write(world):
    services, _clock, _changes = world
    case = await new_case(services)

    def broken(change):
        raise RuntimeError("listener bug")

    unsubscribe = services.changes.subscribe(broken)
    noted = await services.cases.add_note(operator(services), case.ref, "still saved")
    assert noted.version == 2
    unsubscribe()
    assert committed(services, case.ref) == (2, "new")


async def test_a_change_carries_the_new_level_and_urgency(world):
    """The TUI rings the bell for urgent and L3 cases: the change must say what the case is now."""
    services, _clock, changes = world
    case = await new_case(services, level=1)
    changes.clear()
    await services.cases.triage(operator(services), case.ref, level=3)
    await services.cases.set_urgent(operator(services), case.ref, True)
    assert [(c.what, c.level, c.urgent) for c in changes] == [
        ("case_changed", 3, False), ("case_changed", 3, True)]


@pytest.mark.parametrize("chunk", [4, 1000])
async def test_a_typed_filter_on_an_active_view_lists_what_the_plain_query_lists(
    world, monkeypatch, chunk
):
    """The walking page (ids in queue order, text tested a chunk at a time) gives exactly the
    cases and order of the one-query page, at every offset."""
    from shopdesk.store import cases as case_rows

    monkeypatch.setattr(case_rows, "_WALK_CHUNK", chunk)
    services, clock, _changes = world
    names = ["Wang Fang", "Zhao Min", "王芳", "Wang Lei", "Li Na"]
    for index in range(37):
        case = await new_case(services, level=1 + index % 3, urgent=index % 5 == 0,
                              customer=Customer(name=names[index % 5],
                                                phone=f"+86 139 {index:04d} 0000"))
        if index % 4 == 0:
            await services.cases.triage(operator(services), case.ref)
    clock.now = clock.now + timedelta(days=3)  # some are overdue now
    active = ["new", "open", "waiting", "escalated"]
    store = services.store
    for text in ("wang", "王", "139 0001", "nobody", "C-00001"):
        case_filter = CaseFilter(statuses=active, q=text)
        assert case_rows.walks(case_filter)
        for offset, limit in ((0, 5), (3, 7), (0, 100), (30, 10)):
            walked = await services.cases.list(case_filter, limit=limit, offset=offset)
            plain = await case_rows.list_cases(store.reader, case_filter, services.now(),
                                               limit=limit, offset=offset)
            assert [c.ref for c in walked] == [c.ref for c in plain], (text, offset)
