"""Webhook intake: verify, map, store the delivery with its order snapshot and events, answer.

`receive()` is what POST /webhooks/{source} calls. In order:
1. the source must exist (NotFoundError → 404);
2. WooCommerce's unsigned `webhook_id=N` ping is acknowledged and not stored;
3. the signature is checked over the raw bytes, in constant time (SignatureError → 401);
4. the body is mapped to an order snapshot/patch + events (+ an exception report). A generic body
   that does not map is refused (ValidationError naming the path → 400): its sender is code written
   against our documentation. A WooCommerce or Shopify body that does not map is stored in
   quarantine (202): those platforms cannot fix their payload, and WooCommerce disables a hook after
   a few failures;
5. delivery, order snapshot and order events are written in one transaction; the call returns only
   after it committed. Deliveries waiting at the same time share one transaction (group commit: one
   fsync for many deliveries under synchronous=FULL);
6. an exception report then opens a case (CaseService.open with a dedupe key, so a replay or a
   retry after a crash between the two commits opens it once).

A replayed delivery (same source and dedupe key) changes nothing and is answered as a duplicate.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

import msgspec

from shopdesk.domain.cases import Actor, Order
from shopdesk.domain.errors import (
    ConflictError,
    NotFoundError,
    ShopdeskError,
    ValidationError,
)
from shopdesk.domain.intake import generic, shopify, signatures, woocommerce
from shopdesk.domain.intake.mapping import (
    EventIn,
    Mapped,
    UnmappableError,
    WrongContentType,
    is_late,
    settle_order,
)
from shopdesk.domain.intake.records import Delivery, Source
from shopdesk.services.changes import Change
from shopdesk.store import deliveries as delivery_rows
from shopdesk.store import sources as source_rows

if TYPE_CHECKING:
    from shopdesk.services import Services

log = logging.getLogger(__name__)

INTAKE = Actor(name="intake", role="operator")
MAX_BATCH = 256
# A delivery whose source changed under it is verified and written again, at most this often.
MAX_ATTEMPTS = 3

# Headers kept with a delivery (the rest, e.g. cookies or proxies' additions, are not).
KEPT_HEADERS = (
    "content-type", "user-agent", "shopdesk-signature", "x-wc-webhook-topic", "x-wc-webhook-id",
    "x-wc-webhook-delivery-id", "x-wc-webhook-source", "x-wc-webhook-resource",
    "x-wc-webhook-event", "x-shopify-topic", "x-shopify-webhook-id", "x-shopify-shop-domain",
    "x-shopify-api-version", "x-shopify-triggered-at", "x-shopify-event-id",
)


class Receipt(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What happened to one delivery."""

    status: str
    """processed | duplicate | quarantined | test | ping"""
    delivery_id: int | None = None
    order_id: int | None = None
    case: str | None = None
    """The reference of the case an exception report opened (or had opened before)."""
    detail: str = ""


class _Job(msgspec.Struct, kw_only=True):
    source: Source
    received_at: datetime
    headers: dict[str, str]
    body: bytes
    topic: str
    dedupe_key: str
    status: str  # processed | quarantined | test
    error: str = ""
    mapped: Mapped | None = None


class _Written(msgspec.Struct, kw_only=True):
    delivery_id: int | None
    order_id: int | None
    order_ref: str = ""
    duplicate: bool = False
    stale: bool = False  # the source changed before the write: nothing stored
    quarantined: str = ""  # the plan could not apply it (e.g. its order is unknown): why
    late: bool = False  # older than the order as stored: kept, the order not rolled back


LATE_DETAIL = ("stored; older than the order as shopdesk has it (a later change arrived first): "
               "the order keeps its newer state")


def unknown_order(topic: str, external_id: str) -> str:
    """The intake problem of a delivery that changes an order shopdesk never received."""
    return (f"{topic or 'this delivery'} is for order {external_id}, which shopdesk has not "
            "received: the order is unknown, so nothing was changed (the order's own "
            "create/update webhook brings its state once it arrives)")


def _external_id(mapped: Mapped) -> str | None:
    if mapped.order is not None:
        return mapped.order.external_id
    if mapped.patch is not None:
        return mapped.patch.external_id
    return None


def _delivery_in(job: _Job) -> delivery_rows.DeliveryIn:
    """The row to write for a job (built on the loop: the writer's thread is the serial part)."""
    mapped = job.mapped
    return delivery_rows.DeliveryIn(
        source_id=job.source.id, source=job.source.name, dedupe_key=job.dedupe_key,
        received_at=job.received_at, topic=job.topic, status=job.status,
        error=job.error, headers=job.headers, body=job.body,
        order_external_id=_external_id(mapped)
        if job.status == "processed" and mapped is not None else None,
        needs_snapshot=mapped is not None and (mapped.patch is not None or not mapped.events
                                               or mapped.at is not None),  # late or not?
        stock=mapped.stock if job.status == "processed" and mapped is not None else None,
        source_secret=job.source.secret, source_old_secret=job.source.old_secret,
    )


def _plan(job: _Job, previous: Order | None) -> tuple[Order, list[EventIn]] | str:
    """The job's order snapshot and events given the stored snapshot, or why it cannot apply."""
    mapped = job.mapped
    assert mapped is not None
    if mapped.patch is not None and previous is None:  # never invent an order (number, total…)
        return unknown_order(job.topic, mapped.patch.external_id)
    order, events = settle_order(previous, job.source.name, mapped)  # the newest state wins
    at = mapped.at or job.received_at
    return order, [
        EventIn(type=event.type, at=event.at or at, data={**event.data, "topic": job.topic})
        for event in events
    ]


def _write_jobs(db: sqlite3.Connection,
                jobs: list[tuple[_Job, delivery_rows.DeliveryIn]]) -> list[_Written]:
    """On the writer's thread, inside the group writer's transaction."""
    stored = delivery_rows.write_deliveries(
        db, [delivery for _, delivery in jobs], lambda index, previous: _plan(jobs[index][0], previous))
    return [
        _Written(delivery_id=item.delivery_id, order_id=item.order_id,
                 duplicate=item.duplicate, stale=item.stale, quarantined=item.quarantined,
                 order_ref=(item.order.number or item.order.external_id) if item.order else "",
                 late=item.order is not None and job.mapped is not None
                 and is_late(item.order, job.mapped.at))
        for (job, _), item in zip(jobs, stored, strict=False)
    ]


class IntakeService:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._writer = services.store.group_writer(_write_jobs, max_batch=MAX_BATCH)
        self._sources: dict[str, Source] = {}
        services.changes.subscribe(self._forget_sources)

    # --- receiving ---------------------------------------------------------------------------

    async def receive(
        self, source_name: str, headers: Mapping[str, str], body: bytes, *,
        content_type: str = "application/json",
    ) -> Receipt:
        """One webhook POST; `headers` with lower-case names.

        The source may come from the cache; the write's transaction checks it is still current
        (another process, e.g. `shopdesk source remove|rotate`, may have changed it). Every answer
        that stores nothing (ping, 401, 400, 415) and every stale write is decided again on the
        source as the store has it now.
        """
        self._services.store.ensure_present()  # else a 2xx for a file nobody opens again
        now = self._services.now()
        fresh = source_name not in self._sources  # else the cache answers: maybe stale
        source = await self._source(source_name)
        for _attempt in range(MAX_ATTEMPTS):
            try:
                job = self._accept(source, headers, body, content_type, now)
            except ShopdeskError:
                if fresh:
                    raise
                source, fresh = await self._source(source_name, cached=False), True
                continue
            if job is None:  # a WooCommerce ping: nothing to store
                if fresh:
                    return Receipt(status="ping", detail="WooCommerce ping acknowledged")
                source, fresh = await self._source(source_name, cached=False), True
                continue
            written = await self._submit(job)
            if not written.stale:
                break
            source, fresh = await self._source(source_name, cached=False), True
        else:
            raise ConflictError(
                f"the webhook source {source_name!r} kept changing while this delivery was "
                "stored; send it again", field="source")
        if written.duplicate:
            await self._refuse_another_event_under_its_id(job, written)
            receipt = Receipt(status="duplicate", delivery_id=written.delivery_id,
                              order_id=written.order_id,
                              detail="delivered before; nothing changed")
        elif written.quarantined:
            log.warning("quarantined a %s delivery from %s: %s", job.topic, source.name,
                        written.quarantined)
            job.status = "quarantined"
            receipt = Receipt(status="quarantined", delivery_id=written.delivery_id,
                              detail=written.quarantined)
            self._publish(job, written)
        else:
            receipt = Receipt(status=job.status, delivery_id=written.delivery_id,
                              order_id=written.order_id, detail=job.error or (
                                  LATE_DETAIL if written.late else ""))
            self._publish(job, written)
        if job.status == "processed" and job.mapped is not None and job.mapped.report is not None:
            receipt.case = await self._open_case(source, job.mapped, written.order_id)
        if receipt.status == "processed":  # the rules look at it after the answer (detection.py)
            if written.order_id is not None:
                self._services.detection.order_changed(written.order_id)
            if job.mapped is not None and job.mapped.stock:
                self._services.detection.stock_changed(job.mapped.stock)
        return receipt

    def _accept(self, source: Source, headers: Mapping[str, str], body: bytes,
                content_type: str, now: datetime) -> _Job | None:
        """The job to store, or None for a WooCommerce ping; raises what the answer is instead
        (415, 401, 400)."""
        if source.kind == "woocommerce" and woocommerce.is_ping(content_type, body):
            return None
        if content_type != "application/json":
            raise WrongContentType(
                f"Content-Type must be application/json, not {content_type or 'missing'}",
                field="Content-Type",
            )
        self._verify(source, headers, body, int(now.timestamp()))
        return self._job(source, headers, body, now)

    async def _refuse_another_event_under_its_id(self, job: _Job, written: _Written) -> None:
        """A generic event id sent again with another event is not a replay: 409 naming the id
        (the first event stays as stored)."""
        if job.source.kind != "generic" or not job.dedupe_key.startswith("event:"):
            return
        stored = await delivery_rows.delivery_body(self._services.store.reader,
                                                   written.delivery_id or 0)
        if stored is not None and not generic.same_event(stored, job.body):
            event_id = job.dedupe_key.removeprefix("event:")
            raise ConflictError(
                f"event id {event_id!r} was delivered before (delivery {written.delivery_id}) "
                "with a different body: a new event needs a new id; a retry sends the same "
                "event again", field="$.id")

    async def _source(self, name: str, *, cached: bool = True) -> Source:
        """The source named, from the cache unless `cached` is False. The cache needs no expiry:
        a write checks the source is still current, and errors are decided on a fresh read."""
        hit = self._sources.get(name)
        if cached and hit is not None:
            return hit
        source = await source_rows.get_source(self._services.store.reader, name)
        if source is None:
            self._sources.pop(name, None)
            raise NotFoundError(f"no webhook source named {name!r}", field="source")
        self._sources[name] = source
        return source

    def _forget_sources(self, change: Change) -> None:
        if change.what == "source":
            self._sources.clear()

    def _verify(self, source: Source, headers: Mapping[str, str], body: bytes, now: int) -> None:
        secrets = source.secrets()
        if source.kind == "generic":
            signatures.verify_generic(headers.get("shopdesk-signature"), body, secrets, now=now)
        elif source.kind == "woocommerce":
            signatures.verify_base64(headers.get("x-wc-webhook-signature"), body, secrets,
                                     header_name="X-WC-Webhook-Signature")
        else:
            signatures.verify_base64(headers.get("x-shopify-hmac-sha256"), body, secrets,
                                     header_name="X-Shopify-Hmac-Sha256")

    def _job(self, source: Source, headers: Mapping[str, str], body: bytes, now: datetime) -> _Job:
        kept = {name: headers[name] for name in KEPT_HEADERS if name in headers}
        if source.kind == "generic":
            try:
                mapped = generic.map_event(source.name, body)
            except UnmappableError as error:
                raise ValidationError(error.detail, field=error.field) from None
            return _Job(source=source, received_at=now, headers=kept, body=body,
                        topic=mapped.topic, dedupe_key=mapped.dedupe_key, status="processed",
                        mapped=mapped)
        digest = signatures.body_hash(body)
        if source.kind == "woocommerce":
            topic = headers.get("x-wc-webhook-topic", "")
            fallback_key = f"wc:body:{digest}"
        else:
            topic = headers.get("x-shopify-topic", "")
            webhook_id = headers.get("x-shopify-webhook-id")
            fallback_key = f"shopify:{webhook_id}" if webhook_id else f"body:{digest}"
        try:
            if source.kind == "woocommerce":
                mapped = woocommerce.map_delivery(source.name, topic, body)
            else:
                mapped = shopify.map_delivery(source.name, topic, headers.get("x-shopify-webhook-id"),
                                              body, digest)
        except UnmappableError as error:
            log.warning("quarantined a %s delivery from %s: %s", topic or "(no topic)",
                        source.name, error.detail)
            return _Job(source=source, received_at=now, headers=kept, body=body, topic=topic,
                        dedupe_key=fallback_key, status="quarantined", error=error.detail)
        return _Job(source=source, received_at=now, headers=kept, body=body, topic=topic,
                    dedupe_key=mapped.dedupe_key,
                    status="test" if mapped.is_test else "processed", mapped=mapped)

    async def _open_case(self, source: Source, mapped: Mapped, order_id: int | None) -> str:
        report = mapped.report
        assert report is not None
        case, _created = await self._services.cases.open(
            INTAKE, kind=report.kind, level=report.level, urgent=report.urgent,
            title=report.title, description=report.description, order_id=order_id,
            evidence=list(report.evidence), source="api",
            dedupe_key=f"report:{source.name}:{mapped.report_key or mapped.dedupe_key}",
            data={"webhook_source": source.name},
        )
        return case.ref

    def _publish(self, job: _Job, written: _Written) -> None:
        changes = self._services.changes
        if job.status == "processed" and written.order_id is not None:
            changes.publish(Change(what="order", ref=written.order_ref, actor=INTAKE.name))
        changes.publish(Change(what="delivery", ref=job.source.name, actor=INTAKE.name))

    # --- the writer: group commit --------------------------------------------------------------

    @property
    def written_batches(self) -> int:
        """Transactions the writer ran (a batch that failed and was written again counts once)."""
        return self._writer.batches

    @property
    def written_deliveries(self) -> int:
        return self._writer.items

    async def _submit(self, job: _Job) -> _Written:
        """Written with whatever else is waiting, many deliveries to a transaction (Store's
        GroupWriter; a delivery that breaks the shared transaction fails alone)."""
        return await self._writer.submit((job, _delivery_in(job)))

    async def aclose(self) -> None:
        """Wait for the deliveries already accepted to be written."""
        await self._writer.aclose()
        if self.written_batches:
            log.info("intake wrote %d deliveries in %d transactions", self.written_deliveries,
                     self.written_batches)

    # --- what operators see --------------------------------------------------------------------

    async def problems(self, *, limit: int = 100) -> list[Delivery]:
        """Quarantined deliveries, newest first: bodies that were signed but could not be read."""
        return await delivery_rows.list_deliveries(
            self._services.store.reader, status="quarantined", limit=limit
        )

    async def deliveries(
        self, *, source: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[Delivery]:
        return await delivery_rows.list_deliveries(
            self._services.store.reader, source=source, status=status, limit=limit
        )

    async def count_problems(self) -> int:
        return await delivery_rows.count_deliveries_by_status(
            self._services.store.reader, "quarantined"
        )
