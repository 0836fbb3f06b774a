"""Which case events become which outbound events, what they say, and sla.breach_soon once per
case and due time."""

from __future__ import annotations

from outbound_helpers import open_case


async def events_queued(services) -> list[str]:
    return [m.event for m in reversed(await services.outbound.list(limit=1000))]


async def payload_of(services, event: str) -> dict:
    message = next(m for m in await services.outbound.list(limit=1000) if m.event == event)
    return (await services.outbound.get(message.id)).payload


async def test_the_case_workflow_queues_its_events(services):
    await services.outbound.add_hook(services.actor("li.na"), "plugin", "http://127.0.0.1:9/h",
                                     events="case.opened,case.escalated,case.resolved,case.closed")
    operator, boss = services.actor("li.na"), services.actor("zhou.min")
    case = await open_case(services, level=2)
    await services.cases.triage(operator, case.ref)
    await services.cases.escalate(operator, case.ref, "customer threatens a bad review")
    await services.cases.return_to_operator(boss, case.ref, "refund half")
    await services.cases.resolve(operator, case.ref, "refunded half")
    await services.cases.close(operator, case.ref)
    assert await events_queued(services) == ["case.opened", "case.escalated", "case.resolved",
                                             "case.closed"]
    escalated = await payload_of(services, "case.escalated")
    assert escalated["case"]["status"] == "escalated" and escalated["case"]["tier"] == "supervisor"
    assert "customer threatens a bad review" in escalated["summary"]
    ids = {(await services.outbound.get(m.id)).payload["id"]
           for m in await services.outbound.list()}
    assert len(ids) == 4  # one id per event


async def test_remedies_queue_awaiting_approval_approved_and_done(services):
    await services.outbound.add_hook(services.actor("li.na"), "plugin", "http://127.0.0.1:9/h",
                                     events="remedy.awaiting_approval,remedy.approved,remedy.done")
    operator, boss = services.actor("li.na"), services.actor("lin.feng")
    case = await open_case(services)
    small = await services.cases.propose_remedy(operator, case.ref, type="coupon",
                                                amount_minor=1000)
    big = await services.cases.propose_remedy(operator, case.ref, type="cashback",
                                              amount_minor=90_000)  # above li.na's limit
    await services.cases.approve_remedy(boss, big.id)
    await services.cases.complete_remedy(operator, small.id)
    assert await events_queued(services) == ["remedy.approved", "remedy.awaiting_approval",
                                             "remedy.approved", "remedy.done"]
    approved = await payload_of(services, "remedy.approved")  # the newest: the big one
    assert approved["remedy"]["id"] == big.id and approved["remedy"]["amount_minor"] == 90_000
    assert approved["case"]["order"]["external_id"] == "1001"  # what a plugin refunds against
    assert "900.00" in approved["summary"]


async def test_an_incident_declared_reaches_the_hooks_that_take_it(services):
    await services.outbound.add_hook(services.actor("li.na"), "chat", "http://127.0.0.1:9/h",
                                     format="feishu", events="incident.declared", only="L3")
    incident = await services.incidents.declare(services.actor("zhou.min"), title="Warehouse flood",
                                                type="weather", level=2)
    assert await events_queued(services) == ["incident.declared"]  # `only` is about cases
    payload = await payload_of(services, "incident.declared")
    assert payload["incident"]["ref"] == incident.ref and "Warehouse flood" in payload["summary"]


async def test_breach_soon_is_queued_once_per_case_and_due_time(services):
    await services.outbound.add_hook(services.actor("li.na"), "ops", "http://127.0.0.1:9/h",
                                     format="wecom", events="sla.breach_soon")
    case = await open_case(services, level=3)  # L3: first response due within the hour
    assert await services.outbound.breach_soon() == 0  # due in an hour: not yet
    services.clock.advance(minutes=40)
    assert await services.outbound.breach_soon() == 1
    assert await services.outbound.breach_soon() == 0  # once per case and due time
    payload = await payload_of(services, "sla.breach_soon")
    assert payload["case"]["ref"] == case.ref and 0 < payload["data"]["minutes_left"] <= 30
    services.clock.advance(minutes=30)  # overdue now: not "soon" any more
    assert await services.outbound.breach_soon() == 0


async def test_hooks_without_breach_soon_make_the_check_free(services):
    await services.outbound.add_hook(services.actor("li.na"), "p", "http://127.0.0.1:9/h",
                                     events="case.opened")
    await open_case(services, level=3)
    services.clock.advance(minutes=40)
    assert await services.outbound.breach_soon() == 0
