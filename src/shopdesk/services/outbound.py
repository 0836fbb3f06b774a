"""What shopdesk sends: hooks, the outbox, and the events that fill it (docs/outbound.md).

The case service calls `on_case_event` inside the transaction that writes a case event, and the
incident service `on_incident_declared`: each message (one per hook taking the event, one email) is
an outbox row committed with the event or not at all. The serving process's sender
(shopdesk.sending.sender) claims due rows, delivers them and records how each try went here.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiosqlite
import msgspec

from shopdesk.domain import outbound, templates
from shopdesk.domain.cases import Actor, Case, Incident
from shopdesk.domain.errors import ConflictError, NotFoundError, ValidationError
from shopdesk.domain.outbound import (
    EventCase,
    EventIncident,
    EventOrder,
    EventRemedy,
    EventSurvey,
    Hook,
    OutboundEvent,
    Outcome,
    OutboxMessage,
)
from shopdesk.services.changes import Change
from shopdesk.store import cases as case_rows
from shopdesk.store import meta, orders
from shopdesk.store import outbox as outbox_rows

if TYPE_CHECKING:
    from shopdesk.services import Services

log = logging.getLogger(__name__)

SURVEY_KEY = "survey_key"  # store_meta key: the secret survey tokens are signed with
STORE_ID = "store_id"  # store_meta key: a random name of this store, the prefix of event ids
ERROR_CHARS = 500  # what is kept of a receiver's answer or an error


def _escalation_summary(case: Case, data: dict[str, Any]) -> str:
    return f"{case.ref} escalated to {data.get('tier', '?')}: {data.get('reason', '')}".strip()


def _remedy_summary(case: Case, data: dict[str, Any], word: str) -> str:
    amount = ""
    if data.get("amount_minor"):
        from shopdesk.domain.money import format_minor

        amount = f" {format_minor(data['amount_minor'], data.get('currency') or '')}"
    return f"{case.ref}: remedy #{data.get('remedy_id')} ({data.get('type')}{amount}) {word}"


def _event_types(event_type: str, data: dict[str, Any]) -> list[tuple[str, str]]:
    """The outbound events (type, remedy word) a case timeline event makes."""
    if event_type == "opened":
        return [("case.opened", "")]
    if event_type == "escalated":
        return [("case.escalated", "")]
    if event_type == "resolved":
        return [("case.resolved", "")]
    if event_type == "closed" or (event_type == "survey" and data.get("to") == "closed"):
        return [("case.closed", "")]
    if event_type == "remedy_proposed":
        if data.get("status") == "approved":  # within the proposer's limit: approved at once
            return [("remedy.approved", "approved")]
        return [("remedy.awaiting_approval", "awaits approval")]
    if event_type == "remedy_approved":
        return [("remedy.approved", "approved")]
    if event_type == "remedy_done":
        return [("remedy.done", "done")]
    return []


class OutboundService:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._store_id: str | None = None
        self._survey_secret: str | None = None
        self.jitter = random.random  # the sender's backoff jitter (tests may pin it)
        self.retry_base = outbound.RETRY_BASE_SECONDS
        self.retry_cap = outbound.RETRY_CAP_SECONDS
        self.max_age = outbound.MAX_AGE

    @property
    def _store(self):
        return self._services.store

    def chat_lang(self) -> str:
        settings = self._services.settings
        return settings.outbound.chat_lang or settings.lang or "en"

    # --- hooks -------------------------------------------------------------------------------

    async def add_hook(
        self, actor: Actor, name: str, url: str, *, format: str = "shopdesk",
        events: str | list[str] | None = None, only: str | list[str] | None = None,
        secret: str = "",
    ) -> Hook:
        name = outbound.check_hook_name(name)
        outbound.check_format(format)
        event_names = outbound.parse_events(
            ",".join(events) if isinstance(events, list) else events)
        only_words = outbound.parse_only(",".join(only) if isinstance(only, list) else only)
        url = self._check_url(url)
        async with self._store.transaction() as conn:
            if await outbox_rows.find_hook(conn, name) is not None:
                raise ConflictError(f"a hook named {name!r} exists already (hook remove {name})",
                                    field="name")
            hook_id = await outbox_rows.insert_hook(
                conn, name=name, url=url, format=format, events=event_names, only=only_words,
                secret=secret.strip(), at=self._services.now(),
            )
            hook = await outbox_rows.get_hook(conn, hook_id)
        assert hook is not None
        log.info("hook %s added by %s: %s format, events %s", name, actor.name, format,
                 ",".join(event_names) or "all")
        self._services.changes.publish(Change(what="hook", ref=name, actor=actor.name))
        return hook

    def _check_url(self, url: str) -> str:
        api = self._services.settings.api
        return outbound.check_hook_url(url, api_host=api.host, api_port=api.port,
                                       api_names=api.allowed_hosts)

    async def hooks(self) -> list[Hook]:
        return await outbox_rows.list_hooks(self._store.reader)

    async def hook(self, name: str) -> Hook:
        hook = await outbox_rows.find_hook(self._store.reader, name.strip())
        if hook is None:
            raise NotFoundError(f"no hook named {name!r} (see `shopdesk hook list`)", field="name")
        return hook

    async def remove_hook(self, actor: Actor, name: str) -> int:
        """Remove a hook; its messages not yet sent are cancelled. Returns how many."""
        hook = await self.hook(name)
        now = self._services.now()
        cancelled = 0
        async with self._store.transaction() as conn:
            for message in await outbox_rows.list_messages(
                conn, statuses=["pending", "failed"], limit=1_000_000
            ):
                if message.hook_id == hook.id and await outbox_rows.set_status(
                    conn, message.id, status="cancelled", from_statuses=["pending", "failed"],
                    at=now, actor=actor.name,
                ):
                    cancelled += 1
            await outbox_rows.delete_hook(conn, hook.id)
        self._services.changes.publish(Change(what="hook", ref=hook.name, actor=actor.name))
        return cancelled

    async def test_hook(self, name: str) -> Outcome:
        """Send a sample event to the hook now (not through the outbox); how it went."""
        from shopdesk.sending.http_post import HttpPoster

        hook = await self.hook(name)
        now = self._services.now()
        event = OutboundEvent(
            id=f"{await self.store_id()}-test{int(time.time() * 1000)}", type="hook.test",
            occurred_at=now, shop=self._services.settings.shop_name,
            summary=f"a test of hook {hook.name} from shopdesk",
            case=EventCase(ref="C-000000", kind="test", level=1, urgent=False, status="new",
                           tier="operator", title="test"),
        )
        async with HttpPoster(self._services.settings) as poster:
            return await poster.deliver(hook, event, lang=self.chat_lang())

    # --- events into the outbox ------------------------------------------------------------------

    async def store_id(self, conn: aiosqlite.Connection | None = None) -> str:
        if self._store_id is None:
            stored = await meta.get_value(conn or self._store.reader, STORE_ID)
            if stored is None and conn is not None:
                stored = uuid.uuid4().hex[:10]
                await meta.set_value(conn, STORE_ID, stored)
            if stored is None:
                return "sd"
            self._store_id = stored
        return self._store_id

    async def on_case_event(
        self, conn: aiosqlite.Connection, case: Case, event_row_id: int, event_type: str,
        data: dict[str, Any], *, at: datetime,
    ) -> None:
        """In the transaction that wrote the case event: queue what it makes (hooks, survey)."""
        kinds = _event_types(event_type, data)
        if not kinds:
            return
        hooks = await outbox_rows.list_hooks(conn)
        settings = self._services.settings
        survey = (event_type == "resolved" and settings.outbound.survey_on_resolve and bool(
            hooks or (settings.smtp is not None and settings.outbound.survey_url)))
        if not hooks and not survey:
            return
        store_id = await self.store_id(conn)
        event_case = await self._event_case(conn, case)
        for type, word in kinds:
            event = OutboundEvent(
                id=f"{store_id}-ev{event_row_id}", type=type, occurred_at=at,
                shop=self._services.settings.shop_name,
                summary=self._summary(case, type, data, word), case=event_case,
                remedy=self._remedy(data), data=_plain(data),
            )
            await self._enqueue(conn, hooks, event, case.id)
        if survey:
            await self._request_survey(conn, hooks, case, event_case, event_row_id, at=at)

    def _summary(self, case: Case, type: str, data: dict[str, Any], word: str) -> str:
        if type == "case.opened":
            return f"{case.ref} opened: {case.kind} ({data.get('source', case.source)})"
        if type == "case.escalated":
            return _escalation_summary(case, data)
        if type == "case.resolved":
            return f"{case.ref} resolved: {data.get('summary', '')}".strip()
        if type == "case.closed":
            return f"{case.ref} closed"
        return _remedy_summary(case, data, word)

    @staticmethod
    def _remedy(data: dict[str, Any]) -> EventRemedy | None:
        if "remedy_id" not in data:
            return None
        status = str(data.get("status") or "")
        return EventRemedy(id=int(data["remedy_id"]), type=str(data.get("type", "")),
                           amount_minor=int(data.get("amount_minor") or 0),
                           currency=str(data.get("currency") or ""), status=status)

    async def _event_case(self, conn: aiosqlite.Connection, case: Case) -> EventCase:
        order = await orders.get_order(conn, case.order_id) if case.order_id else None
        return EventCase(
            ref=case.ref, kind=case.kind, level=case.level, urgent=case.urgent,
            status=case.status, tier=case.tier, title=case.title, assignee=case.assignee,
            order=EventOrder(source=order.source, external_id=order.external_id,
                             number=order.number) if order else None,
            customer_name=case.customer.name or (order.customer.name if order else ""),
        )

    async def _enqueue(self, conn: aiosqlite.Connection, hooks: list[Hook],
                       event: OutboundEvent, case_id: int | None) -> int:
        queued = 0
        payload = msgspec.to_builtins(event)
        for hook in hooks:
            if hook.takes(event):
                queued += await outbox_rows.insert_message(
                    conn, message_id=outbound.message_id(event.id, f"h{hook.id}"),
                    channel="hook", hook_id=hook.id, target=hook.name, event=event.type,
                    case_id=case_id, payload=payload, at=self._services.now(),
                    next_try=time.time(),
                )
        return queued

    async def on_incident_declared(self, conn: aiosqlite.Connection, incident: Incident) -> None:
        hooks = await outbox_rows.list_hooks(conn)
        if not hooks:
            return
        event = OutboundEvent(
            id=f"{await self.store_id(conn)}-inc{incident.id}", type="incident.declared",
            occurred_at=incident.started_at, shop=self._services.settings.shop_name,
            summary=f"{incident.ref} declared: {incident.title} ({incident.type})",
            incident=EventIncident(ref=incident.ref, title=incident.title, type=incident.type,
                                   level=incident.level),
        )
        await self._enqueue(conn, hooks, event, None)

    async def queue_email(
        self, conn: aiosqlite.Connection, case: Case, *, event_row_id: int, to: str,
        subject: str, body: str, event: str = "email",
    ) -> bool:
        """An email to the customer, sent by the outbox (only with [smtp] configured)."""
        store_id = await self.store_id(conn)
        message_id = outbound.message_id(f"{store_id}-ev{event_row_id}", "email")
        return await outbox_rows.insert_message(
            conn, message_id=message_id, channel="email", hook_id=None, target=to, event=event,
            case_id=case.id, payload={"to": to, "subject": subject, "body": body,
                                      "message_id": message_id},
            at=self._services.now(), next_try=time.time(),
        )

    async def email_for_contact(
        self, conn: aiosqlite.Connection, case: Case, event_row_id: int, *, template: str,
        lang: str | None,
    ) -> str | None:
        """Queue the filled template to the customer's address; the address, or None when
        it is not sent (no [smtp], or no address: then the contact is logged only)."""
        if self._services.settings.smtp is None:
            return None
        order = await orders.get_order(conn, case.order_id) if case.order_id else None
        to = (case.customer.email or (order.customer.email if order else "")).strip()
        if not to:
            return None
        lang = lang or templates.suggested_language(
            case, order, self._services.settings.lang or "en")
        shop = self._services.settings.shop_name
        subject = f"{templates.title(template, lang)} · {shop}"
        if case.order_number or order:
            number = (order.number or order.external_id) if order else case.order_number
            subject = f"{templates.title(template, lang)} · {number} · {shop}"
        body = templates.render(template, lang, case, order, shop)
        await self.queue_email(conn, case, event_row_id=event_row_id, to=to, subject=subject,
                               body=body)
        return to

    async def _request_survey(
        self, conn: aiosqlite.Connection, hooks: list[Hook], case: Case, event_case: EventCase,
        event_row_id: int, *, at: datetime,
    ) -> None:
        from shopdesk.domain.surveys import survey_token

        token = survey_token(await self.survey_key(conn), case.ref)
        answer_path = f"/api/v1/cases/{case.ref}/customer-survey"
        event = OutboundEvent(
            id=f"{await self.store_id(conn)}-survey{event_row_id}", type="survey.requested",
            occurred_at=at, shop=self._services.settings.shop_name,
            summary=f"{case.ref}: the customer is asked how it went",
            case=event_case,
            survey=EventSurvey(token=token, answer_path=answer_path),
        )
        await self._enqueue(conn, hooks, event, case.id)
        settings = self._services.settings
        if settings.smtp is None or not settings.outbound.survey_url:
            return
        order = await orders.get_order(conn, case.order_id) if case.order_id else None
        to = (case.customer.email or (order.customer.email if order else "")).strip()
        if not to:
            return
        lang = templates.suggested_language(case, order, settings.lang or "en")
        link = settings.outbound.survey_url.replace("{ref}", case.ref).replace("{token}", token)
        subject, body = templates.survey_request(lang, case, order, settings.shop_name, link)
        await self.queue_email(conn, case, event_row_id=event_row_id, to=to, subject=subject,
                               body=body, event="survey.requested")

    async def survey_key(self, conn: aiosqlite.Connection | None = None) -> str:
        """The store's secret that survey tokens are signed with (made on first use)."""
        if self._survey_secret is None:
            stored = await meta.get_value(conn or self._store.reader, SURVEY_KEY)
            if stored is None:
                if conn is None:
                    async with self._store.transaction() as writer:
                        return await self.survey_key(writer)
                stored = uuid.uuid4().hex + uuid.uuid4().hex
                await meta.set_value(conn, SURVEY_KEY, stored)
            self._survey_secret = stored
        return self._survey_secret

    async def breach_soon(self) -> int:
        """Queue sla.breach_soon for active cases due within the configured lead, once per case
        and due time (the message id says which); returns how many messages were queued."""
        hooks = [hook for hook in await self.hooks()
                 if not hook.events or "sla.breach_soon" in hook.events]
        if not hooks:
            return 0
        now = self._services.now()
        lead = timedelta(minutes=self._services.settings.outbound.breach_soon_minutes)
        due_soon = await outbox_rows.list_cases_due_between(self._store.reader, now, now + lead)
        if not due_soon:
            return 0
        queued = 0
        async with self._store.transaction() as conn:
            store_id = await self.store_id(conn)
            for case in due_soon:
                assert case.due_at is not None
                minutes = max(0, int((case.due_at - now).total_seconds() // 60))
                event = OutboundEvent(
                    id=f"{store_id}-sla{case.id}-{int(case.due_at.timestamp())}",
                    type="sla.breach_soon", occurred_at=now,
                    shop=self._services.settings.shop_name,
                    summary=f"{case.ref} is due in {minutes} min",
                    case=await self._event_case(conn, case),
                    data={"due_at": case.due_at.isoformat(), "minutes_left": minutes},
                )
                queued += await self._enqueue(conn, hooks, event, case.id)
        return queued

    async def customer_survey(self, via: Actor, ref: str, *, token: str, score: int,
                              comment: str = "") -> Case:
        """The customer's own answer to the survey, brought by a plugin (`via`) with the token
        of survey.requested (or the survey email's link): recorded as answered by the customer."""
        from shopdesk.domain.errors import PermissionDenied
        from shopdesk.domain.surveys import CUSTOMER, is_survey_token

        case = await self._services.cases.get(ref)
        if not is_survey_token(await self.survey_key(), case.ref, token):
            raise PermissionDenied(
                f"the survey token does not belong to {case.ref} (it comes with survey.requested)",
                field="token")
        customer = Actor(name=f"{CUSTOMER} (via {via.name})", role="operator")
        return await self._services.cases.record_survey(
            customer, case.ref, score, comment, answered_by=CUSTOMER)

    # --- the outbox's faces ------------------------------------------------------------------------

    async def list(self, *, failed: bool = False, limit: int = 100) -> list[OutboxMessage]:
        return await outbox_rows.list_messages(
            self._store.reader, statuses=["failed"] if failed else None, limit=limit)

    async def get(self, outbox_id: int) -> OutboxMessage:
        message = await outbox_rows.get_message(self._store.reader, outbox_id)
        if message is None:
            raise NotFoundError(f"no outbox message #{outbox_id}", field="id")
        return message

    async def failed_count(self) -> int:
        return await outbox_rows.count_by_status(self._store.reader, "failed")

    async def pending_count(self) -> int:
        return await outbox_rows.count_by_status(self._store.reader, "pending")

    async def retry(self, actor: Actor, outbox_id: int) -> OutboxMessage:
        """A failed message goes out again now, with a day more to succeed."""
        message = await self.get(outbox_id)
        if message.status != "failed":
            raise ValidationError(
                f"outbox #{outbox_id} is {message.status}: only a failed message is retried",
                field="id")
        if message.channel == "hook" and message.hook_id is None:
            raise ValidationError(f"outbox #{outbox_id}: its hook was removed", field="id")
        async with self._store.transaction() as conn:
            if not await outbox_rows.set_status(
                conn, outbox_id, status="pending", from_statuses=["failed"],
                at=self._services.now(), actor=actor.name, next_try=time.time(),
            ):
                raise ConflictError(f"outbox #{outbox_id} changed meanwhile", field="id")
        self._services.changes.publish(Change(what="outbox", ref=str(outbox_id), actor=actor.name))
        return await self.get(outbox_id)

    async def cancel(self, actor: Actor, outbox_id: int) -> OutboxMessage:
        """A pending or failed message is not sent (any more)."""
        message = await self.get(outbox_id)
        if message.status not in ("pending", "failed"):
            raise ValidationError(
                f"outbox #{outbox_id} is {message.status}: only a pending or failed message "
                "can be cancelled", field="id")
        async with self._store.transaction() as conn:
            if not await outbox_rows.set_status(
                conn, outbox_id, status="cancelled", from_statuses=["pending", "failed"],
                at=self._services.now(), actor=actor.name,
            ):
                raise ConflictError(
                    f"outbox #{outbox_id} is being sent right now; try again", field="id")
        self._services.changes.publish(Change(what="outbox", ref=str(outbox_id), actor=actor.name))
        return await self.get(outbox_id)

    # --- the sender's side --------------------------------------------------------------------------

    async def release_sending(self) -> int:
        """At the sender's start: what a killed sender left mid-send is due again (same ids)."""
        async with self._store.transaction() as conn:
            released = await outbox_rows.release_sending(conn, time.time())
        if released:
            log.info("outbox: %d messages were being sent when shopdesk stopped: sending again",
                     released)
        return released

    async def next_try(self) -> float | None:
        return await outbox_rows.next_try(self._store.reader)

    async def claim(self, limit: int) -> list[OutboxMessage]:
        async with self._store.transaction() as conn:
            return await outbox_rows.claim_due(
                conn, now=time.time(), at=self._services.now(), limit=limit)

    async def hook_by_id(self, hook_id: int | None) -> Hook | None:
        if hook_id is None:
            return None
        return await outbox_rows.get_hook(self._store.reader, hook_id)

    async def record(self, results: list[tuple[OutboxMessage, Outcome]]) -> None:
        """How each try went, all in one transaction: sent, due again later, or failed for good
        (then, and for emails, the case's timeline says so)."""
        if not results:
            return
        now = self._services.now()
        refs: set[str] = set()
        async with self._store.transaction() as conn:
            for message, outcome in results:
                answer = outcome.answer[:ERROR_CHARS]
                if outcome.ok:
                    await outbox_rows.mark_sent(conn, message.id, at=now, answer=answer)
                    if message.channel == "email" and message.case_id is not None:
                        await self._timeline(conn, message, "email_sent", answer, now)
                        refs.add(message.case_ref or "")
                    continue
                final = outcome.permanent or outbound.gives_up(message.created_at, now,
                                                               self.max_age)
                if final:
                    await outbox_rows.mark_failed(conn, message.id, at=now, error=answer)
                    log.warning("outbox #%d (%s to %s) failed for good after %d tries: %s",
                                message.id, message.event, message.target, message.attempts,
                                answer)
                else:
                    delay = outbound.retry_delay(message.attempts, self.jitter(),
                                                 base=self.retry_base, cap=self.retry_cap)
                    await outbox_rows.mark_retry(conn, message.id, next_try=time.time() + delay,
                                                 error=answer)
                if message.case_id is not None and (final or (
                        message.channel == "email" and message.attempts == 1)):
                    kind = "email_failed" if message.channel == "email" else "hook_failed"
                    await self._timeline(conn, message, kind, answer, now, final=final)
                    refs.add(message.case_ref or "")
        for ref in refs:
            self._services.changes.publish(Change(what="case_changed", ref=ref,
                                                  actor="shopdesk"))
        if any(not outcome.ok for _, outcome in results):
            self._services.changes.publish(Change(what="outbox", actor="shopdesk"))

    async def _timeline(self, conn: aiosqlite.Connection, message: OutboxMessage, kind: str,
                        answer: str, now: datetime, *, final: bool = True) -> None:
        assert message.case_id is not None
        data: dict[str, Any] = {"outbox": message.id, "to": message.target,
                                "event": message.event, "answer": answer}
        if message.channel == "email":
            data["subject"] = message.payload.get("subject", "")
        if kind.endswith("_failed"):
            data["final"] = final
            data["attempts"] = message.attempts
        await case_rows.insert_event(conn, message.case_id, at=now, actor="shopdesk", type=kind,
                                     data=data)


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """A case event's data as plain JSON values (what a plugin can read)."""
    return msgspec.to_builtins(data)

