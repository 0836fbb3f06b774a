"""The case API's list (default statuses, keyset cursor), its refs as the CLI reads them, the
triage move, and expected_version in words (N8, N10)."""

from __future__ import annotations

import pytest

from shopdesk.domain.cases import Actor, Customer, Order

SUPERVISOR = Actor(name="zhou.min", role="supervisor")


async def open_cases(client, auth, count: int) -> list[str]:
    refs = []
    for index in range(count):
        response = await client.post("/api/v1/cases", headers=auth, json={
            "kind": "ship_delayed", "level": 1 + index % 3, "title": f"late {index}"})
        refs.append(response.json()["ref"])
    return refs


async def walk(client, auth, params: dict, between=None) -> list[str]:
    """Every page's refs in order; `between(page_number)` runs after each page."""
    seen, cursor, page_number = [], None, 0
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/api/v1/cases", headers=auth, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [item["ref"] for item in page["items"]]
        page_number += 1
        if between is not None:
            await between(page_number, page)
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


# --- default statuses ---------------------------------------------------------------------------

async def test_the_list_without_status_is_the_active_cases_like_the_cli(client, services, auth):
    refs = await open_cases(client, auth, 3)
    me = services.actor("emma")
    await services.cases.triage(me, refs[0])
    await services.cases.resolve(me, refs[0], "reshipped")
    await services.cases.void(me, refs[1], "duplicate")
    default = (await client.get("/api/v1/cases", headers=auth)).json()
    assert [item["ref"] for item in default["items"]] == [refs[2]] and default["total"] == 1
    chosen = (await client.get("/api/v1/cases", headers=auth,
                               params=[("status", "resolved"), ("status", "void")])).json()
    assert sorted(item["ref"] for item in chosen["items"]) == refs[:2]
    every = [("status", status) for status in
             ("new", "open", "waiting", "escalated", "resolved", "closed", "void")]
    assert (await client.get("/api/v1/cases", headers=auth, params=every)).json()["total"] == 3


async def test_openapi_says_what_the_default_is(client):
    schema = (await client.get("/schema/openapi.json")).json()
    listing = schema["paths"]["/api/v1/cases"]["get"]
    assert "the active cases (new, open, waiting, escalated)" in listing["description"]
    status = next(p for p in listing["parameters"] if p["name"] == "status")
    assert "default: new, open, waiting and escalated" in status["description"]


# --- keyset cursor ----------------------------------------------------------------------------

async def test_a_case_escalated_between_pages_skips_no_other_case(client, services, auth):
    """With an offset, the case escalated out of `status=new` on page 1 moved every later case one
    place up, and the first of page 2 was never listed."""
    refs = await open_cases(client, auth, 9)
    first_page: list[str] = []

    async def escalate_one_of_page_1(page_number, page):
        if page_number == 1:
            first_page.extend(item["ref"] for item in page["items"])
            await services.cases.escalate(services.actor("emma"), first_page[0], "over my limit")

    seen = await walk(client, auth, {"status": "new", "limit": 3}, escalate_one_of_page_1)
    assert len(seen) == len(set(seen)) == 9
    assert sorted(seen) == sorted(refs)


async def test_cases_that_change_or_arrive_between_pages_shift_no_other(client, services, auth):
    refs = await open_cases(client, auth, 12)
    me = services.actor("emma")
    pages: list[list[str]] = []

    async def change_things(page_number, page):
        pages.append([item["ref"] for item in page["items"]])
        if page_number == 1:  # a new L3 urgent case goes to the top; a page-3 case is escalated
            await client.post("/api/v1/cases", headers=auth,
                              json={"kind": "lost", "level": 3, "urgent": True})
            later = [ref for ref in refs if ref not in pages[0]]
            await services.cases.escalate(me, later[-1], "customer furious")
        if page_number == 2:  # one of page 1 is acknowledged, one of page 3 gets a note
            await services.cases.triage(me, pages[0][1])
            await services.cases.add_note(me, pages[1][0], "called the carrier")

    seen = await walk(client, auth, {"limit": 4}, change_things)
    assert len(seen) == len(set(seen)), seen  # nothing twice
    assert set(refs) <= set(seen)  # every case there at the start, once
    # (a case whose own place changes — regraded, say — is listed where it is when the walk
    # gets there: perhaps twice, perhaps not at all; the others never move because of it)


async def test_the_cursor_is_checked_and_any_well_formed_one_is_a_place(client, auth):
    await open_cases(client, auth, 3)
    page = (await client.get("/api/v1/cases", headers=auth, params={"limit": 2})).json()
    assert page["next_cursor"] and not page["next_cursor"].isdigit()  # not an offset
    for bad in ("2", "eyJhdCI6IngifQ", "1.2.3.4", "1763000000.013..", "1763000000.014..5"):
        response = await client.get("/api/v1/cases", headers=auth, params={"cursor": bad})
        assert response.status_code == 400, bad
        assert response.json() == {
            "detail": "query parameter 'cursor': must be the next_cursor of the previous page",
            "field": "cursor"}
    for made_up in ("0.001..1", "99999999999.113.99999999999.999999999999999999"):
        response = await client.get("/api/v1/cases", headers=auth, params={"cursor": made_up})
        assert response.status_code == 200, (made_up, response.text)


async def test_the_list_pages_ids_through_the_queue_index(services):
    from shopdesk.domain.filters import CaseFilter
    from shopdesk.store.cases import filter_sql

    where, params = filter_sql(CaseFilter(statuses=["new", "open"]), services.now())
    params.update({f"k{i}": 0 for i in range(6)})
    from shopdesk.store.cases import _AFTER_IN_QUEUE, QUEUE_ORDER

    sql = ("EXPLAIN QUERY PLAN SELECT c.id FROM cases AS c" + where + " AND " + _AFTER_IN_QUEUE
           + QUEUE_ORDER + " LIMIT 5")
    async with services.store.reader.execute(sql, params) as cursor:
        plan = " ".join(str(row[-1]) for row in await cursor.fetchall())
    assert "COVERING INDEX cases_active_order" in plan, plan


# --- refs as the CLI reads them ------------------------------------------------------------------

async def test_refs_in_paths_read_like_the_cli(client, services, auth):
    refs = await open_cases(client, auth, 3)
    number = str(int(refs[1][2:]))
    for text in (refs[1], refs[1].lower(), f"c-{number}", f"C{number}", number):
        response = await client.get(f"/api/v1/cases/{text}", headers=auth)
        assert response.status_code == 200, (text, response.text)
        assert response.json()["case"]["ref"] == refs[1]
    note = await client.post(f"/api/v1/cases/c-{number}/notes", headers=auth, json={"text": "hi"})
    assert note.status_code == 200 and note.json()["ref"] == refs[1]


async def test_a_bare_number_that_is_also_an_order_number_is_400_naming_both(client, services,
                                                                             auth):
    refs = await open_cases(client, auth, 3)
    woo, _ = await services.cases.open(
        Actor("intake"), kind="lost", title="parcel lost",
        order=Order(source="manual", external_id="2", number="2",
                    customer=Customer(name="Wang Fang")))
    response = await client.get("/api/v1/cases/2", headers=auth)
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "ref"
    assert f"{woo.ref} (order 2, Wang Fang)" in body["detail"]
    assert f"{refs[1]} (case number 2)" in body["detail"]
    note = await client.post("/api/v1/cases/2/notes", headers=auth, json={"text": "who?"})
    assert note.status_code == 400
    assert [e.type for e in (await services.cases.detail(refs[1])).events] == ["opened"]
    assert (await client.get("/api/v1/cases/c-2", headers=auth)).json()["case"]["ref"] == refs[1]


# --- triage -------------------------------------------------------------------------------------

async def test_triage_acknowledges_a_new_case_with_its_grade(client, services, auth):
    ref = (await open_cases(client, auth, 1))[0]
    response = await client.post(f"/api/v1/cases/{ref.lower()}/triage", headers=auth,
                                 json={"kind": "lost", "level": 3, "urgent": True})
    assert response.status_code == 200, response.text
    case = response.json()
    assert (case["status"], case["kind"], case["level"], case["urgent"]) == ("open", "lost", 3, True)
    detail = await services.cases.detail(ref)
    assert detail.events[-1].type == "triaged" and detail.events[-1].actor == "plugin-bot"
    plain = (await open_cases(client, auth, 1))[0]
    acknowledged = await client.post(f"/api/v1/cases/{plain}/triage", headers=auth, json={})
    assert acknowledged.status_code == 200 and acknowledged.json()["status"] == "open"


@pytest.mark.parametrize(
    ("body", "status", "field", "detail"),
    [({"level": 4}, 400, "$.level", None),
     ({"kind": "stolen"}, 400, "$.kind", "expected one of:"),
     ({"urgent": "yes"}, 400, "$.urgent", "must be true or false"),
     ({"colour": "red"}, 400, "$.colour", "unknown field"),
     ({"expected_version": 0}, 400, "$.expected_version",
      "must be a whole number of 1 or more - at `$.expected_version`"),
     ({"expected_version": 7}, 409, "version", "reload it and try again")],
)
async def test_triage_refusals(client, services, auth, body, status, field, detail):
    ref = (await open_cases(client, auth, 1))[0]
    response = await client.post(f"/api/v1/cases/{ref}/triage", headers=auth, json=body)
    assert response.status_code == status, response.text
    assert response.json()["field"] == field
    if detail:
        assert detail in response.json()["detail"]
    assert (await services.cases.get(ref)).status == "new"  # nothing changed


async def test_triage_of_a_resolved_case_is_409_and_of_an_unknown_one_404(client, services, auth):
    ref = (await open_cases(client, auth, 1))[0]
    await services.cases.triage(services.actor("emma"), ref)
    await services.cases.resolve(services.actor("emma"), ref, "done")
    response = await client.post(f"/api/v1/cases/{ref}/triage", headers=auth, json={"level": 2})
    assert response.status_code == 409 and response.json()["field"] == "status"
    missing = await client.post("/api/v1/cases/C-999999/triage", headers=auth, json={})
    assert missing.status_code == 404
    wrong_type = await client.post(f"/api/v1/cases/{ref}/triage", content=b"{}",
                                   headers={**auth, "Content-Type": "text/plain"})
    assert wrong_type.status_code == 415


async def test_openapi_declares_triage_with_its_statuses(client):
    schema = (await client.get("/schema/openapi.json")).json()
    triage = schema["paths"]["/api/v1/cases/{ref}/triage"]["post"]
    assert set(triage["responses"]) >= {"200", "400", "401", "403", "404", "409", "413", "415"}
    assert triage["security"] and "Triage" in str(triage["requestBody"])


async def test_expected_version_below_1_is_said_in_words(client, auth):
    ref = (await open_cases(client, auth, 1))[0]
    response = await client.post(f"/api/v1/cases/{ref}/notes", headers=auth,
                                 json={"text": "x", "expected_version": 0})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "must be a whole number of 1 or more - at `$.expected_version`",
        "field": "$.expected_version"}
