"""The survey from the customer: resolving asks (survey.requested to a plugin, an email with a
link), the plugin brings the answer back with the token through the case API, and it is recorded
as the customer's own answer, apart from a score an operator types in."""

from __future__ import annotations

import pytest
from operator_seats import seat
from litestar.testing import AsyncTestClient
from outbound_helpers import open_case

from shopdesk.api.app import create_app
from shopdesk.config import OutboundSettings, SmtpSettings

BASE_URL = "http://127.0.0.1:8765"


@pytest.fixture
async def client(services):
    async with AsyncTestClient(create_app(services), base_url=BASE_URL) as client:
        yield client


async def resolved_case(services):
    actor = services.actor("li.na")
    case = await open_case(services)
    await services.cases.triage(actor, case.ref)
    await services.cases.resolve(actor, case.ref, "reshipped, customer told")
    return case


async def survey_request(services):
    message = next(m for m in await services.outbound.list() if m.event == "survey.requested")
    return (await services.outbound.get(message.id)).payload


async def test_resolving_asks_the_plugin_and_the_customers_answer_comes_back(services, client):
    await services.outbound.add_hook(services.actor("li.na"), "plugin", "http://127.0.0.1:9/h",
                                     events="case.resolved,survey.requested")
    case = await resolved_case(services)
    events = sorted(m.event for m in await services.outbound.list())
    assert events == ["case.resolved", "survey.requested"]
    request = await survey_request(services)
    token, path = request["survey"]["token"], request["survey"]["answer_path"]
    assert path == f"/api/v1/cases/{case.ref}/customer-survey"

    await seat(services, {"plugin-bot": "operator"})  # a token acts as an operator of the store
    _, bearer = await services.tokens.create("plugin", operator="plugin-bot")
    auth = {"Authorization": f"Bearer {bearer}"}
    wrong = await client.post(path, json={"token": "0" * 32, "score": 5}, headers=auth)
    assert wrong.status_code == 403 and wrong.json()["field"] == "token"
    bad = await client.post(path, json={"token": token, "score": 9}, headers=auth)
    assert bad.status_code == 400 and "score" in bad.text
    answer = await client.post(path, json={"token": token, "score": 4, "comment": "快，谢谢"},
                               headers=auth)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "closed"
    detail = await services.cases.detail(case.ref)
    assert detail.survey.answered_by == "customer" and detail.survey.score == 4
    assert detail.events[-1].actor == "customer (via plugin-bot)"
    assert detail.events[-1].data["answered_by"] == "customer"
    again = await client.post(path, json={"token": token, "score": 1}, headers=auth)
    assert again.status_code == 409


async def test_an_operators_score_is_recorded_as_the_operators(services):
    case = await resolved_case(services)
    await services.cases.record_survey(services.actor("li.na"), case.ref, 3, "by phone")
    survey = (await services.cases.detail(case.ref)).survey
    assert survey.answered_by == "operator" and survey.actor == "li.na"


async def test_a_token_of_another_case_is_refused(services):
    from shopdesk.domain.errors import PermissionDenied
    from shopdesk.domain.surveys import survey_token

    first = await resolved_case(services)
    second = await resolved_case(services)
    token = survey_token(await services.outbound.survey_key(), first.ref)
    with pytest.raises(PermissionDenied):
        await services.outbound.customer_survey(services.actor("li.na"), second.ref,
                                                token=token, score=5)


async def test_with_smtp_and_a_survey_url_the_customer_gets_a_link(services):
    services.settings.smtp = SmtpSettings(host="127.0.0.1", port=9, from_address="s@t.example")
    services.settings.outbound = OutboundSettings(
        survey_url="https://tea.example/survey?case={ref}&token={token}")
    case = await resolved_case(services)
    [email] = [m for m in await services.outbound.list() if m.channel == "email"]
    payload = (await services.outbound.get(email.id)).payload
    assert email.event == "survey.requested" and email.target == "wang@example.com"
    assert f"https://tea.example/survey?case={case.ref}&token=" in payload["body"]


async def test_without_hooks_or_smtp_resolving_queues_nothing(services):
    await resolved_case(services)
    assert await services.outbound.list() == []
