"""The shopdesk-format event is published in the OpenAPI document (a documented example route)."""

from __future__ import annotations

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from shopdesk.api.app import create_app
from shopdesk.domain.outbound import OutboundEvent

BASE_URL = "http://127.0.0.1:8765"


@pytest.fixture
async def client(services):
    async with AsyncTestClient(create_app(services), base_url=BASE_URL) as client:
        yield client


async def test_the_event_schema_is_in_the_openapi_document(client, services):
    schema = (await client.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/api/v1/outbound/example-event"]["get"]
    assert "Shopdesk-Signature" in operation["description"]
    components = schema["components"]["schemas"]
    event = next(value for name, value in components.items() if name.endswith("OutboundEvent"))
    assert {"id", "type", "occurred_at", "case", "remedy", "summary"} <= set(event["properties"])

    _, token = await services.tokens.create("plugin")
    answer = await client.get("/api/v1/outbound/example-event",
                              headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert msgspec.convert(answer.json(), OutboundEvent).type == "remedy.approved"
    assert (await client.get("/api/v1/outbound/example-event")).status_code == 401


def test_the_verification_snippet_in_the_docs_accepts_shopdesks_signature_only():
    import re
    import time
    from pathlib import Path

    from shopdesk.domain.intake.signatures import sign_generic

    docs = Path(__file__).resolve().parents[2] / "docs" / "outbound.md"
    snippet = re.search(r"```python\n(.*?)```", docs.read_text(encoding="utf-8"), re.S).group(1)
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 - our own documentation
    body = b'{"id": "abc-ev1", "type": "case.opened"}'
    namespace["verify"](sign_generic("whsec_a", body, int(time.time())), body, "whsec_a")
    with pytest.raises(ValueError):
        namespace["verify"](sign_generic("whsec_b", body, int(time.time())), body, "whsec_a")
