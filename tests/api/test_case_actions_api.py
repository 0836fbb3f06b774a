"""Every case action of the TUI from the API: POST /api/v1/cases/{ref}/{action}, each with its
refusals (409 naming the allowed moves, 403 naming the role, 400 naming the field, 404)."""

from __future__ import annotations

from pathlib import Path

import pytest
from operator_seats import seat_from_settings
from api_helpers import BASE_URL
from litestar.testing import AsyncTestClient

from shopdesk.api.app import create_app
from shopdesk.config import Operator, Settings
from shopdesk.services import Services
from shopdesk.store import open_store


@pytest.fixture
async def services(tmp_path: Path):
    settings = Settings(operators=[Operator(name="sue", role="supervisor"),
                                   Operator(name="olga", role="owner"),
                                   Operator(name="ann", role="operator"),
                                   Operator(name="bo", role="operator")])
    async with open_store(tmp_path / "shop.db") as store:
        services = Services(store, settings)
        await seat_from_settings(services)  # roles live in the store
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


@pytest.fixture
async def ref(services) -> str:
    case, _ = await services.cases.open(services.actor("ann"), kind="lost", level=2)
    return case.ref


def field(response) -> str:
    """The field a refusal names, as the body's path or the service's name for it."""
    return (response.json()["field"] or "").removeprefix("$.")


async def _post(client, path, auth, body):
    return await client.post(path, headers=auth, json=body)


async def test_every_action_is_in_the_openapi_document_with_its_refusals(client):
    schema = (await client.get("/schema/openapi.json")).json()
    for action in ("assign", "contact", "remedies", "wait", "resume", "return", "reopen", "void",
                   "close", "survey", "responsibility", "urgent", "escalate", "resolve",
                   "triage", "notes"):
        operation = schema["paths"][f"/api/v1/cases/{{ref}}/{action}"]["post"]
        assert {"400", "401", "403", "404", "409"} <= set(operation["responses"]), action
    for decision in ("approve", "reject", "done"):
        operation = schema["paths"][f"/api/v1/cases/{{ref}}/remedies/{{remedy_id}}/{decision}"]
        assert {"403", "404", "409"} <= set(operation["post"]["responses"])


async def test_assign_and_unassign(client, auth, ref):
    response = await _post(client, f"/api/v1/cases/{ref}/assign", auth, {"assignee": "bo"})
    assert response.status_code == 200, response.text
    assert response.json()["assignee"] == "bo"
    response = await _post(client, f"/api/v1/cases/{ref}/assign", auth, {"assignee": None})
    assert response.json()["assignee"] is None


async def test_assign_unknown_case_is_404_and_missing_field_is_400(client, auth, ref):
    response = await _post(client, "/api/v1/cases/C-999999/assign", auth, {"assignee": "bo"})
    assert response.status_code == 404 and field(response) == "ref"
    response = await _post(client, f"/api/v1/cases/{ref}/assign", auth, {})
    assert response.status_code == 400 and "assignee" in response.json()["field"]


async def test_contact_with_a_template_is_the_first_response(client, services, auth, ref):
    response = await _post(client, f"/api/v1/cases/{ref}/contact", auth,
                           {"channel": "sms", "template": "delay_notice"})
    assert response.status_code == 200, response.text
    assert response.json()["first_response_at"] is not None
    detail = await services.cases.detail(ref)
    assert detail.contacts[0].template == "delay_notice"
    assert detail.contacts[0].summary.endswith("sent")


async def test_contact_refusals_name_the_field(client, auth, ref):
    response = await _post(client, f"/api/v1/cases/{ref}/contact", auth, {"channel": "fax",
                                                                          "summary": "x"})
    assert response.status_code == 400 and field(response) == "channel"
    response = await _post(client, f"/api/v1/cases/{ref}/contact", auth, {"channel": "sms"})
    assert response.status_code == 400 and field(response) == "summary"
    response = await _post(client, f"/api/v1/cases/{ref}/contact", auth, {
        "channel": "sms", "summary": "x", "next_follow_up_at": "2001-01-01T00:00:00Z"})
    assert response.status_code == 400 and field(response) == "next_follow_up_at"


async def test_remedy_above_the_limit_needs_a_supervisor(client, auth, sup, ref):
    response = await _post(client, f"/api/v1/cases/{ref}/remedies", auth,
                           {"type": "coupon", "amount_minor": 50_000, "currency": "CNY"})
    assert response.status_code == 201, response.text
    remedy = response.json()
    assert remedy["status"] == "proposed"
    path = f"/api/v1/cases/{ref}/remedies/{remedy['id']}"
    refused = await _post(client, f"{path}/approve", auth, {})
    assert refused.status_code == 403
    assert field(refused) == "role" and "supervisor" in refused.json()["detail"]
    approved = await _post(client, f"{path}/approve", sup, {"note": "ok"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    done = await _post(client, f"{path}/done", auth, {})
    assert done.status_code == 200 and done.json()["status"] == "done"
    again = await _post(client, f"{path}/done", auth, {})
    assert again.status_code == 400 and "done" in again.json()["detail"]


async def test_reject_needs_a_reason_and_a_supervisor(client, auth, sup, ref):
    remedy = (await _post(client, f"/api/v1/cases/{ref}/remedies", auth,
                          {"type": "coupon", "amount_minor": 50_000})).json()
    path = f"/api/v1/cases/{ref}/remedies/{remedy['id']}/reject"
    assert field(await _post(client, path, sup, {})) == "reason"
    assert (await _post(client, path, auth, {"reason": "no"})).status_code == 403
    rejected = await _post(client, path, sup, {"reason": "too much"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"


async def test_remedy_of_another_case_is_404(client, services, auth, ref):
    other, _ = await services.cases.open(services.actor("ann"), kind="lost")
    remedy = (await _post(client, f"/api/v1/cases/{ref}/remedies", auth,
                          {"type": "reship"})).json()
    response = await _post(
        client, f"/api/v1/cases/{other.ref}/remedies/{remedy['id']}/done", auth, {})
    assert response.status_code == 404 and field(response) == "remedy_id"


async def test_remedy_type_and_amount_refusals(client, auth, ref):
    response = await _post(client, f"/api/v1/cases/{ref}/remedies", auth, {"type": "cash"})
    assert response.status_code == 400 and field(response) == "type"
    response = await _post(client, f"/api/v1/cases/{ref}/remedies", auth,
                           {"type": "refund_partial"})
    assert response.status_code == 400 and field(response) == "amount_minor"


async def test_wait_and_resume(client, auth, ref):
    response = await _post(client, f"/api/v1/cases/{ref}/wait", auth, {"on": "carrier"})
    assert response.status_code == 409  # a new case is triaged first
    assert "allowed from new" in response.json()["detail"]
    await _post(client, f"/api/v1/cases/{ref}/triage", auth, {})
    response = await _post(client, f"/api/v1/cases/{ref}/wait", auth, {"on": "carrier"})
    assert response.status_code == 200 and response.json()["status"] == "waiting"
    response = await _post(client, f"/api/v1/cases/{ref}/resume", auth, {"note": "back"})
    assert response.status_code == 200 and response.json()["status"] == "open"
    response = await _post(client, f"/api/v1/cases/{ref}/wait", auth, {"on": "moon"})
    assert response.status_code == 400 and field(response) == "on"


async def test_return_needs_the_tier_escalated_to(client, auth, sup, ref):
    await _post(client, f"/api/v1/cases/{ref}/escalate", auth, {"reason": "big"})
    refused = await _post(client, f"/api/v1/cases/{ref}/return", auth, {"decision": "go"})
    assert refused.status_code == 403 and "supervisor" in refused.json()["detail"]
    response = await _post(client, f"/api/v1/cases/{ref}/return", sup, {"decision": "refund"})
    assert response.status_code == 200 and response.json()["status"] == "open"


async def test_resolve_survey_close_reopen(client, auth, ref):
    assert (await _post(client, f"/api/v1/cases/{ref}/survey", auth,
                        {"score": 4})).status_code == 400  # not resolved yet
    await _post(client, f"/api/v1/cases/{ref}/triage", auth, {})
    await _post(client, f"/api/v1/cases/{ref}/resolve", auth, {"summary": "found"})
    bad = await _post(client, f"/api/v1/cases/{ref}/survey", auth, {"score": 6})
    assert bad.status_code == 400 and field(bad) == "score"
    response = await _post(client, f"/api/v1/cases/{ref}/survey", auth, {"score": 4})
    assert response.status_code == 200 and response.json()["status"] == "closed"
    twice = await _post(client, f"/api/v1/cases/{ref}/survey", auth, {"score": 5})
    assert twice.status_code == 409
    closed = await _post(client, f"/api/v1/cases/{ref}/close", auth, {})
    assert closed.status_code == 409 and "reopen" in closed.json()["detail"]
    reopened = await _post(client, f"/api/v1/cases/{ref}/reopen", auth, {"reason": "again"})
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"


async def test_close_a_resolved_case(client, auth, ref):
    await _post(client, f"/api/v1/cases/{ref}/triage", auth, {})
    await _post(client, f"/api/v1/cases/{ref}/resolve", auth, {"summary": "found"})
    response = await _post(client, f"/api/v1/cases/{ref}/close", auth, {})
    assert response.status_code == 200 and response.json()["status"] == "closed"


async def test_void_and_its_refusals(client, auth, ref):
    assert field(await _post(client, f"/api/v1/cases/{ref}/void", auth, {"reason": " "})
                 ) == "reason"
    response = await _post(client, f"/api/v1/cases/{ref}/void", auth, {"reason": "duplicate"})
    assert response.status_code == 200 and response.json()["status"] == "void"
    again = await _post(client, f"/api/v1/cases/{ref}/reopen", auth, {"reason": "x"})
    assert again.status_code == 409 and "final" in again.json()["detail"]


async def test_responsibility(client, auth, ref):
    response = await _post(client, f"/api/v1/cases/{ref}/responsibility", auth, {
        "party": "carrier", "department": "logistics", "joint_department": "warehouse",
        "root_cause": "hub flood"})
    assert response.status_code == 200, response.text
    case = response.json()
    assert (case["responsible_party"], case["joint_department"]) == ("carrier", "warehouse")
    same = await _post(client, f"/api/v1/cases/{ref}/responsibility", auth, {
        "party": "carrier", "department": "logistics", "joint_department": "logistics"})
    assert same.status_code == 400 and field(same) == "joint_department"


async def test_urgent_and_a_stale_version(client, auth, ref):
    response = await _post(client, f"/api/v1/cases/{ref}/urgent", auth, {"urgent": True})
    assert response.status_code == 200 and response.json()["urgent"] is True
    stale = await _post(client, f"/api/v1/cases/{ref}/urgent", auth,
                        {"urgent": False, "expected_version": 1})
    assert stale.status_code == 409 and field(stale) == "version"
