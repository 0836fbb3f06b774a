"""The case API: bearer tokens, filters and cursor paging, Idempotency-Key, writes."""

from __future__ import annotations

import pytest

from shopdesk.domain.cases import Actor


async def test_missing_token_is_401(client):
    response = await client.get("/api/v1/cases")
    assert response.status_code == 401
    assert response.json()["field"] == "Authorization"
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer sd_nope", "Basic dXNlcjpwYXNz", "Bearer", "sd_x"])
async def test_bad_token_is_401(client, header):
    response = await client.get("/api/v1/cases", headers={"Authorization": header})
    assert response.status_code == 401


async def test_revoked_token_is_401(client, services, token, auth):
    assert (await client.get("/api/v1/cases", headers=auth)).status_code == 200
    record = (await services.tokens.list())[0]
    await services.tokens.revoke(record.id)
    assert (await client.get("/api/v1/cases", headers=auth)).status_code == 401


async def test_tokens_are_stored_hashed(services, token):
    async with services.store.reader.execute("SELECT * FROM tokens") as cursor:
        row = await cursor.fetchone()
    assert token not in [str(value) for value in tuple(row)]


async def test_report_opens_a_case_acting_as_the_token_operator(client, auth):
    response = await client.post("/api/v1/cases", headers=auth, json={
        "kind": "lost", "level": 3, "title": "Parcel lost by carrier",
        "order": {"id": "A-77", "number": "A-77", "total": "120.00", "currency": "CNY",
                  "carrier": "SF", "tracking_number": "SF00001"},
        "order_source": "shop",
    })
    assert response.status_code == 201, response.text
    case = response.json()
    assert (case["kind"], case["level"], case["status"], case["opened_by"]) == (
        "lost", 3, "new", "plugin-bot")
    assert case["order_number"] == "A-77" and case["tracking_number"] == "SF00001"


async def test_idempotency_key_returns_the_first_case(client, services, auth):
    headers = {**auth, "Idempotency-Key": "report-42"}
    first = await client.post("/api/v1/cases", headers=headers, json={"kind": "damaged"})
    again = await client.post("/api/v1/cases", headers=headers, json={"kind": "damaged"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["ref"] == again.json()["ref"]
    assert await services.cases.count() == 1
    other = await client.post("/api/v1/cases", headers={**auth, "Idempotency-Key": "report-43"},
                              json={"kind": "damaged"})
    assert other.status_code == 201 and other.json()["ref"] != first.json()["ref"]
    # The same report written differently (key order, defaults spelled out) is the same report.
    same = await client.post("/api/v1/cases", headers=headers,
                             json={"level": 1, "kind": "damaged", "urgent": False})
    assert same.status_code == 200 and same.json()["ref"] == first.json()["ref"]


async def test_idempotency_key_reused_for_another_report_is_409(client, services, auth):
    headers = {**auth, "Idempotency-Key": "claim-1001b"}
    first = await client.post("/api/v1/cases", headers=headers, json={"kind": "lost", "title": "A"})
    assert first.status_code == 201
    reused = await client.post("/api/v1/cases", headers=headers, json={
        "kind": "damaged", "level": 1, "title": "Other thing",
        "order": {"id": "X-1", "total": "10.00"}})
    assert reused.status_code == 409, reused.text
    assert reused.json() == {
        "detail": f"Idempotency-Key reused with a different request: it opened "
                  f"{first.json()['ref']} for another one",
        "field": "Idempotency-Key",
    }
    assert await services.cases.count() == 1
    assert await services.orders.find("api", "X-1") is None  # nothing of it stored


async def test_an_empty_idempotency_key_is_400(client, services, auth):
    response = await client.post("/api/v1/cases", headers={**auth, "Idempotency-Key": ""},
                                 json={"kind": "lost"})
    assert response.status_code == 400, response.text
    assert response.json() == {"detail": "header parameter 'Idempotency-Key': must not be empty",
                               "field": "Idempotency-Key"}
    assert await services.cases.count() == 0


async def test_an_order_source_that_does_not_exist_is_404_and_stores_nothing(
        client, services, auth):
    response = await client.post("/api/v1/cases", headers=auth, json={
        "kind": "lost", "order": {"id": "A-77", "total": "120.00"}, "order_source": "myshop"})
    assert response.status_code == 404, response.text
    assert response.json()["field"] == "order_source"
    assert "no webhook source named 'myshop'" in response.json()["detail"]
    assert await services.cases.count() == 0
    assert await services.orders.find("myshop", "A-77") is None
    # Without order_source the order is filed under 'api'.
    ok = await client.post("/api/v1/cases", headers=auth, json={
        "kind": "lost", "order": {"id": "A-77", "total": "120.00"}})
    assert ok.status_code == 201
    assert (await services.orders.find("api", "A-77")).total_minor == 12000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "alien"}, "$.kind"),
        ({"kind": "lost", "level": 7}, "$.level"),
        ({"kind": "lost", "level": "high"}, "$.level"),
        ({"kind": "lost", "colour": "red"}, "$.colour"),
        ({}, "$.kind"),
        ({"kind": "lost", "order": {}}, "$.order.id"),
        ({"kind": "lost", "order": {"id": "1", "total": "1.234"}}, "$.order.total"),
    ],
)
async def test_bad_report_is_400_naming_the_field(client, services, auth, body, field):
    response = await client.post("/api/v1/cases", headers=auth, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
    assert await services.cases.count() == 0


async def test_report_with_wrong_content_type_is_415(client, auth, services):
    response = await client.post("/api/v1/cases", headers={**auth, "Content-Type": "text/plain"},
                                 content=b'{"kind": "lost"}')
    assert response.status_code == 415
    assert await services.cases.count() == 0


async def test_malformed_json_is_400(client, auth):
    response = await client.post("/api/v1/cases", headers={**auth, "Content-Type": "application/json"},
                                 content=b'{"kind": "lost"')
    assert response.status_code == 400
    assert response.json()["field"] == "body"


@pytest.mark.parametrize(
    ("body", "detail", "field"),
    [
        ({"kind": "lost", "order": {"id": "1", "total": "-5"}},
         ('must be a decimal string like "29.90" (at most 13 digits and 2 decimals) - at '
          '`$.order.total`'), "$.order.total"),
        ({"kind": "lost", "urgent": "maybe"}, "must be true or false - at `$.urgent`", "$.urgent"),
        ({}, "required field `kind` is missing - at `$.kind`", "$.kind"),
        ({"kind": "lost", "colour": "red"}, "unknown field `colour` - at `$.colour`", "$.colour"),
    ],
)
async def test_bad_report_errors_say_what_is_expected_in_words(client, auth, body, detail, field):
    response = await client.post("/api/v1/cases", headers=auth, json=body)
    assert response.status_code == 400
    assert response.json() == {"detail": detail, "field": field}
    assert "regex" not in response.text


@pytest.mark.parametrize(
    ("content", "detail"),
    [(b"", "the body is empty: send a JSON object"),
     (b"{junk", "JSON is malformed: object keys must be strings (byte 1)")],
)
async def test_a_body_that_is_not_json_names_the_body(client, auth, content, detail):
    response = await client.post("/api/v1/cases", content=content,
                                 headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"detail": detail, "field": "body"}


async def test_a_body_over_the_limit_is_413_saying_the_limit(client, services, auth):
    response = await client.post("/api/v1/cases", content=b" " * (1_048_576 + 1),
                                 headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {
        "detail": "the body is larger than the limit of 1 MiB (1048576 bytes, api.max_body_bytes)",
        "field": "body",
    }
    assert await services.cases.count() == 0


@pytest.mark.parametrize(
    ("params", "detail"),
    [({"urgent": "maybe"}, "query parameter 'urgent': must be true or false"),
     ({"limit": "many"}, "query parameter 'limit': must be a whole number"),
     ({"cursor": "x"}, "query parameter 'cursor': must be the next_cursor of the previous page")],
)
async def test_bad_query_values_are_said_in_words(client, auth, params, detail):
    response = await client.get("/api/v1/cases", headers=auth, params=params)
    assert response.status_code == 400
    assert response.json() == {"detail": detail, "field": next(iter(params))}


async def test_cursor_paging_walks_every_case_once(client, services, auth):
    for index in range(7):
        await client.post("/api/v1/cases", headers=auth,
                          json={"kind": "ship_delayed", "level": 1 + index % 3,
                                "title": f"late {index}"})
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/cases", headers=auth, params=params)).json()
        assert page["total"] == 7
        seen += [item["ref"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 7
    levels = [item["level"] for item in
              (await client.get("/api/v1/cases", headers=auth, params={"limit": 7})).json()["items"]]
    assert levels == sorted(levels, reverse=True)


async def test_filters(client, auth):
    await client.post("/api/v1/cases", headers=auth, json={"kind": "lost", "level": 3})
    await client.post("/api/v1/cases", headers=auth, json={"kind": "damaged", "urgent": True})
    by_kind = (await client.get("/api/v1/cases", headers=auth, params={"kind": "lost"})).json()
    assert [item["kind"] for item in by_kind["items"]] == ["lost"]
    urgent = (await client.get("/api/v1/cases", headers=auth, params={"urgent": "true"})).json()
    assert [item["kind"] for item in urgent["items"]] == ["damaged"]
    both = (await client.get("/api/v1/cases", headers=auth,
                             params=[("kind", "lost"), ("kind", "damaged")])).json()
    assert both["total"] == 2


async def test_kind_may_name_a_group_as_in_the_cli(client, auth):
    for kind in ("lost", "damaged", "payment_failed", "urgent_order"):
        await client.post("/api/v1/cases", headers=auth, json={"kind": kind})
    delivery = (await client.get("/api/v1/cases", headers=auth, params={"kind": "delivery"})).json()
    assert sorted(item["kind"] for item in delivery["items"]) == ["damaged", "lost"]
    mixed = (await client.get("/api/v1/cases", headers=auth,
                              params=[("kind", "payment"), ("kind", "urgent"), ("kind", "lost")])).json()
    assert sorted(item["kind"] for item in mixed["items"]) == [
        "lost", "payment_failed", "urgent_order"]
    bad = await client.get("/api/v1/cases", headers=auth, params={"kind": "deliveries"})
    assert bad.status_code == 400
    assert bad.json()["field"] == "kind"
    assert bad.json()["detail"].startswith(
        "query parameter 'kind': Invalid enum value 'deliveries'; expected one of: order_failed,")
    assert bad.json()["detail"].endswith("other, order, payment, stock, fulfilment, delivery, "
                                         "after_sales, customer, urgent")


@pytest.mark.parametrize(
    ("params", "field"),
    [({"status": "sleeping"}, "status"), ({"cursor": "garbage!"}, "cursor"),
     ({"kind": "alien"}, "kind"),
     ({"limit": 0}, None), ({"limit": "many"}, None), ({"level": 9}, "level")],
)
async def test_bad_query_is_400(client, auth, params, field):
    response = await client.get("/api/v1/cases", headers=auth, params=params)
    assert response.status_code == 400, response.text
    if field:
        assert response.json()["field"] == field


async def test_note_escalate_resolve(client, services, auth):
    ref = (await client.post("/api/v1/cases", headers=auth, json={"kind": "damaged"})).json()["ref"]
    note = await client.post(f"/api/v1/cases/{ref}/notes", headers=auth,
                             json={"text": "customer sent photos"})
    assert note.status_code == 200
    escalated = await client.post(f"/api/v1/cases/{ref}/escalate", headers=auth,
                                  json={"reason": "refund above my limit"})
    assert escalated.status_code == 200 and escalated.json()["status"] == "escalated"
    detail = (await client.get(f"/api/v1/cases/{ref}", headers=auth)).json()
    types = [event["type"] for event in detail["events"]]
    assert types[:3] == ["opened", "note", "escalated"]
    assert detail["events"][1]["actor"] == "plugin-bot"
    # Escalated: the supervisor decides; the plugin's token (role operator) may not resolve it.
    refused = await client.post(f"/api/v1/cases/{ref}/resolve", headers=auth,
                                json={"summary": "refunded in full"})
    assert refused.status_code == 403, refused.text
    assert refused.json() == {
        "detail": "resolving an escalated case needs the role supervisor or above; "
                  "your role is operator",
        "field": "role",
    }
    assert (await services.cases.get(ref)).status == "escalated"
    await services.cases.return_to_operator(
        Actor(name="zhou.min", role="supervisor"), ref, "refund it in full")
    resolved = await client.post(f"/api/v1/cases/{ref}/resolve", headers=auth,
                                 json={"summary": "refunded in full"})
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"
    # Resolving again is a move the status table refuses: 409, naming what is allowed.
    again = await client.post(f"/api/v1/cases/{ref}/resolve", headers=auth,
                              json={"summary": "again"})
    assert again.status_code == 409
    assert again.json()["field"] == "status"


async def test_stale_version_is_409_and_changes_nothing(client, auth):
    case = (await client.post("/api/v1/cases", headers=auth, json={"kind": "damaged"})).json()
    await client.post(f"/api/v1/cases/{case['ref']}/notes", headers=auth, json={"text": "one"})
    stale = await client.post(f"/api/v1/cases/{case['ref']}/notes", headers=auth,
                              json={"text": "two", "expected_version": case["version"]})
    assert stale.status_code == 409
    assert stale.json()["field"] == "version"
    detail = (await client.get(f"/api/v1/cases/{case['ref']}", headers=auth)).json()
    assert [e["type"] for e in detail["events"]].count("note") == 1


async def test_unknown_case_is_404(client, auth):
    response = await client.get("/api/v1/cases/C-999999", headers=auth)
    assert response.status_code == 404
    response = await client.post("/api/v1/cases/C-999999/notes", headers=auth, json={"text": "x"})
    assert response.status_code == 404


async def test_empty_note_is_400(client, auth):
    ref = (await client.post("/api/v1/cases", headers=auth, json={"kind": "damaged"})).json()["ref"]
    response = await client.post(f"/api/v1/cases/{ref}/notes", headers=auth, json={"text": "  "})
    assert response.status_code == 400
    assert response.json()["field"] == "$.text"


async def test_healthz_names_the_store(client, services):
    import os

    health = (await client.get("/healthz")).json()
    assert health["store"] == str(services.store.path.resolve())
    assert health["pid"] == os.getpid() and health["app"] == "shopdesk"


async def test_openapi_declares_every_status(client):
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    assert set(paths["/webhooks/{source}"]["post"]["responses"]) >= {
        "200", "202", "400", "401", "404", "413", "415"}
    assert set(paths["/api/v1/cases"]["post"]["responses"]) >= {
        "200", "201", "400", "401", "415"}
    assert set(paths["/api/v1/cases/{ref}/resolve"]["post"]["responses"]) >= {
        "200", "400", "401", "403", "404", "409"}
    assert set(paths["/api/v1/cases"]["get"]["responses"]) >= {"200", "400", "401"}
    assert "bearer" in schema["components"]["securitySchemes"]


async def test_unknown_kind_lists_the_kinds(client, auth):
    response = await client.post("/api/v1/cases", headers=auth, json={"kind": "alien"})
    assert "expected one of:" in response.json()["detail"] and "damaged" in response.json()["detail"]
    response = await client.get("/api/v1/cases", headers=auth, params={"status": "sleeping"})
    assert "escalated" in response.json()["detail"]


async def test_report_links_an_order_known_from_webhooks_without_overwriting_it(
        client, services, auth):
    from api_helpers import encode, generic_event, generic_headers

    body = encode(generic_event())
    await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    response = await client.post("/api/v1/cases", headers=auth, json={
        "kind": "lost", "order": {"id": "1001", "total": "1.00"}, "order_source": "shop"})
    assert response.status_code == 201
    order = await services.orders.find("shop", "1001")
    assert response.json()["order_id"] == order.id
    assert order.total_minor == 5980 and order.customer.name == "王芳"
