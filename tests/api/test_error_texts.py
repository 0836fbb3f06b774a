"""Refusals said in words on the webhook too: no regex, the field's path, the body and its limit."""

from __future__ import annotations

from api_helpers import encode, generic_event, generic_headers


async def test_a_bad_amount_says_what_an_amount_looks_like(client):
    event = generic_event()
    event["order"]["total"] = "-5"
    body = encode(event)
    response = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert response.status_code == 400
    assert response.json() == {
        "detail": 'invalid event: must be a decimal string like "29.90" (at most 13 digits and '
                  '2 decimals) - at `$.order.total`',
        "field": "$.order.total",
    }


async def test_a_missing_field_is_named_with_its_path(client):
    body = b"{}"
    response = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert response.status_code == 400
    assert response.json() == {
        "detail": "invalid event: required field `type` is missing - at `$.type`",
        "field": "$.type",
    }


async def test_junk_and_oversize_bodies_name_the_body(client):
    body = b"{junk"
    response = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert (response.status_code, response.json()["field"]) == (400, "body")
    body = b" " * (1_048_576 + 1)
    response = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert response.status_code == 413
    assert response.json() == {
        "detail": "the body is larger than the limit of 1 MiB (1048576 bytes, api.max_body_bytes)",
        "field": "body",
    }
