"""A case a webhook's exception report opens joins the active incident whose filter it matches,
with a note on its timeline (intake opens cases through the same service as `cases open`)."""

from __future__ import annotations

from api_helpers import encode, generic_event, generic_headers

from shopdesk.domain.filters import CaseFilter


async def test_a_reported_case_joins_the_active_incident_on_arrival(client, services):
    boss = services.actor("boss")
    incident = await services.incidents.declare(boss, title="Hangzhou floods", type="weather",
                                                level=2)
    other = await services.incidents.declare(boss, title="SF outage", type="carrier_outage",
                                             level=1)
    await services.cases.open(boss, kind="lost", title="placeholder")  # something to link
    await services.incidents.link_filter(boss, incident.id, CaseFilter(kinds=["lost"]))
    # the filter new cases join by: the order's address is in Hangzhou
    await services.incidents.link(boss, incident.id, CaseFilter(place="杭州"), follow=True)
    await services.incidents.link(boss, other.id, CaseFilter(carrier="SF Express"), follow=True)
    body = encode(generic_event(id="evt_flood", type="paid", report={
        "kind": "delivery_delayed", "level": 2, "title": "Parcel stuck by the flood"}))
    response = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert response.status_code == 200, response.text
    ref = response.json()["case"]
    detail = await services.cases.detail(ref)
    assert [linked.ref for linked in detail.incidents] == [incident.ref]
    event = detail.events[-1]
    assert event.type == "incident_linked" and "on arrival" in event.data["note"]
