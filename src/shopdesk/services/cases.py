"""Case use cases: open, triage, assign, note, contact, wait, escalate, remedies, resolve, close …

Each write loads the case inside `store.transaction()`, asks the domain whether the move is allowed,
writes the change and its timeline event in the same transaction, then publishes a Change.
An edit against a stale version is refused with who changed the case and when; nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import aiosqlite
import msgspec

from shopdesk.domain import kinds, remedies, templates, workflow
from shopdesk.domain.cases import (
    Actor,
    Case,
    CaseDetail,
    Customer,
    Order,
    Remedy,
    is_bare_number,
    parse_case_ref,
)
from shopdesk.domain.errors import (
    ConflictError,
    NotFoundError,
    PermissionDenied,
    TransitionError,
    ValidationError,
)
from shopdesk.domain.detection import Finding, clears_by_itself
from shopdesk.domain.filters import CaseFilter
from shopdesk.domain.money import format_minor
from shopdesk.domain.sla import ClockState
from shopdesk.domain.sla_policy import clocks, compute_dues, dues_of_many, fingerprint, owner_due
from shopdesk.domain.workflow import TIERS
from shopdesk.services.changes import Change
from shopdesk.services.operators import require_writer
from shopdesk.store import cases as case_rows
from shopdesk.store import detection as detection_rows
from shopdesk.store import followups, incidents, meta, orders
from shopdesk.store import sources as source_rows

if TYPE_CHECKING:
    from shopdesk.services import Services

log = logging.getLogger(__name__)

SYSTEM = Actor(name="shopdesk", role="owner")
RECOMPUTE_BATCH = 500  # cases per batch when due times are recomputed after a policy change
# Moves that end a case's work, refused while a remedy is proposed or approved -> their -ing words.
_ENDS_REMEDIES: dict[str, str] = {"resolve": "resolving", "void": "voiding"}
# Order sources that are shopdesk's own rather than a webhook source.
OWN_ORDER_SOURCES: frozenset[str] = frozenset({"api", "manual", "demo"})


def _required(text: str | None, field: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(
            f"{what} is required", field=field, code="required", params={"input": field, "what": what}
        )
    return text


def _other_currency_reason(currency: str, limit_currency: str) -> str:
    return (f"approval limits are in the shop's currency {limit_currency.upper()} and an amount in "
            f"{currency.upper()} cannot be compared with them")


def _remedy_name(remedy: Remedy) -> str:
    """#69 (refund_full 4,000.00 CNY), #12 (reship): a remedy as a refusal names it."""
    amount = f" {format_minor(remedy.amount_minor, remedy.currency)}" if remedy.amount_minor else ""
    return f"#{remedy.id} ({remedy.type}{amount})"


class CaseService:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._dues_checked_for = None  # the policy the store's due times were checked against
        self._dues_lock = asyncio.Lock()

    @property
    def _store(self):
        return self._services.store

    # --- reading -------------------------------------------------------------------------

    async def get(self, ref: str) -> Case:
        await self.ensure_due_times()
        case = await case_rows.get_case(self._store.reader, ref.strip().upper())
        if case is None:
            raise NotFoundError(
                f"no case {ref}", field="ref", code="no_case", params={"ref": ref}
            )
        return case

    async def detail(self, ref: str) -> CaseDetail:
        conn = self._store.reader
        case = await self.get(ref)
        return CaseDetail(
            case=case,
            order=await orders.get_order(conn, case.order_id) if case.order_id else None,
            events=await case_rows.list_events(conn, case.id),
            remedies=await followups.list_remedies(conn, case.id),
            contacts=await followups.list_contacts(conn, case.id),
            survey=await followups.get_survey(conn, case.id),
            incidents=await incidents.incidents_of_case(conn, case.id),
        )

    async def clocks(self, case: Case) -> tuple[ClockState, ClockState]:
        """(first response, resolution) clocks of a case, each on its own: the clocks whose due
        times the case stores (the queue, the sweep and `cases list` read those)."""
        await self.ensure_due_times()
        pauses = await case_rows.list_pauses(self._store.reader, case.id)
        return clocks(
            self._services.policy,
            level=case.level,
            kind=case.kind,
            urgent=case.urgent,
            opened_at=case.opened_at,
            first_response_at=case.first_response_at,
            resolved_at=case.resolved_at,
            pauses=pauses,
            now=self._services.now(),
            reopened_at=case.reopened_at,
        )

    async def list(
        self, case_filter: CaseFilter | None = None, *, limit: int = 100, offset: int = 0,
        sort: str = "queue",
    ) -> list[Case]:
        """Cases matching the filter, in queue order (overdue, urgent, level, due) or `sort`."""
        if sort not in case_rows.SORTS:
            raise ValidationError(
                f"unknown sort {sort!r}; expected one of: {', '.join(case_rows.SORTS)}",
                field="sort",
                code="unknown_value",
                params={"input": "sort", "value": sort, "allowed": list(case_rows.SORTS)},
            )
        await self.ensure_due_times()
        case_filter = case_filter or CaseFilter()
        page = (case_rows.list_cases_walking if case_rows.walks(case_filter)
                else case_rows.list_cases)
        return await page(
            self._store.reader, case_filter, self._services.now(),
            limit=limit, offset=offset, sort=sort,
        )

    async def count(self, case_filter: CaseFilter | None = None) -> int:
        await self.ensure_due_times()
        return await case_rows.count_cases(
            self._store.reader, case_filter or CaseFilter(), self._services.now()
        )

    async def find(self, text: str, *, limit: int = 50) -> list[Case]:
        """The cases what a caller gives points to, in any status (closed ones too): a case ref
        (C-000036, c-36) if that case exists, else every case whose order number, customer
        phone/name/email or tracking number contains the text, newest first. A bare number (600)
        that is a case number and also exactly an order number, tracking number or phone gives
        the cases those point to first and the case numbered 600 last, for the caller to pick."""
        text = _required(text, "q", "a case ref, order number, phone or tracking number")
        await self.ensure_due_times()
        ref = parse_case_ref(text)
        if ref is not None:
            case = await case_rows.get_case(self._store.reader, ref)
            if case is not None:
                if not is_bare_number(text):
                    return [case]
                others = await case_rows.list_cases_by_handle(
                    self._store.reader, text.strip(), limit=limit)
                return [*(other for other in others if other.id != case.id)][:limit - 1] + [case]
        return await self.list(CaseFilter(q=text.removeprefix("#") or text), limit=limit,
                               sort="newest")

    async def find_one(self, text: str) -> Case:
        """The case `text` names for a command that acts on one (CLI, API): C-000036 or c-36, or a
        bare 36 when nothing else (an order number, tracking number or phone) is exactly 36 —
        otherwise refused, naming the cases it could be."""
        ref = parse_case_ref(text)
        if ref is None:
            return await self.get(text)
        found = await self.find(text, limit=6) if is_bare_number(text) else []
        if len(found) <= 1:
            return await self.get(ref)
        number = text.strip()
        candidates = ", ".join(
            f"{case.ref} (case number {number})" if case.ref == ref
            else f"{case.ref} (order {case.order_number or '?'}"
                 f"{', ' + case.customer.name if case.customer.name else ''})"
            for case in [*found[:-1][:4], found[-1]])  # the case numbered so comes last
        raise ValidationError(
            f"{number} could be {candidates}: say {ref} for the case, or its order's case ref",
            field="ref",
        )

    async def page(
        self, case_filter: CaseFilter, *, limit: int, after: list[Any] | None = None,
        now: datetime | None = None,
    ) -> tuple[list[Case], list[Any] | None]:
        """A page of cases in queue order after `after` (the position the previous page ended
        at), judged overdue at `now` (when the walk began: the order holds while it goes on);
        with the position to go on from, None on the last page. A case that changed or arrived
        meanwhile does not shift the others: none is skipped, none comes twice."""
        await self.ensure_due_times()
        now = now or self._services.now()
        cases = await case_rows.list_cases(self._store.reader, case_filter, now, limit=limit + 1,
                                           after=after)
        if len(cases) <= limit:
            return cases, None
        return cases[:limit], case_rows.queue_position(cases[limit - 1], now)

    async def pending_remedies(self) -> list[Remedy]:
        return await followups.list_pending_remedies(self._store.reader)

    # --- the write path ------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _editing(
        self, ref: str, expected_version: int | None
    ) -> AsyncIterator[tuple[aiosqlite.Connection, Case]]:
        await self.ensure_due_times()
        async with self._store.transaction() as conn:
            case = await case_rows.get_case(conn, ref.strip().upper())
            if case is None:
                raise NotFoundError(
                    f"no case {ref}", field="ref", code="no_case", params={"ref": ref}
                )
            if expected_version is not None and case.version != expected_version:
                raise self._stale(case)
            yield conn, case

    def _stale(self, case: Case) -> ConflictError:
        zone = ZoneInfo(self._services.settings.timezone)
        when = case.updated_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        return ConflictError(
            f"{case.ref} was changed by {case.updated_by} at {when}; reload it and try again",
            field="version",
            code="stale",
            params={"ref": case.ref, "who": case.updated_by, "when": when},
        )

    async def _save(
        self,
        conn: aiosqlite.Connection,
        case: Case,
        actor: Actor,
        event_type: str,
        data: dict[str, Any],
        values: dict[str, Any] | None = None,
        *,
        now: datetime,
        recompute: bool = False,
    ) -> int:
        """Write the change and its timeline event (and what it sends: the outbox); the event's id."""
        require_writer(actor)
        values = dict(values or {})
        if recompute or "status" in values or "level" in values or "urgent" in values:
            values.update(await self._dues(conn, case, values))
        event_id = await case_rows.update_case_logged(
            conn, case.id, case.version, values, at=now, actor=actor.name, event_type=event_type,
            data=data,
        )
        if event_id is None:
            raise self._stale(case)
        await self._services.outbound.on_case_event(
            conn, _as_saved(case, values), event_id, event_type, data, at=now)
        return event_id

    async def ensure_due_times(self) -> int:
        """Make the stored due times of active cases this SLA policy's: when the store's were
        computed with another one (a holiday declared, business hours or targets changed, or
        older rules), recompute them in batches — each batch computed off the event loop and
        written in its own short transaction — and record the policy's fingerprint. Checked
        before the first read or write and again whenever the policy changes; returns how many
        cases were recomputed. While a recompute after a live change runs, reads go on (on the
        due times as they are) instead of waiting for it."""
        await self._services.shop.ensure_loaded()
        policy = self._services.policy
        if self._dues_checked_for is policy:
            return 0
        if self._dues_lock.locked() and self._dues_checked_for is not None:
            return 0  # a recompute after a live change is under way
        async with self._dues_lock:
            policy = self._services.policy
            if self._dues_checked_for is policy:
                return 0
            wanted = fingerprint(policy)
            stored = await meta.get_value(self._store.reader, meta.SLA_FINGERPRINT)
            recomputed = 0
            if stored != wanted:
                recomputed = await self._recompute_due_times(policy, wanted)
                if recomputed:
                    log.info("SLA policy changed (%s -> %s): recomputed the due times of %d "
                             "active cases", stored or "none", wanted, recomputed)
            self._dues_checked_for = policy
            return recomputed

    async def _recompute_due_times(self, policy, wanted: str) -> int:
        """Recompute every active case's due times with `policy`, RECOMPUTE_BATCH cases at a
        time; stops early when another process finished the same recompute meanwhile."""
        after, recomputed = 0, 0
        while True:
            facts, pauses = await case_rows.clock_facts_after(
                self._store.reader, after, RECOMPUTE_BATCH)
            if not facts:
                break
            dues = await asyncio.to_thread(_dues_giving_way, policy, facts, pauses)
            if dues:
                async with self._store.transaction() as conn:
                    if await meta.get_value(conn, meta.SLA_FINGERPRINT) == wanted:
                        return recomputed  # another shopdesk did it meanwhile
                    await case_rows.set_due_times_if_unchanged(conn, [
                        (case.id, case.version, due.first_response_due_at, due.resolution_due_at,
                         due.due_at) for case, due in dues
                    ])
            recomputed += len(facts)
            after = facts[-1].id
            if self._services.policy is not policy:
                return recomputed  # changed again meanwhile: the next check starts over
        async with self._store.transaction() as conn:
            await meta.set_value(conn, meta.SLA_FINGERPRINT, wanted)
        return recomputed

    async def _dues_of_another_policy(self) -> bool:
        """True when the store's due times were recomputed since this Services checked them, by
        a shopdesk with another SLA config: this one's config is out of date."""
        stored = await meta.get_value(self._store.reader, meta.SLA_FINGERPRINT)
        return stored is not None and stored != fingerprint(self._services.policy)

    async def _dues(
        self, conn: aiosqlite.Connection, case: Case, values: dict[str, Any]
    ) -> dict[str, Any]:
        pauses = await case_rows.list_pauses(conn, case.id)
        dues = compute_dues(
            self._services.policy,
            level=values.get("level", case.level),
            kind=values.get("kind", case.kind),
            urgent=values.get("urgent", case.urgent),
            status=values.get("status", case.status),
            opened_at=case.opened_at,
            first_response_at=values.get("first_response_at", case.first_response_at),
            pauses=pauses,
            reopened_at=values.get("reopened_at", case.reopened_at),
        )
        return {
            "first_response_due_at": dues.first_response_due_at,
            "resolution_due_at": dues.resolution_due_at,
            "due_at": dues.due_at,
        }

    def _published(self, case: Case, actor: Actor, what: str = "case_changed") -> None:
        self._services.changes.publish(
            Change(what=what, ref=case.ref, level=case.level, urgent=case.urgent, actor=actor.name)
        )

    async def _reloaded(self, ref: str) -> Case:
        case = await case_rows.get_case(self._store.own_view, ref.strip().upper())
        assert case is not None
        return case

    async def _committed(self, case: Case, actor: Actor) -> Case:
        """After the commit: the case as it is now, published with its new level and urgency."""
        updated = await self._reloaded(case.ref)
        self._published(updated, actor)
        return updated

    async def _transition(
        self,
        actor: Actor,
        ref: str,
        action: str,
        *,
        expected_version: int | None,
        data: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None,
        event_type: str | None = None,
    ) -> Case:
        require_writer(actor)
        async with self._editing(ref, expected_version) as (conn, case):
            now = self._services.now()
            status = workflow.next_status(action, case.status)
            workflow.require_decider(actor.role, action, case.status, case.tier)
            if action in _ENDS_REMEDIES:
                await self._refuse_pending_remedies(conn, case, action)
            changes = {"status": status, **(values or {})}
            event_data = {"from": case.status, "to": status, **(data or {})}
            await self._on_status_change(conn, case, status, now)
            if status == "resolved":
                changes.setdefault("resolved_at", now)
            if status == "closed":
                changes.setdefault("closed_at", now)
            if action == "reopen":
                # A new resolution clock from now; the first response was made in the case's
                # first life (its resolution told the customer, as the reports count it).
                changes.update(resolved_at=None, closed_at=None, reopened_at=now,
                               first_response_at=case.first_response_at or case.resolved_at)
                if case.rule is not None and case.rule_subject is not None and (
                        await detection_rows.live_case(conn, case.rule, case.rule_subject)):
                    # the rule found it again meanwhile and opened a new case: that one is the
                    # live case of the rule; this one comes back as a case of its own
                    changes["rule_subject"] = None
            if action in ("return", "reopen") and case.tier != TIERS[0]:
                # The escalation is over: a new question goes up from the first tier again.
                changes["tier"] = TIERS[0]
                event_data["tier"] = {"from": case.tier, "to": TIERS[0]}
            await self._save(conn, case, actor, event_type or action, event_data, changes, now=now)
        return await self._committed(case, actor)

    async def _refuse_pending_remedies(
        self, conn: aiosqlite.Connection, case: Case, action: str
    ) -> None:
        """A case is not resolved or voided while a remedy still awaits its decision or its doing:
        an approved refund would stay live on an ended case."""
        for remedy in await followups.list_remedies(conn, case.id):
            if remedy.status in ("proposed", "approved"):
                raise ValidationError(
                    f"remedy {_remedy_name(remedy)} is {remedy.status}: complete or reject it "
                    f"before {_ENDS_REMEDIES[action]}",
                    field="remedies",
                    code="remedy_pending",
                    params={"remedy": remedy.id, "type": remedy.type,
                            "status": remedy.status, "action": action},
                )

    async def _on_status_change(
        self, conn: aiosqlite.Connection, case: Case, status: str, now: datetime
    ) -> None:
        """Open or close the SLA pause as the case enters or leaves `waiting`."""
        if status == "waiting" and case.status != "waiting":
            await case_rows.open_pause(conn, case.id, now)
        elif case.status == "waiting" and status != "waiting":
            await case_rows.close_pause(conn, case.id, now)

    # --- opening ---------------------------------------------------------------------------

    async def open(
        self,
        actor: Actor,
        *,
        kind: str,
        level: int = 1,
        urgent: bool = False,
        title: str = "",
        description: str = "",
        order_id: int | None = None,
        order: Order | None = None,
        customer: Customer | None = None,
        evidence: list[str] | None = None,
        source: str = "manual",
        dedupe_key: str | None = None,
        request_hash: str | None = None,
        assignee: str | None = None,
        department: str | None = None,
        opened_at: datetime | None = None,
        data: dict[str, Any] | None = None,
        finding: Finding | None = None,
    ) -> tuple[Case, bool]:
        """Open a case; returns (case, created). With a dedupe_key seen before, the earlier case —
        unless both requests carry a `request_hash` and they differ: the key was reused for another
        request (ConflictError naming `dedupe_key`). A detection `finding` opens one live case per
        rule and subject (a unique index: the event path and the sweep racing open one); the
        loser gets the winner's case.

        `order` is a reported copy of the case's order (instead of an `order_id`): an order shopdesk
        already follows is linked, not overwritten; a new one is stored with the case. Either both
        are stored or nothing is."""
        require_writer(actor)
        kinds.check_kind(kind)
        kinds.check_level(level)
        if department is not None:
            kinds.check_department(department)
        title = title.strip() or kind.replace("_", " ")
        await self.ensure_due_times()
        try:
            return await self._insert(
                actor, kind=kind, level=level, urgent=urgent, title=title,
                description=description, order_id=order_id, order=order, customer=customer,
                evidence=evidence, source=source, dedupe_key=dedupe_key,
                request_hash=request_hash, assignee=assignee, department=department,
                opened_at=opened_at, data=data, finding=finding,
            )
        except sqlite3.IntegrityError:
            if finding is None:
                raise
            winner = await detection_rows.live_case(self._store.reader, finding.rule,
                                                    finding.subject)
            if winner is None:
                raise
            return winner, False

    async def _insert(
        self, actor: Actor, *, kind: str, level: int, urgent: bool, title: str, description: str,
        order_id: int | None, order: Order | None, customer: Customer | None,
        evidence: list[str] | None, source: str, dedupe_key: str | None,
        request_hash: str | None, assignee: str | None, department: str | None,
        opened_at: datetime | None, data: dict[str, Any] | None, finding: Finding | None,
    ) -> tuple[Case, bool]:
        # Whether an active incident takes new cases in, asked before the write (on the reader):
        # most of the time none does, and the transaction then holds the lock no longer for it.
        following = await self._services.incidents.any_following()
        async with self._store.transaction() as conn:
            if dedupe_key is not None:
                existing = await case_rows.find_by_dedupe_key(conn, dedupe_key)
                if existing is not None:
                    first_hash = await case_rows.request_hash(conn, existing.id)
                    if request_hash and first_hash and first_hash != request_hash:
                        raise ConflictError(
                            f"key reused with a different request: it opened {existing.ref} "
                            "for another one",
                            field="dedupe_key",
                            code="key_reused",
                            params={"ref": existing.ref},
                        )
                    return existing, False
            now = self._services.now()
            opened = opened_at or now
            new_order = False
            if order is not None:
                order_id, new_order = await self._link_order(conn, order, now)
            if customer is None and order_id is not None:
                linked = await orders.get_order(conn, order_id)
                if linked is None:
                    raise NotFoundError(
                        f"no order {order_id}", field="order_id", code="no_order",
                        params={"order": order_id},
                    )
                customer = linked.customer
            values: dict[str, Any] = {
                "kind": kind, "level": level, "urgent": urgent, "status": "new", "tier": "operator",
                "title": title, "description": description, "order_id": order_id,
                "customer": customer or Customer(), "evidence": list(evidence or []),
                "source": source, "dedupe_key": dedupe_key, "request_hash": request_hash,
                "opened_by": actor.name,
                "opened_at": opened, "assignee": assignee, "department": department,
            }
            if finding is not None:
                values.update(rule=finding.rule, rule_subject=finding.subject,
                              rule_evidence=finding.evidence)
            dues = compute_dues(
                self._services.policy, level=level, kind=kind, urgent=urgent, status="new",
                opened_at=opened, first_response_at=None, pauses=[],
            )
            values.update(
                first_response_due_at=dues.first_response_due_at,
                resolution_due_at=dues.resolution_due_at,
                due_at=dues.due_at,
            )
            case_id = await case_rows.insert_case(conn, values, at=now, actor=actor.name)
            opened_data = {"kind": kind, "level": level, "urgent": urgent, "source": source,
                           **(data or {})}
            event_id = await case_rows.insert_event(
                conn, case_id, at=opened, actor=actor.name, type="opened", data=opened_data,
            )
            # An active incident whose filter it matches takes it in (a note on its timeline).
            joined = (await self._services.incidents.join_on_arrival(conn, case_id, actor, now)
                      if following else [])
            case = await case_rows.get_case_by_id(conn, case_id)
            assert case is not None
            await self._services.outbound.on_case_event(
                conn, case, event_id, "opened", opened_data, at=opened)
        assert case is not None
        for incident in joined:
            self._services.changes.publish(
                Change(what="incident", ref=incident.ref, actor=actor.name))
        if new_order:
            assert order is not None
            self._services.changes.publish(
                Change(what="order", ref=order.number or order.external_id)
            )
        self._published(case, actor, "case_opened")
        return case, True

    async def _link_order(
        self, conn: aiosqlite.Connection, order: Order, now: datetime
    ) -> tuple[int, bool]:
        """(order id, stored now): the order shopdesk knows as (source, id), or the copy stored.
        The source is a webhook source, or one of shopdesk's own (`api`, `manual`, `demo`)."""
        if order.source not in OWN_ORDER_SOURCES and (
            await source_rows.get_source(conn, order.source) is None
        ):
            raise NotFoundError(
                f"no webhook source named {order.source!r} (see `shopdesk source list`); leave "
                "order_source out to file the order under 'api'",
                field="order_source",
                code="no_source",
                params={"source": order.source},
            )
        known = await orders.find_order(conn, order.source, order.external_id)
        if known is not None:
            assert known.id is not None
            return known.id, False
        return await orders.upsert_order(conn, order, now), True

    # --- triage and people -----------------------------------------------------------------

    async def triage(
        self,
        actor: Actor,
        ref: str,
        *,
        kind: str | None = None,
        level: int | None = None,
        urgent: bool | None = None,
        expected_version: int | None = None,
    ) -> Case:
        """Classify and grade (核对信息、分类、分级). A new case becomes open (acknowledged)."""
        if kind is not None:
            kinds.check_kind(kind)
        if level is not None:
            kinds.check_level(level)
        async with self._editing(ref, expected_version) as (conn, case):
            if not workflow.is_active(case.status):
                raise TransitionError("triage", case.status, workflow.allowed_actions(case.status))
            now = self._services.now()
            values: dict[str, Any] = {}
            data: dict[str, Any] = {}
            for name, value in (("kind", kind), ("level", level), ("urgent", urgent)):
                if value is not None and value != getattr(case, name):
                    values[name] = value
                    data[name] = {"from": getattr(case, name), "to": value}
            if case.status == "new":
                values["status"] = workflow.next_status("acknowledge", case.status)
                data["status"] = {"from": "new", "to": values["status"]}
            if not values:
                return case
            await self._save(conn, case, actor, "triaged", data, values, now=now, recompute=True)
        return await self._committed(case, actor)

    async def set_urgent(
        self, actor: Actor, ref: str, urgent: bool, *, expected_version: int | None = None
    ) -> Case:
        async with self._editing(ref, expected_version) as (conn, case):
            if not workflow.is_active(case.status):
                raise TransitionError(
                    "mark urgent", case.status, workflow.allowed_actions(case.status)
                )
            if case.urgent == urgent:
                return case
            now = self._services.now()
            await self._save(
                conn, case, actor, "urgent_set" if urgent else "urgent_cleared",
                {"urgent": urgent}, {"urgent": urgent}, now=now,
            )
        return await self._committed(case, actor)

    async def assign(
        self, actor: Actor, ref: str, assignee: str | None, *, expected_version: int | None = None
    ) -> Case:
        assignee = (assignee or "").strip() or None
        operators = self._services.operators.active_names()
        if assignee and operators and assignee not in operators:  # a typo is no new assignee
            raise ValidationError(
                f"{assignee!r} is no operator of this store; operators: {', '.join(operators)}",
                field="assignee", code="unknown_assignee",
                params={"assignee": assignee, "operators": ", ".join(operators)},
            )
        async with self._editing(ref, expected_version) as (conn, case):
            if case.status in workflow.FINAL_STATUSES:
                raise TransitionError("assign", case.status, workflow.allowed_actions(case.status))
            if assignee == case.assignee:
                return case
            now = self._services.now()
            await self._save(
                conn, case, actor, "assigned", {"from": case.assignee, "to": assignee},
                {"assignee": assignee}, now=now,
            )
        return await self._committed(case, actor)

    async def take(self, actor: Actor, ref: str, *, expected_version: int | None = None) -> Case:
        return await self.assign(actor, ref, actor.name, expected_version=expected_version)

    async def add_note(
        self, actor: Actor, ref: str, text: str, *, expected_version: int | None = None
    ) -> Case:
        text = _required(text, "text", "a note's text")
        async with self._editing(ref, expected_version) as (conn, case):
            await self._save(conn, case, actor, "note", {"text": text}, now=self._services.now())
        return await self._committed(case, actor)

    async def log_contact(
        self,
        actor: Actor,
        ref: str,
        *,
        channel: str,
        direction: str = "outbound",
        summary: str,
        template: str | None = None,
        next_follow_up_at: datetime | None = None,
        expected_version: int | None = None,
        lang: str | None = None,
    ) -> Case:
        """Log a contact with the customer (沟通与反馈). The first outbound one is the first response.
        An outbound email with a template is sent too when [smtp] is configured (in `lang`, else
        the customer's suggested language); the timeline then says sent or failed."""
        kinds.check_channel(channel)
        kinds.check_direction(direction)
        if template is not None:
            templates.check_template(template)
            if not (summary or "").strip():  # "Delay notice sent" when nothing else is said
                summary = f"{templates.title(template, 'en')} sent"
        summary = _required(summary, "summary", "a contact's summary")
        async with self._editing(ref, expected_version) as (conn, case):
            if case.status == "void":
                raise TransitionError("log a contact on", case.status, [])
            now = self._services.now()
            if next_follow_up_at is not None and next_follow_up_at < now:
                raise ValidationError(
                    "the next follow-up is in the past", field="next_follow_up_at",
                    code="follow_up_past",
                )
            await followups.insert_contact(
                conn, case.id, at=now, actor=actor.name, channel=channel, direction=direction,
                template=template, summary=summary, next_follow_up_at=next_follow_up_at,
            )
            values: dict[str, Any] = {}
            first = direction == "outbound" and case.first_response_at is None
            if first:
                values["first_response_at"] = now
            event_id = await self._save(
                conn, case, actor, "contact",
                {"channel": channel, "direction": direction, "template": template,
                 "summary": summary, "first_response": first},
                values, now=now, recompute=first,
            )
            if channel == "email" and direction == "outbound" and template:
                await self._services.outbound.email_for_contact(
                    conn, case, event_id, template=template, lang=lang)
        return await self._committed(case, actor)

    # --- workflow moves ----------------------------------------------------------------------

    async def wait(
        self, actor: Actor, ref: str, *, on: str = "customer", note: str = "",
        expected_version: int | None = None,
    ) -> Case:
        """Wait on the customer, carrier or supplier: the SLA clock pauses."""
        if on not in ("customer", "carrier", "supplier", "warehouse", "platform"):
            raise ValidationError(
                f"cannot wait on {on!r}", field="on", code="unknown_value",
                params={"input": "on", "value": on},
            )
        return await self._transition(
            actor, ref, "wait", expected_version=expected_version, data={"on": on, "note": note}
        )

    async def resume(
        self, actor: Actor, ref: str, *, note: str = "", expected_version: int | None = None
    ) -> Case:
        return await self._transition(
            actor, ref, "resume", expected_version=expected_version, data={"note": note}
        )

    async def escalate(
        self, actor: Actor, ref: str, reason: str, *, expected_version: int | None = None
    ) -> Case:
        """Ask a higher tier to decide (上报): operator → supervisor → owner. A reason is required."""
        reason = _required(reason, "reason", "a reason to escalate")
        async with self._editing(ref, expected_version) as (conn, case):
            status = workflow.next_status("escalate", case.status)
            tier = workflow.next_tier(case.tier)
            now = self._services.now()
            await self._on_status_change(conn, case, status, now)
            await self._save(
                conn, case, actor, "escalated",
                {"from": case.status, "to": status, "tier": tier, "reason": reason},
                {"status": status, "tier": tier}, now=now,
            )
        return await self._committed(case, actor)

    async def return_to_operator(
        self, actor: Actor, ref: str, decision: str, *, expected_version: int | None = None
    ) -> Case:
        """The supervisor's decision sends the case back to work (escalated → open)."""
        decision = _required(decision, "decision", "the decision")
        return await self._transition(
            actor, ref, "return", expected_version=expected_version,
            data={"decision": decision}, event_type="decided",
        )

    async def resolve(
        self, actor: Actor, ref: str, summary: str, *, expected_version: int | None = None
    ) -> Case:
        """Remedy done and customer told. Refused while a remedy still awaits a decision or its doing."""
        summary = _required(summary, "summary", "a resolution summary")
        return await self._transition(
            actor, ref, "resolve", expected_version=expected_version,
            data={"summary": summary}, values={"resolution": summary}, event_type="resolved",
        )

    async def close(self, actor: Actor, ref: str, *, expected_version: int | None = None) -> Case:
        return await self._transition(
            actor, ref, "close", expected_version=expected_version, event_type="closed"
        )

    async def reopen(
        self, actor: Actor, ref: str, reason: str, *, expected_version: int | None = None
    ) -> Case:
        reason = _required(reason, "reason", "a reason to reopen")
        return await self._transition(
            actor, ref, "reopen", expected_version=expected_version, data={"reason": reason},
            event_type="reopened",
        )

    async def void(
        self, actor: Actor, ref: str, reason: str, *, expected_version: int | None = None
    ) -> Case:
        """End a case that was a mistake or a duplicate."""
        reason = _required(reason, "reason", "a reason to void")
        return await self._transition(
            actor, ref, "void", expected_version=expected_version, data={"reason": reason},
            event_type="voided",
        )

    # --- responsibility ------------------------------------------------------------------------

    async def set_responsibility(
        self,
        actor: Actor,
        ref: str,
        *,
        party: str,
        department: str | None = None,
        joint_department: str | None = None,
        root_cause: str | None = None,
        expected_version: int | None = None,
    ) -> Case:
        """责任划分: the responsible party and department, and a jointly responsible one (连带责任)."""
        kinds.check_party(party)
        if department is not None:
            kinds.check_department(department)
        if joint_department is not None:
            kinds.check_department(joint_department)
            if joint_department == department:
                raise ValidationError(
                    "the jointly responsible department must differ from the responsible one",
                    field="joint_department",
                    code="joint_same",
                )
        async with self._editing(ref, expected_version) as (conn, case):
            if case.status == "void":
                raise TransitionError("set responsibility on", case.status, [])
            values: dict[str, Any] = {
                "responsible_party": party,
                "responsible_department": department,
                "joint_department": joint_department,
            }
            if root_cause is not None:
                values["root_cause"] = root_cause.strip()
            await self._save(
                conn, case, actor, "responsibility", dict(values), values,
                now=self._services.now(),
            )
        return await self._committed(case, actor)

    # --- remedies --------------------------------------------------------------------------------

    async def propose_remedy(
        self,
        actor: Actor,
        ref: str,
        *,
        type: str,
        amount_minor: int = 0,
        currency: str | None = None,
        note: str = "",
        expected_version: int | None = None,
    ) -> Remedy:
        """Propose a remedy; within the proposer's approval limit it is approved at once."""
        require_writer(actor)
        kinds.check_remedy_type(type)
        if amount_minor < 0:
            raise ValidationError(
                "the amount cannot be negative", field="amount_minor", code="negative_amount"
            )
        if type in kinds.MONEY_REMEDIES and amount_minor == 0:
            raise ValidationError(
                f"a {type} needs an amount", field="amount_minor", code="amount_needed",
                params={"type": type},
            )
        currency = currency.strip().upper() if currency else None
        if currency is not None and (len(currency) != 3 or not currency.isalpha()):
            raise ValidationError(
                f"{currency!r} is not a currency code", field="currency", code="not_a_currency",
                params={"currency": currency},
            )
        settings = self._services.settings
        limit = settings.approval_limit(actor.role)
        async with self._editing(ref, expected_version) as (conn, case):
            if not workflow.is_active(case.status):
                raise TransitionError(
                    "propose a remedy on", case.status, workflow.allowed_actions(case.status)
                )
            order = await orders.get_order(conn, case.order_id) if case.order_id else None
            currency = currency or (order.currency if order else settings.currency)
            others = await followups.list_order_remedies(conn, order.id) if order else []
            remedies.check_refund(type, amount_minor, currency, order, others,
                                  await _platform_refunded(conn, order))
            status = "proposed" if workflow.needs_approval(
                amount_minor, limit, currency=currency, limit_currency=settings.currency
            ) else "approved"
            approval: dict[str, Any] = {}
            if status == "proposed" and workflow.is_other_currency(
                amount_minor, currency, settings.currency
            ):
                approval["approval"] = _other_currency_reason(currency, settings.currency)
            now = self._services.now()
            remedy_id = await followups.insert_remedy(
                conn, case.id, type=type, amount_minor=amount_minor, currency=currency,
                status=status, note=note.strip(), actor=actor.name, at=now,
            )
            await self._save(
                conn, case, actor, "remedy_proposed",
                {"remedy_id": remedy_id, "type": type, "amount_minor": amount_minor,
                 "currency": currency, "status": status, "note": note.strip(), **approval},
                now=now,
            )
            remedy = await followups.get_remedy(conn, remedy_id)
        self._published(case, actor)
        assert remedy is not None
        return remedy

    async def _remedy_move(
        self, actor: Actor, remedy_id: int, action: str, data: dict[str, Any],
        case_ref: str | None = None,
    ) -> Remedy:
        """`case_ref`, when given, is the case the caller says the remedy is on (API, CLI): a
        remedy of another case is not found there."""
        require_writer(actor)
        await self.ensure_due_times()
        async with self._store.transaction() as conn:
            remedy = await followups.get_remedy(conn, remedy_id)
            case = await case_rows.get_case_by_id(conn, remedy.case_id) if remedy else None
            if remedy is None or case is None or (
                case_ref is not None and case.ref != case_ref.strip().upper()
            ):
                on = f" on {case_ref.strip().upper()}" if case_ref else ""
                raise NotFoundError(
                    f"no remedy #{remedy_id}{on}", field="remedy_id", code="no_remedy",
                    params={"id": remedy_id},
                )
            status = workflow.next_remedy_status(action, remedy.status)
            if action != "reject" and not workflow.may("remedy", case.status):
                # A rejection may still clear a live remedy off a closed or void case.
                raise ValidationError(
                    f"{case.ref} is {case.status}: remedy #{remedy_id} ({remedy.type}) cannot be "
                    f"{'approved' if action == 'approve' else 'marked done'} on it any more",
                    field="remedy",
                    code="remedy_on_ended_case",
                    params={"ref": case.ref, "status": case.status, "remedy": remedy_id,
                            "type": remedy.type, "action": action},
                )
            if action == "approve":
                self._check_approver(actor, remedy)
            if action == "reject":
                workflow.require_role(
                    actor.role, "supervisor", "rejecting a remedy", doing="reject_remedy"
                )
            if action == "approve":
                await self._check_refund_again(conn, case, remedy)
            now = self._services.now()
            await followups.set_remedy_status(conn, remedy_id, status, actor=actor.name, at=now)
            await self._save(
                conn, case, actor, f"remedy_{status}",
                {"remedy_id": remedy_id, "type": remedy.type, "amount_minor": remedy.amount_minor,
                 "currency": remedy.currency, **data},
                now=now,
            )
            remedy = await followups.get_remedy(conn, remedy_id)
        self._published(case, actor)
        assert remedy is not None
        return remedy

    def approver_role(self, remedy: Remedy) -> str:
        """Who may approve `remedy`: the lowest role whose limit covers it (the owner at last)."""
        settings = self._services.settings
        return workflow.approver_role(
            remedy.amount_minor, {role: settings.approval_limit(role) for role in workflow.ROLES},
            currency=remedy.currency, limit_currency=settings.currency,
        )

    def _check_approver(self, actor: Actor, remedy: Remedy) -> None:
        """The approver's limit covers the remedy, in the shop's currency (config `currency`)."""
        settings = self._services.settings
        limit = settings.approval_limit(actor.role)
        if workflow.can_approve(remedy.amount_minor, limit, actor.role, currency=remedy.currency,
                                limit_currency=settings.currency):
            return
        workflow.require_role(actor.role, "supervisor", "approving a remedy", doing="approve_remedy")
        if workflow.is_other_currency(remedy.amount_minor, remedy.currency, settings.currency):
            raise PermissionDenied(
                f"remedy #{remedy.id} is {format_minor(remedy.amount_minor, remedy.currency)}: "
                f"{_other_currency_reason(remedy.currency, settings.currency)}, so it needs "
                "the owner",
                field="role",
                code="remedy_other_currency",
                params={"remedy": remedy.id, "currency": remedy.currency,
                        "limit_currency": settings.currency},
            )
        raise PermissionDenied(
            f"remedy #{remedy.id} is above your approval limit as {actor.role}; it needs the owner",
            field="role",
            code="over_approval_limit",
            params={"remedy": remedy.id, "role": actor.role},
        )

    async def _check_refund_again(
        self, conn: aiosqlite.Connection, case: Case, remedy: Remedy
    ) -> None:
        """Approval re-checks the cap: the order's payment or other refunds may have changed."""
        order = await orders.get_order(conn, case.order_id) if case.order_id else None
        if order is None:
            return
        others = [
            other for other in await followups.list_order_remedies(conn, order.id)
            if other.id != remedy.id
        ]
        remedies.check_refund(remedy.type, remedy.amount_minor, remedy.currency, order, others,
                              await _platform_refunded(conn, order))

    async def approve_remedy(self, actor: Actor, remedy_id: int, note: str = "", *,
                             case_ref: str | None = None) -> Remedy:
        return await self._remedy_move(actor, remedy_id, "approve", {"note": note}, case_ref)

    async def reject_remedy(self, actor: Actor, remedy_id: int, reason: str, *,
                            case_ref: str | None = None) -> Remedy:
        reason = _required(reason, "reason", "a reason to reject")
        return await self._remedy_move(actor, remedy_id, "reject", {"reason": reason}, case_ref)

    async def complete_remedy(self, actor: Actor, remedy_id: int, note: str = "", *,
                              case_ref: str | None = None) -> Remedy:
        return await self._remedy_move(actor, remedy_id, "complete", {"note": note}, case_ref)

    async def remedy_to_decide(self, ref: str, remedy_id: int | None, action: str) -> int:
        """The remedy a command names on case `ref`: `remedy_id` if given, else the one remedy of
        the case that `action` (approve, reject, complete) applies to — refused naming them when
        there are several, or saying there is none."""
        if remedy_id is not None:
            return remedy_id
        case = await self.get(ref)
        candidates = [
            remedy for remedy in await followups.list_remedies(self._store.reader, case.id)
            if remedy.status in workflow.REMEDY_TRANSITIONS[action]
        ]
        if len(candidates) == 1:
            return candidates[0].id
        if not candidates:
            raise NotFoundError(
                f"{case.ref} has no remedy to {action}", field="remedy_id", code="no_remedy",
                params={"ref": case.ref},
            )
        raise ValidationError(
            f"{case.ref} has {len(candidates)} remedies to {action}: "
            f"{', '.join(_remedy_name(remedy) for remedy in candidates)}; say which",
            field="remedy_id",
        )

    # --- survey ------------------------------------------------------------------------------------

    async def record_survey(
        self, actor: Actor, ref: str, score: int, comment: str = "",
        *, expected_version: int | None = None, answered_by: str = "operator",
    ) -> Case:
        """满意度调查: once per case, after resolution. A resolved case closes with it.
        `answered_by` "customer": the customer's own answer (services.outbound.customer_survey),
        not a score an operator typed in."""
        if not isinstance(score, int) or not 1 <= score <= 5:
            raise ValidationError(
                "the score is a whole number from 1 to 5", field="score", code="bad_score"
            )
        async with self._editing(ref, expected_version) as (conn, case):
            if case.status not in ("resolved", "closed"):
                raise ValidationError(
                    f"a survey is recorded after resolution; {case.ref} is {case.status}",
                    field="status",
                    code="survey_too_early",
                    params={"ref": case.ref, "status": case.status},
                )
            now = self._services.now()
            if not await followups.insert_survey(
                conn, case.id, score=score, comment=comment.strip(), at=now, actor=actor.name,
                answered_by=answered_by,
            ):
                raise ConflictError(
                    f"{case.ref} already has its survey", field="score", code="survey_exists",
                    params={"ref": case.ref},
                )
            values: dict[str, Any] = {}
            data: dict[str, Any] = {"score": score, "comment": comment.strip()}
            if answered_by != "operator":
                data["answered_by"] = answered_by
            if case.status == "resolved":
                values = {"status": "closed", "closed_at": now}
                data.update({"from": "resolved", "to": "closed"})
            await self._save(conn, case, actor, "survey", data, values, now=now)
        return await self._committed(case, actor)

    # --- detection: a rule's condition cleared, or holds again ---------------------------------

    async def clear_finding(
        self, actor: Actor, ref: str, reason: str, *, automatic: frozenset[str]
    ) -> tuple[Case, bool]:
        """The rule that opened the case no longer holds (the payment arrived): recorded on the
        timeline. A case nobody but shopdesk (`automatic` actors) touched closes itself as
        cleared; one an operator worked on stays, marked cleared. Returns (case, closed)."""
        async with self._editing(ref, None) as (conn, case):
            if case.rule is None or case.cleared_at is not None or not workflow.is_active(
                    case.status):
                return case, False
            now = self._services.now()
            closes = clears_by_itself(await detection_rows.event_actors(conn, case.id), automatic)
            values: dict[str, Any] = {"cleared_at": now}
            data: dict[str, Any] = {"rule": case.rule, "reason": reason, "closed": closes}
            if closes:
                values.update(status="closed", closed_at=now)
                data.update({"from": case.status, "to": "closed"})
                await self._on_status_change(conn, case, "closed", now)
            await self._save(conn, case, actor, "cleared", data, values, now=now)
        return await self._committed(case, actor), closes

    async def finding_again(self, actor: Actor, ref: str, evidence: str) -> Case:
        """A cleared case's rule holds again (the order was unpaid, paid, then charged back)."""
        async with self._editing(ref, None) as (conn, case):
            if case.cleared_at is None:
                return case
            await self._save(conn, case, actor, "found_again",
                             {"rule": case.rule, "evidence": evidence},
                             {"cleared_at": None, "rule_evidence": evidence},
                             now=self._services.now())
        return await self._committed(case, actor)

    # --- the sweep -----------------------------------------------------------------------------------

    async def sweep(self) -> dict[str, int]:
        """`sweep_report` counted: {"escalated": n, "closed": n}."""
        escalated, closed = await self.sweep_report()
        return {"escalated": len(escalated), "closed": len(closed)}

    async def sweep_report(self, *, dry_run: bool = False) -> tuple[list[str], list[str]]:
        """The SLA watch, tiered: a first-response or resolution breach escalates to a supervisor
        (once: a case sent back to work after its escalation is not sent up again for the same due
        time); a case still unresolved a whole resolution target after its resolution due time goes
        on to the owner. Stale resolved cases close. Returns (escalated refs, closed refs); a dry
        run changes nothing and says what it would do."""
        await self.ensure_due_times()
        now = self._services.now()
        reader = self._store.reader
        breached = await case_rows.list_breached_unescalated(reader, now, limit=1000)
        policy = self._services.policy
        late = [
            case for case in await case_rows.list_unresolved_at_supervisor(reader, now, limit=1000)
            if case.resolution_due_at is not None and now > owner_due(
                policy, level=case.level, kind=case.kind, urgent=case.urgent,
                opened_at=case.opened_at, resolution_due_at=case.resolution_due_at,
                reopened_at=case.reopened_at)
        ]
        late_ids = {case.id for case in late}
        moves = [(case, "SLA breached") for case in breached if case.id not in late_ids] + \
            [(case, "SLA breached again: unresolved a whole resolution target after its due time")
             for case in late]
        if moves and await self._dues_of_another_policy():
            log.warning("not escalating %d breached cases: the store's due times were computed "
                        "with other SLA settings (holidays, hours or targets) than this shopdesk "
                        "runs with — a recompute under way, or settings from a config file that "
                        "differ from the store's (`shopdesk config import` puts them there)",
                        len(moves))
            moves = []
        escalated: list[str] = []
        for case, reason in moves:
            if dry_run:
                escalated.append(case.ref)
                continue
            with contextlib.suppress(ConflictError, TransitionError):
                await self.escalate(SYSTEM, case.ref, reason, expected_version=case.version)
                escalated.append(case.ref)
        stale_before = now - timedelta(days=self._services.settings.close_after_days)
        stale = await self.list(
            CaseFilter(statuses=["resolved"], resolved_to=stale_before), limit=1000
        )
        closed: list[str] = []
        for case in stale:
            if dry_run:
                closed.append(case.ref)
                continue
            with contextlib.suppress(ConflictError, TransitionError):
                await self.close(SYSTEM, case.ref, expected_version=case.version)
                closed.append(case.ref)
        if escalated and not dry_run:
            self._services.changes.publish(Change(
                what="escalation", ref=",".join(escalated), level=len(escalated),
                actor=SYSTEM.name))
        return escalated, closed


def _dues_giving_way(policy, facts, pauses):
    """dues_of_many in a worker thread, a few cases at a time, handing the GIL back between them:
    a thread that keeps it makes the event loop's thread wait a switch interval (5 ms) each time
    it wants it back, and a loop turn wants it many times (the convoy effect)."""
    out = []
    for start in range(0, len(facts), _GIVE_WAY_EVERY):
        out += dues_of_many(policy, facts[start:start + _GIVE_WAY_EVERY], pauses)
        time.sleep(0)
    return out


_GIVE_WAY_EVERY = 20


def _as_saved(case: Case, values: dict[str, Any]) -> Case:
    """The case as `values` leave it (what an outbound event about the change tells)."""
    changed = {name: value for name, value in values.items() if name in _CASE_FIELDS}
    return msgspec.structs.replace(case, **changed) if changed else case


_CASE_FIELDS = frozenset(Case.__struct_fields__)


async def _platform_refunded(conn: aiosqlite.Connection, order: Order | None) -> int:
    """What the shop's platform reported refunded on the order, in the order's currency."""
    if order is None:
        return 0
    return (await orders.platform_refunded(conn, order.id)).get(order.currency.upper(), 0)
