"""Signing and payload helpers for the API tests."""

from __future__ import annotations

import json
import time
from pathlib import Path

from shopdesk.domain.intake.signatures import sign_base64, sign_generic

DATA = Path(__file__).resolve().parents[1] / "data" / "webhooks"
GENERIC_SECRET = "whsec_generic_test_secret_0123456789"
WOO_SECRET = "woo secret from the WooCommerce webhook form"
SHOPIFY_SECRET = "shpss_0123456789abcdef0123456789abcdef"
BASE_URL = "http://127.0.0.1:8765"


def fixture_bytes(name: str) -> bytes:
    return (DATA / name).read_bytes()


def fixture_json(name: str) -> dict:
    return json.loads(fixture_bytes(name))


def generic_headers(body: bytes, secret: str = GENERIC_SECRET, *, at: int | None = None) -> dict:
    return {
        "Content-Type": "application/json",
        "Shopdesk-Signature": sign_generic(secret, body, int(time.time()) if at is None else at),
    }


def woo_headers(body: bytes, topic: str = "order.created", secret: str = WOO_SECRET,
                delivery_id: str = "1") -> dict:
    return {
        "Content-Type": "application/json",
        "User-Agent": "WooCommerce/8.3.1 Hookshot (WordPress/6.4.2)",
        "X-WC-Webhook-Source": "https://shop.example.com/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": topic.partition(".")[0],
        "X-WC-Webhook-Event": topic.partition(".")[2],
        "X-WC-Webhook-Signature": sign_base64(secret, body),
        "X-WC-Webhook-ID": "12",
        "X-WC-Webhook-Delivery-ID": delivery_id,
    }


def shopify_headers(body: bytes, topic: str = "orders/create", webhook_id: str = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
                    secret: str = SHOPIFY_SECRET) -> dict:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign_base64(secret, body),
        "X-Shopify-Shop-Domain": "example.myshopify.com",
        "X-Shopify-API-Version": "2025-10",
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Triggered-At": "2026-11-21T14:14:05.123Z",
    }


def generic_event(**overrides) -> dict:
    event = {
        "id": "evt_1001",
        "type": "paid",
        "occurred_at": "2026-11-23T02:00:00Z",
        "order": {
            "id": "1001",
            "number": "SO-1001",
            "customer": {"name": "王芳", "email": "wang.fang@example.com", "phone": "13800138000"},
            "address": "浙江省杭州市西湖区文三路 90 号",
            "items": [{"name": "Tea set", "quantity": 2, "sku": "TEA-2", "price": "29.90"}],
            "total": "59.80",
            "paid": "59.80",
            "currency": "CNY",
            "status": "paid",
            "placed_at": "2026-11-23T01:58:00Z",
            "paid_at": "2026-11-23T02:00:00Z",
        },
    }
    event.update(overrides)
    return event


def encode(value: dict) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")
