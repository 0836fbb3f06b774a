"""What intake keeps: the sources that may post, and every delivery they posted."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

SourceKind = Literal["generic", "woocommerce", "shopify"]
SOURCE_KINDS: tuple[str, ...] = ("generic", "woocommerce", "shopify")
DeliveryStatus = Literal["processed", "quarantined", "test"]


class Source(msgspec.Struct, kw_only=True):
    """A shop (plugin) allowed to post to /webhooks/{name}, with its signing secret(s)."""

    id: int
    name: str
    kind: str
    secret: str
    old_secret: str | None
    created_at: datetime
    rotated_at: datetime | None

    def secrets(self) -> list[str]:
        """Secrets a signature may match: the current one and, during a rotation, the previous."""
        return [self.secret, *([self.old_secret] if self.old_secret else [])]


class SourceSummary(msgspec.Struct, kw_only=True):
    """A source as `source list` shows it: no secret, with what arrived from it."""

    name: str
    kind: str
    created_at: datetime
    rotated_at: datetime | None
    rotating: bool
    processed: int = 0
    quarantined: int = 0
    tests: int = 0
    last_received_at: datetime | None = None


class Delivery(msgspec.Struct, kw_only=True):
    """One webhook POST as received (the raw body is kept for quarantine and audit)."""

    id: int
    source: str
    dedupe_key: str
    received_at: datetime
    topic: str
    status: str
    error: str
    headers: dict[str, str]
    body: bytes
    order_id: int | None
