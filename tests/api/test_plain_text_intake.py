"""Control characters sent by a shop or a plugin are not stored (N21, intake side): the generic
webhook's order and report, and the case API's report, arrive without escape sequences."""

from __future__ import annotations

from api_helpers import encode, generic_event, generic_headers

ESCAPES = "\x1b[31m\x1b]0;PWNED\x07"


async def test_a_webhook_report_with_escape_sequences_is_stored_without_them(client, services):
    event = generic_event(report={"kind": "damaged", "title": f"esc{ESCAPES} [/] title",
                                  "description": f"line 1\nline 2{ESCAPES}"})
    event["order"]["customer"]["name"] = f"{ESCAPES}Eve"
    body = encode(event)
    response = await client.post("/webhooks/shop", content=body, headers=generic_headers(body))
    assert response.status_code == 200, response.text
    detail = await services.cases.detail(response.json()["case"])
    assert detail.case.title == "esc [/] title"
    assert detail.case.description == "line 1\nline 2"
    assert detail.order.customer.name == "Eve"


async def test_a_case_api_report_with_escape_sequences_is_stored_without_them(client, auth,
                                                                               services):
    response = await client.post("/api/v1/cases", headers=auth, json={
        "kind": "lost", "title": f"lost{ESCAPES} parcel", "description": f"a\r\nb{ESCAPES}",
        "evidence": [f"photo{ESCAPES}.jpg"], "customer": {"name": f"Bob{ESCAPES}"},
        "order": {"id": "A-78", "carrier": f"SF{ESCAPES}", "tracking_number": "SF\x1b[2J1"},
        "order_source": "shop",
    })
    assert response.status_code == 201, response.text
    case = response.json()
    assert case["title"] == "lost parcel" and case["customer"]["name"] == "Bob"
    detail = await services.cases.detail(case["ref"])
    assert detail.case.description == "a\nb"
    assert detail.case.evidence == ["photo.jpg"]
    assert (detail.order.carrier, detail.order.tracking_number) == ("SF", "SF1")
