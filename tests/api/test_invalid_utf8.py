"""A body that is not valid UTF-8 inside a JSON string (a body cut mid-character, a Latin-1
byte) is a 400 naming `body`, never a 500, and stores nothing: signed webhooks and the case API.
A signed body that is JSON but no event (an array, null) names its root `$`."""

from __future__ import annotations

import pytest
from api_helpers import generic_headers

from shopdesk.services import Services

CUT = b'{"id": "u1", "type": "paid", "order": {"id": "1", "number": "\xe4\xb8"}}'  # 2 of 3 bytes
LATIN1 = b'{"id": "u2", "type": "paid", "order": {"id": "2", "number": "caf\xe9"}}'


async def _count(services: Services, table: str) -> int:
    async with services.store.reader.execute(f"SELECT count(*) FROM {table}") as cursor:
        return (await cursor.fetchone())[0]


@pytest.mark.parametrize("body", [CUT, LATIN1], ids=["cut", "latin1"])
async def test_a_signed_generic_event_not_in_utf8_is_a_400_naming_the_body(client, services, body):
    response = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "body"
    assert "not valid UTF-8" in response.json()["detail"]
    assert await _count(services, "deliveries") == 0


@pytest.mark.parametrize(("path", "body"), [
    ("/api/v1/cases", b'{"kind": "other", "title": "\xe4\xb8"}'),
    ("/api/v1/cases/C-000001/notes", b'{"text": "caf\xe9"}'),
])
async def test_the_case_api_answers_a_body_not_in_utf8_with_a_400(client, services, auth, path,
                                                                  body):
    response = await client.post(path, content=body,
                                 headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json() == {"detail": response.json()["detail"], "field": "body"}
    assert "not valid UTF-8" in response.json()["detail"]
    assert await _count(services, "cases") == 0


@pytest.mark.parametrize(("body", "field"), [
    (b"[1, 2]", "$"), (b"null", "$"), (b'"an event"', "$"), (b"{", "body"), (b"", "body"),
])
async def test_a_signed_generic_body_that_is_no_event_names_what_is_wrong(client, services, body,
                                                                         field):
    response = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field, response.json()
    assert await _count(services, "deliveries") == 0
