"""GET /api/v1/exports/{kind}.csv: bearer token, filters as query parameters, streaming CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from api_helpers import BASE_URL
from litestar.testing import AsyncTestClient
from report_world import build_week

from shopdesk.api.app import create_app
from shopdesk.store import open_store


@pytest.fixture
async def week(tmp_path: Path):
    async with open_store(tmp_path / "shop.db") as store:
        services, _ = await build_week(store)
        yield services


@pytest.fixture
async def client(week):
    async with AsyncTestClient(create_app(week), base_url=BASE_URL) as client:
        yield client


@pytest.fixture
async def auth(week) -> dict[str, str]:
    _, token = await week.tokens.create("reports", operator="owner")
    return {"Authorization": f"Bearer {token}"}


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


async def test_cases_csv_streams_with_filters(client, auth) -> None:
    response = await client.get(
        "/api/v1/exports/cases.csv",
        params={"from": "2026-11-16", "to": "2026-11-22", "kind": "delivery", "level": ["2", "3"]},
        headers=auth,
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="cases.csv"' in response.headers["content-disposition"]
    assert [r["ref"] for r in rows(response.text)] == ["C-000002", "C-000003", "C-000005"]
    assert rows(response.text)[0]["title"] == "'=包裹丢失 lost parcel"


async def test_every_kind_and_the_bom(client, auth) -> None:
    for kind in ("events", "remedies", "summary", "carriers", "departments"):
        response = await client.get(f"/api/v1/exports/{kind}.csv", headers=auth)
        assert response.status_code == 200, kind
        assert rows(response.text), kind
    response = await client.get("/api/v1/exports/summary.csv", params={"bom": "true"}, headers=auth)
    assert response.content.startswith(b"\xef\xbb\xbfperiod_from,")
    response = await client.get(
        "/api/v1/exports/carriers.csv", params={"from": "2026-11-16", "carrier": "YTO"}, headers=auth
    )
    assert [r["carrier"] for r in rows(response.text)] == ["YTO"]


async def test_first_chunk_is_the_header(client, auth) -> None:
    async with client.stream("GET", "/api/v1/exports/cases.csv", headers=auth) as response:
        assert response.status_code == 200
        first = await anext(response.aiter_bytes())
    assert first.startswith(b"ref,kind,level,")


async def test_a_token_is_required(client) -> None:
    response = await client.get("/api/v1/exports/cases.csv")
    assert response.status_code == 401
    response = await client.get(
        "/api/v1/exports/cases.csv", headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401


async def test_unknown_kind_is_404(client, auth) -> None:
    for path in ("/api/v1/exports/invoices.csv", "/api/v1/exports/cases", "/api/v1/exports/cases.xlsx"):
        response = await client.get(path, headers=auth)
        assert response.status_code == 404, path
        assert response.json()["field"] == "kind"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-02-30"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-11-20", "to": "2026-11-01"}, "to"),
        ({"status": "done"}, "status"),
        ({"kind": "teapot"}, "kind"),
        ({"level": "7"}, "level"),
        ({"urgent": "maybe"}, "urgent"),
    ],
)
async def test_bad_filters_are_400_naming_the_field(client, auth, params, field) -> None:
    response = await client.get("/api/v1/exports/cases.csv", params=params, headers=auth)
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == field and field in body["detail"]
