"""/api/v1/incidents: declare, team, preview and link, bulk actions with refused cases, stable,
close, review as Markdown and CSV; refusals name the field, the role or the moves allowed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from operator_seats import seat_from_settings
from api_helpers import BASE_URL
from litestar.testing import AsyncTestClient

from shopdesk.api.app import create_app
from shopdesk.config import Operator, Settings
from shopdesk.domain.cases import Customer, Order
from shopdesk.services import Services
from shopdesk.store import open_store


@pytest.fixture
async def services(tmp_path: Path):
    settings = Settings(operators=[Operator(name="sue", role="supervisor"),
                                   Operator(name="ann", role="operator")])
    async with open_store(tmp_path / "shop.db") as store:
        services = Services(store, settings)
        await seat_from_settings(services)  # roles live in the store
        for number, carrier in (("1", "ZTO"), ("2", "ZTO"), ("3", "SF")):
            await services.cases.open(services.actor("ann"), kind="lost", order=Order(
                source="demo", external_id=number, number=number, carrier=carrier,
                address="上海市", customer=Customer(name=f"b{number}"),
                shipped_at=datetime(2026, 11, 20, 4, tzinfo=UTC)))
        yield services


@pytest.fixture
async def client(services: Services):
    async with AsyncTestClient(create_app(services), base_url=BASE_URL) as client:
        yield client


async def _auth(services: Services, operator: str) -> dict[str, str]:
    _, token = await services.tokens.create(operator, operator=operator)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def auth(services):
    return await _auth(services, "ann")


@pytest.fixture
async def sup(services):
    return await _auth(services, "sue")


def field(response) -> str:
    return (response.json()["field"] or "").removeprefix("$.")


async def declared(client, auth) -> str:
    response = await client.post("/api/v1/incidents", headers=auth, json={
        "type": "carrier_outage", "level": 2, "title": "ZTO hub down"})
    assert response.status_code == 201, response.text
    return response.json()["ref"]


async def test_routes_are_in_the_openapi_document(client):
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for path in ("/api/v1/incidents", "/api/v1/incidents/{ref}", "/api/v1/incidents/{ref}/team",
                 "/api/v1/incidents/{ref}/link", "/api/v1/incidents/{ref}/preview",
                 "/api/v1/incidents/{ref}/unlink", "/api/v1/incidents/{ref}/bulk/{action}",
                 "/api/v1/incidents/{ref}/stable", "/api/v1/incidents/{ref}/close",
                 "/api/v1/incidents/{ref}/review.md", "/api/v1/incidents/{ref}/review.csv"):
        assert path in paths, path
    assert {"400", "403", "404", "409"} <= set(paths["/api/v1/incidents/{ref}/close"]["post"][
        "responses"])


async def test_declare_and_its_refusals(client, auth):
    ref = await declared(client, auth)
    assert ref == "I-0001"
    bad = await client.post("/api/v1/incidents", headers=auth, json={
        "type": "meteor", "level": 2, "title": "x"})
    assert bad.status_code == 400 and field(bad) == "type"
    bad = await client.post("/api/v1/incidents", headers=auth, json={
        "type": "weather", "level": 5, "title": "x"})
    assert bad.status_code == 400 and field(bad) == "level"
    listing = (await client.get("/api/v1/incidents", headers=auth)).json()
    assert [(row["incident"]["ref"], row["cases"]) for row in listing] == [("I-0001", 0)]
    assert (await client.get("/api/v1/incidents/I-0009", headers=auth)).status_code == 404


async def test_team_preview_link_unlink(client, auth):
    ref = await declared(client, auth)
    team = await client.post(f"/api/v1/incidents/{ref}/team", headers=auth,
                             json={"operator": "li", "role": "comms", "phone": "13800001111"})
    assert team.status_code == 200 and team.json()[0]["operator"] == "li"
    bad = await client.post(f"/api/v1/incidents/{ref}/team", headers=auth,
                            json={"operator": "bo", "role": "x", "phone": "call me"})
    assert bad.status_code == 400 and field(bad) == "phone"
    preview = await client.post(f"/api/v1/incidents/{ref}/preview", headers=auth,
                                json={"carrier": "ZTO"})
    assert preview.json() == {"matched": 2}
    linked = await client.post(f"/api/v1/incidents/{ref}/link", headers=auth,
                               json={"filter": {"carrier": "ZTO", "shipped_from": "2026-11-20"}})
    assert linked.status_code == 200 and linked.json()["linked"] == 2
    nothing = await client.post(f"/api/v1/incidents/{ref}/link", headers=auth,
                                json={"filter": {"carrier": "DHL"}})
    assert nothing.status_code == 400 and field(nothing) == "filter"
    bad_date = await client.post(f"/api/v1/incidents/{ref}/link", headers=auth,
                                 json={"filter": {"shipped_from": "soon"}})
    assert bad_date.status_code == 400 and field(bad_date) == "shipped_from"
    unknown = await client.post(f"/api/v1/incidents/{ref}/link", headers=auth,
                                json={"refs": ["C-000003", "C-000099"]})
    assert unknown.status_code == 404 and "C-000099" in unknown.json()["detail"]
    by_ref = await client.post(f"/api/v1/incidents/{ref}/link", headers=auth,
                               json={"refs": ["C-000003"]})
    assert by_ref.json()["linked"] == 1
    unlinked = await client.post(f"/api/v1/incidents/{ref}/unlink", headers=auth,
                                 json={"refs": ["C-000003"]})
    assert unlinked.json() == {"unlinked": 1}
    removed = await client.delete(f"/api/v1/incidents/{ref}/team/li", headers=auth)
    assert removed.status_code == 200 and removed.json() == []
    shown = (await client.get(f"/api/v1/incidents/{ref}", headers=auth)).json()
    assert shown["impact"]["cases"] == 2 and shown["incident"]["case_filter"]["carrier"] == "ZTO"


async def test_bulk_actions_report_refused_cases(client, services, auth):
    ref = await declared(client, auth)
    await client.post(f"/api/v1/incidents/{ref}/link", headers=auth,
                      json={"filter": {"carrier": "ZTO"}})
    await services.cases.triage(services.actor("ann"), "C-000001")
    note = await client.post(f"/api/v1/incidents/{ref}/bulk/note", headers=auth,
                             json={"text": "we are on it"})
    assert note.status_code == 200 and (note.json()["done"], note.json()["refused"]) == (2, [])
    resolved = await client.post(f"/api/v1/incidents/{ref}/bulk/resolve", headers=auth,
                                 json={"text": "delivered"})
    body = resolved.json()
    assert body["done"] == 1 and body["refused"][0]["ref"] == "C-000002"
    assert "allowed from new" in body["refused"][0]["detail"]
    contact = await client.post(f"/api/v1/incidents/{ref}/bulk/contact", headers=auth, json={})
    assert contact.json()["done"] == 2
    unknown = await client.post(f"/api/v1/incidents/{ref}/bulk/shout", headers=auth,
                                json={"text": "x"})
    assert unknown.status_code == 400 and field(unknown) == "action"
    empty = await client.post(f"/api/v1/incidents/{ref}/bulk/note", headers=auth, json={})
    assert empty.status_code == 400 and field(empty) == "text"


async def test_stable_close_review(client, auth, sup):
    ref = await declared(client, auth)
    early = await client.post(f"/api/v1/incidents/{ref}/close", headers=sup,
                              json={"cause": "flood"})
    assert early.status_code == 409 and "allowed from active: stable" in early.json()["detail"]
    denied = await client.post(f"/api/v1/incidents/{ref}/stable", headers=auth, json={})
    assert denied.status_code == 403 and "supervisor" in denied.json()["detail"]
    stable = await client.post(f"/api/v1/incidents/{ref}/stable", headers=sup, json={})
    assert stable.status_code == 200 and stable.json()["status"] == "stable"
    closed = await client.post(f"/api/v1/incidents/{ref}/close", headers=sup,
                               json={"cause": "flood", "lessons": "second carrier"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    again = await client.post(f"/api/v1/incidents/{ref}/bulk/note", headers=auth,
                              json={"text": "x"})
    assert again.status_code == 409
    markdown = await client.get(f"/api/v1/incidents/{ref}/review.md", headers=auth)
    assert markdown.status_code == 200 and markdown.text.startswith("# I-0001 ZTO hub down")
    assert markdown.headers["content-type"].startswith("text/markdown")
    csv_text = await client.get(f"/api/v1/incidents/{ref}/review.csv", headers=auth)
    assert csv_text.text.startswith("section,item,value\r\n")
