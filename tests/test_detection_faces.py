"""Detection from the outside: every key of the example's [detection] takes effect; `shopdesk check`,
`rules` and `stock import`; a signed webhook opens a detected case after its answer; a generic
stock event is stored and makes an open order short."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from shopdesk import cli
from shopdesk.config import Settings, load_settings
from shopdesk.services import Services
from shopdesk.store import open_store

EXAMPLE = Path(__file__).parents[1] / "docs" / "config.example.toml"
# A value other than the example's for each [detection] key.
OTHER_VALUES = {
    "payment_timeout_minutes": 45, "payment_tolerance_minor": 100, "duplicate_window_minutes": 20,
    "bulk_unpaid_count": 5, "bulk_unpaid_window_hours": 12, "tracking_stall_days": 5,
    "refund_overdue_days": 7, "urgent_amount_minor": 100_000, "urgent_tags": ["rush"],
    "lead_time_hours": 24, "disabled": ["address_error"], "levels": {"payment_timeout": 3},
    "sweep_seconds": 60,
}


def _observed(settings: Settings, intervals: list[float]) -> tuple:
    """What the running code reads of [detection]: the rules' thresholds, switches and levels,
    and the sweep's interval (sweep_forever's sleeps, with the sleep faked)."""
    from shopdesk.serving import server

    services = Services.__new__(Services)  # no store needed: these read settings only
    services.settings = settings
    from shopdesk.services.detection import DetectionService

    detection = DetectionService(services)
    services.detection = detection

    async def fake_sleep(seconds: float) -> None:
        intervals.append(seconds)
        if len(intervals) % 2 == 0:
            raise asyncio.CancelledError

    original = server.asyncio.sleep
    server.asyncio.sleep = fake_sleep
    try:
        async def sweep_nothing(*, dry_run: bool = False):
            from shopdesk.services.detection import CheckReport

            return CheckReport()

        detection.run_sweep = sweep_nothing
        with pytest.raises(asyncio.CancelledError):
            asyncio.run(server.sweep_forever(services))
    finally:
        server.asyncio.sleep = original
    return detection.thresholds(), detection.rules(), intervals[-1]


def test_every_detection_key_of_the_example_is_read():
    example = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    keys = set(example["detection"])
    assert keys == set(OTHER_VALUES), "a [detection] key without a test value here"
    base = _observed(load_settings(EXAMPLE, required=True), [])
    for key, value in OTHER_VALUES.items():
        changed = {**example, "detection": {**example["detection"], key: value}}
        settings = msgspec.convert(changed, Settings)
        assert _observed(settings, []) != base, f"detection.{key} changes nothing"


@pytest.mark.parametrize(("key", "value", "words"), [
    ("payment_timeout_minutes", 0, "detection.payment_timeout_minutes"),
    ("bulk_unpaid_count", "three", "detection.bulk_unpaid_count"),
    ("disabled", ["no_such_rule"], "unknown rule 'no_such_rule'"),
    ("levels", {"payment_timeout": 4}, "detection.levels"),
])
def test_a_bad_threshold_is_refused_naming_file_and_key(tmp_path, key, value, words):
    path = tmp_path / "config.toml"
    rendered = json.dumps(value) if not isinstance(value, dict) else \
        "{ " + ", ".join(f"{k} = {v}" for k, v in value.items()) + " }"
    path.write_text(f"[detection]\n{key} = {rendered}\n", encoding="utf-8")
    from shopdesk.domain.errors import ValidationError

    with pytest.raises(ValidationError) as refused:
        load_settings(path, required=True)
    assert str(path) in refused.value.detail and words in refused.value.detail


def _seed(path: Path) -> None:
    """A store with one order unpaid for three hours (a sweep opens payment_timeout)."""
    from shopdesk.domain.cases import Customer, Order
    from shopdesk.store import orders

    async def main():
        async with open_store(path) as store:
            now = datetime.now(UTC).replace(microsecond=0)
            async with store.transaction() as conn:
                await orders.upsert_order(conn, Order(
                    source="manual", external_id="9", number="9009", total_minor=1000,
                    customer=Customer(name="Li", phone="13800000000"), address="Beijing",
                    placed_at=now - timedelta(hours=3)), now)

    asyncio.run(main())


def test_check_says_what_it_opened_and_a_second_check_finds_nothing(tmp_path, capsys):
    path = tmp_path / "shop.db"
    _seed(path)
    assert cli.main(["--db", str(path), "check", "--dry-run"]) == 0
    assert "would open: payment_timeout on #9009" in capsys.readouterr().out
    assert cli.main(["--db", str(path), "check", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["checked"] == 1 and len(report["opened"]) == 1
    assert report["findings"][0]["evidence"].startswith("unpaid 3h")
    assert cli.main(["--db", str(path), "check"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert cli.main(["--db", str(path), "rules", "--json"]) == 0
    rules = {rule["name"]: rule for rule in json.loads(capsys.readouterr().out)}
    assert rules["payment_timeout"]["live"] == 1
    assert rules["payment_timeout"]["thresholds"] == {"payment_timeout_minutes": 30}


def test_stock_import_reads_a_csv_and_refuses_a_bad_row_storing_nothing(tmp_path, capsys):
    path = tmp_path / "shop.db"
    _seed(path)
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,quantity\nTEE-1,0\nMUG,many\n", encoding="utf-8")
    assert cli.main(["--db", str(path), "stock", "import", str(bad)]) == 2
    assert "line 3" in capsys.readouterr().err
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM stock").fetchone()[0] == 0
    good = tmp_path / "stock.csv"
    good.write_text("\ufeffsku,quantity\nTEE-1,0\nMUG,4\n", encoding="utf-8")  # Excel's BOM
    assert cli.main(["--db", str(path), "stock", "import", str(good)]) == 0
    assert "stock of 2 SKUs stored" in capsys.readouterr().out
    with sqlite3.connect(path) as conn:
        assert dict(conn.execute("SELECT sku, quantity FROM stock")) == {"TEE-1": 0, "MUG": 4}


async def test_a_webhook_opens_a_detected_case_after_its_answer(tmp_path):
    """The test client serves the app on a loop of its own, where no worker runs (it would share
    the store's lock across loops): the orders stay due and the sweep checks them — the path a
    process killed before its check takes too. The worker itself: tests/services."""
    from api_helpers import BASE_URL, GENERIC_SECRET, generic_headers
    from litestar.testing import AsyncTestClient

    from shopdesk.api.app import create_app
    from shopdesk.domain.filters import CaseFilter

    async with open_store(tmp_path / "hook.db") as store:
        services = Services(store)
        await services.sources.add("shop", "generic", GENERIC_SECRET)
        placed = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
        event = {"id": "e1", "type": "created", "order": {
            "id": "501", "number": "501", "total": "80.00", "paid": "60.00",
            "paid_at": placed, "placed_at": placed, "address": "Shanghai",
            "customer": {"name": "Zhou", "phone": "13812345678"},
            "items": [{"name": "Tea", "sku": "TEA-1", "price": "80.00"}]}}
        body = json.dumps(event).encode()
        stock = json.dumps({"id": "s1", "type": "stock", "stock": {"TEA-1": 0}}).encode()
        async with AsyncTestClient(create_app(services), base_url=BASE_URL) as client:
            answer = await client.post("/webhooks/shop", content=body,
                                       headers=generic_headers(body))
            assert answer.status_code == 200, answer.text
            await services.detection.sweep()
            cases = await services.cases.list(CaseFilter(source="detection"), limit=10)
            assert [case.rule for case in cases] == ["payment_mismatch"]
            answer = await client.post("/webhooks/shop", content=stock,
                                       headers=generic_headers(stock))
            assert answer.status_code == 200, answer.text
            await services.detection.sweep()
            cases = await services.cases.list(CaseFilter(source="detection"), limit=10)
            assert sorted(case.rule for case in cases) == ["out_of_stock", "payment_mismatch"]
            bad = json.dumps({"type": "stock", "stock": {}}).encode()
            refused = await client.post("/webhooks/shop", content=bad, headers=generic_headers(bad))
            assert refused.status_code == 400 and refused.json()["field"] == "$.stock"
            no_order = json.dumps({"type": "paid"}).encode()
            refused = await client.post("/webhooks/shop", content=no_order,
                                        headers=generic_headers(no_order))
            assert refused.status_code == 400 and refused.json()["field"] == "$.order"
            listed = await client.get("/api/v1/cases?rule=payment_mismatch", headers={
                "Authorization": f"Bearer {(await services.tokens.create('t'))[1]}"})
            (item,) = listed.json()["items"]
            assert item["rule"] == "payment_mismatch"
            assert item["rule_evidence"] == "paid 60.00 CNY ≠ total 80.00 CNY (short 20.00 CNY)"
        await services.detection.aclose()
