"""Detection: the rules (domain/detection.py) applied to the store's orders.

When an order is checked:
- right after each intake commit, off the request path: `order_changed()` queues the order and a
  worker task checks queued orders in batches (the webhook's 2xx never waits for rules);
- in the periodic sweep (`sweep()`), for every order whose next check time has come.

Durable: every stored snapshot sets the order's `check_at` to its write time (store/orders.py), and
only a finished check moves it on — so an order whose check was lost (the process killed between
the commit and the check) is still due, and the next sweep finds it. A sweep with nothing due reads
one index range and stops.

A finding opens a case once per (rule, order or buyer): a unique index on the live detected cases
decides a race between the event path and the sweep. A finding that no longer holds clears its
case: closed by itself if nobody but shopdesk touched it, else marked cleared for its operator.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import msgspec

from shopdesk.domain.cases import Actor, Case, Order
from shopdesk.domain.detection import (
    RULES,
    Facts,
    Finding,
    Rule,
    RuleFailed,
    Thresholds,
    buyer_key,
    display_number,
    evaluate,
    next_check,
)
from shopdesk.domain.errors import ShopdeskError
from shopdesk.services.changes import Change
from shopdesk.store import detection as detection_rows
from shopdesk.store import meta

if TYPE_CHECKING:
    from shopdesk.services import Services

log = logging.getLogger(__name__)

DETECTION = Actor(name="detection", role="owner")
# Actors that are shopdesk itself: a detected case only they touched closes itself when cleared.
AUTOMATIC: frozenset[str] = frozenset({"detection", "shopdesk", "intake"})
BATCH = 200
STOCK_SEEN_KEY = "detection_stock_seen"  # store_meta: the newest stock report the sweep has seen
# Detection after intake takes at most this share of the event loop under a burst of webhooks.
DUTY = 0.1
MAX_REST_SECONDS = 5.0


class FindingOut(msgspec.Struct, kw_only=True):
    """One thing a check did or would do (dry run)."""

    action: str  # open | clear | close | again
    rule: str
    order: str
    evidence: str
    case: str | None = None


class CheckReport(msgspec.Struct, kw_only=True):
    checked: int = 0
    opened: list[str] = msgspec.field(default_factory=list)
    cleared: list[str] = msgspec.field(default_factory=list)
    """Cases whose rule no longer holds, left open (an operator worked them)."""
    closed: list[str] = msgspec.field(default_factory=list)
    """Cases whose rule no longer holds, closed by themselves (nobody touched them)."""
    escalated: list[str] = msgspec.field(default_factory=list)
    """Cases the SLA watch escalated (a breach: supervisor; a breach a target long: owner)."""
    closed_resolved: list[str] = msgspec.field(default_factory=list)
    """Resolved cases closed by themselves after close_after_days."""
    failed: list[str] = msgspec.field(default_factory=list)
    """Rules that raised on an order, with the order: logged and skipped."""
    findings: list[FindingOut] = msgspec.field(default_factory=list)
    dry_run: bool = False

    def merge(self, other: CheckReport) -> None:
        self.checked += other.checked
        self.opened += other.opened
        self.cleared += other.cleared
        self.closed += other.closed
        self.escalated += other.escalated
        self.closed_resolved += other.closed_resolved
        self.failed += other.failed
        self.findings += other.findings


class RuleState(msgspec.Struct, kw_only=True):
    """A rule as `shopdesk rules` shows it."""

    name: str
    kind: str
    level: int
    urgent: bool
    sequence: int
    enabled: bool
    subject: str
    title: str
    thresholds: dict[str, object]
    live: int
    """Live detected cases of this rule (not closed or voided)."""
    cleared: int
    """Of those, how many the rule no longer finds (kept: an operator worked them)."""


def _subjects(order: Order) -> list[str]:
    """What an order's detected cases can be about: the order, and its buyer if known."""
    key = buyer_key(order)
    return [f"order:{order.id}"] + ([f"buyer:{key}"] if key is not None else [])


class DetectionService:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._pending: set[int] = set()
        self._pending_skus: set[str] = set()
        self._wake: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None
        self._busy = False  # the worker is checking a batch taken off the queue

    # --- configuration ---------------------------------------------------------------------------

    def thresholds(self) -> Thresholds:
        """The rules' thresholds from config `[detection]` (same names as Thresholds' fields)."""
        config = self._services.settings.detection
        values = {name: getattr(config, name) for name in Thresholds.__struct_fields__}
        return Thresholds(**{**values, "urgent_tags": tuple(config.urgent_tags)})

    def rules(self) -> list[Rule]:
        """The rules with this shop's switches and levels (config `[detection]` disabled, levels)."""
        config = self._services.settings.detection
        return [msgspec.structs.replace(rule, enabled=rule.name not in config.disabled,
                                        level=config.levels.get(rule.name, rule.level))
                for rule in RULES]

    async def rule_states(self) -> list[RuleState]:
        counts = await detection_rows.live_counts_by_rule(self._services.store.reader)
        thresholds = msgspec.structs.asdict(self.thresholds())
        return [
            RuleState(name=rule.name, kind=rule.kind, level=rule.level, urgent=rule.urgent,
                      sequence=rule.sequence, enabled=rule.enabled, subject=rule.subject,
                      title=rule.title,
                      thresholds={name: (list(thresholds[name]) if isinstance(thresholds[name], tuple)
                                         else thresholds[name]) for name in rule.thresholds},
                      live=counts.get(rule.name, (0, 0))[0],
                      cleared=counts.get(rule.name, (0, 0))[1])
            for rule in self.rules()
        ]

    # --- checking ----------------------------------------------------------------------------------

    async def run_sweep(self, *, dry_run: bool = False) -> CheckReport:
        """The periodic sweep, whole: the rules on every order due, then the SLA watch
        (tiered escalation, auto-close). What it did is announced to front ends."""
        report = await self.sweep(dry_run=dry_run)
        escalated, closed = await self._services.cases.sweep_report(dry_run=dry_run)
        report.escalated += escalated
        report.closed_resolved += closed
        if not dry_run:
            self.announce(report)
        return report

    async def sweep(self, *, dry_run: bool = False, limit: int | None = None) -> CheckReport:
        """Check every order whose next check time has come, in batches, walking the due orders
        once in (check time, id) order (a dry run moves no check time, and an order whose check
        failed keeps its own: the walk goes past them). A dry run says what it would do."""
        report = CheckReport(dry_run=dry_run)
        now = self._services.now()
        if not dry_run:
            await self._stock_reports_seen(now)
        after: tuple[str, int] | None = None
        while limit is None or report.checked < limit:
            size = BATCH if limit is None else min(BATCH, limit - report.checked)
            due = await detection_rows.due_orders(self._services.store.reader, now,
                                                  after=after, limit=size)
            if not due:
                break
            after = due[-1]
            report.merge(await self.check_orders([order_id for _, order_id in due],
                                                 dry_run=dry_run, now=now))
            await asyncio.sleep(0)  # let the TUI and the API breathe between batches
        return report

    async def check_orders(self, order_ids: list[int], *, dry_run: bool = False,
                           now: datetime | None = None) -> CheckReport:
        """Evaluate the rules on these orders and open, clear or close their cases. The facts
        of the whole batch are read in a few queries (not a few per order)."""
        report = CheckReport(dry_run=dry_run)
        if not order_ids:
            return report
        now = now or self._services.now()
        conn = self._services.store.reader
        seen = await detection_rows.check_times(conn, order_ids)  # before the facts are read
        orders = await detection_rows.orders_by_ids(conn, order_ids)
        events = await detection_rows.events_of_orders(conn, [o.id for o in orders if o.id])
        stock = await detection_rows.stock_levels(
            conn, sorted({item.sku for order in orders for item in order.items if item.sku}))
        thresholds, rules = self.thresholds(), self.rules()
        window = max(timedelta(minutes=thresholds.duplicate_window_minutes),
                     timedelta(hours=thresholds.bulk_unpaid_window_hours))
        grouped = [order for order in orders
                   if buyer_key(order) is not None and order.placed_at is not None]
        buyers = await detection_rows.buyer_orders_of(conn, grouped, window)
        subjects_of = {order.id: _subjects(order) for order in orders}
        live_by_subject: dict[str | None, list[Case]] = {}
        for case in await detection_rows.live_cases_of(
                conn, [subject for subjects in subjects_of.values() for subject in subjects]):
            live_by_subject.setdefault(case.rule_subject, []).append(case)
        next_checks: list[tuple[int, datetime | None, str | None]] = []
        for order in orders:
            assert order.id is not None
            try:
                facts = Facts(order=order, events=events.get(order.id, []), now=now,
                              stock={item.sku: stock[item.sku] for item in order.items
                                     if item.sku in stock},
                              buyer_orders=buyers.get(order.id, []))

                def failed(problem: RuleFailed, order: Order = order) -> None:
                    log.error("detection: %s on order %s (id %s); skipped", problem,
                              display_number(order), order.id, exc_info=problem.error)
                    report.failed.append(f"{display_number(order)}: {problem}")

                findings = evaluate(facts, thresholds, rules, failed=failed)
                mine = {(case.rule, case.rule_subject): case for subject in subjects_of[order.id]
                        for case in live_by_subject.get(subject, ())}
                await self._apply(order, findings, rules, mine, report, dry_run=dry_run)
                next_checks.append((order.id, next_check(facts, thresholds), seen.get(order.id)))
            except ShopdeskError as error:  # a case the rule would open is refused: say so
                log.error("detection: order %s (id %s): %s", display_number(order), order.id,
                          error)
                report.failed.append(f"{display_number(order)}: {error}")
            report.checked += 1
        if next_checks and not dry_run:
            async with self._services.store.transaction() as write:
                await detection_rows.set_check_at(write, next_checks)
        return report

    async def _apply(self, order: Order, findings: list[Finding], rules: list[Rule],
                     live: dict[tuple[str | None, str | None], Case], report: CheckReport, *,
                     dry_run: bool) -> None:
        """Open the findings without a live case, clear the live cases without a finding. `live`:
        the live detected cases of the order's subjects, as read for the batch (a case opened or
        cleared since is caught by the unique index and by clear_finding's own reading)."""
        number = display_number(order)
        cases = self._services.cases
        for finding in findings:
            case = live.get((finding.rule, finding.subject))
            if case is not None:
                if case.cleared_at is not None:
                    report.findings.append(FindingOut(action="again", rule=finding.rule,
                                                      order=number, evidence=finding.evidence,
                                                      case=case.ref))
                    if not dry_run:
                        await cases.finding_again(DETECTION, case.ref, finding.evidence)
                continue
            report.findings.append(FindingOut(action="open", rule=finding.rule, order=number,
                                              evidence=finding.evidence))
            if dry_run:
                continue
            opened, created = await cases.open(
                DETECTION, kind=finding.kind, level=finding.level, urgent=finding.urgent,
                title=self._title(finding, order, rules), description=finding.evidence,
                order_id=order.id, source="detection", finding=finding,
                data={"rule": finding.rule, "evidence": finding.evidence,
                      "related": list(finding.related)},
            )
            if created:
                report.opened.append(opened.ref)
                report.findings[-1].case = opened.ref
        found = {(finding.rule, finding.subject) for finding in findings}
        enabled = {rule.name for rule in rules if rule.enabled}
        for (rule, subject), case in live.items():
            if (rule, subject) in found or rule not in enabled or case.cleared_at is not None:
                continue
            reason = f"no longer holds for {number}"
            if dry_run:
                report.findings.append(FindingOut(action="clear", rule=rule or "", order=number,
                                                  evidence=reason, case=case.ref))
                continue
            cleared, closed = await cases.clear_finding(DETECTION, case.ref, reason,
                                                        automatic=AUTOMATIC)
            (report.closed if closed else report.cleared).append(cleared.ref)
            report.findings.append(FindingOut(action="close" if closed else "clear",
                                              rule=rule or "", order=number, evidence=reason,
                                              case=case.ref))

    @staticmethod
    def _title(finding: Finding, order: Order, rules: list[Rule]) -> str:
        rule = next(rule for rule in rules if rule.name == finding.rule)
        if rule.subject == "buyer":
            who = order.customer.name or order.customer.phone or order.customer.email
            return f"{rule.title}: {who}"
        return f"{rule.title}: {display_number(order)}"

    # --- after intake: off the request path --------------------------------------------------------

    def order_changed(self, order_id: int) -> None:
        """An order's new snapshot was committed: check it soon (in a worker task)."""
        self._pending.add(order_id)
        self._kick()

    def stock_changed(self, skus: Iterable[str]) -> None:
        """A stock report was committed: the orders not shipped with these SKUs are checked."""
        self._pending_skus.update(skus)
        self._kick()

    def _kick(self) -> None:
        loop = self._services.store.loop
        if asyncio.get_running_loop() is not loop:
            # Intake on another loop than the store's (a test client serves the app on a loop of
            # its own): a worker here would contend for the store's lock across loops. The orders
            # stay due (their check time is the write's): the next sweep checks them.
            self._pending.clear()
            self._pending_skus.clear()
            return
        if self._worker is None or self._worker.done():
            self._wake = asyncio.Event()
            self._worker = loop.create_task(self._work(), name="detection")
        assert self._wake is not None
        self._wake.set()

    async def _work(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending or self._pending_skus:
                self._busy = True
                rest = 0.0
                try:
                    if self._pending_skus:
                        skus, self._pending_skus = sorted(self._pending_skus), set()
                        affected = await detection_rows.open_orders_with_skus(
                            self._services.store.reader, skus)
                        self._pending.update(affected)
                    batch = sorted(self._pending)[:BATCH]
                    self._pending.difference_update(batch)
                    started = loop.time()
                    report = await self.check_orders(batch)
                    self.announce(report)
                    # At most a tenth of the loop's time while webhooks pour in (a flash sale):
                    # rest nine times what the batch took. The orders stay due meanwhile.
                    rest = min(MAX_REST_SECONDS, (loop.time() - started) * (1 / DUTY - 1))
                except asyncio.CancelledError:
                    raise
                except Exception:  # the orders stay due: the sweep checks them again
                    log.exception("detection after intake failed; the sweep will retry")
                finally:
                    self._busy = False
                await asyncio.sleep(rest if self._pending or self._pending_skus else 0)

    async def settle(self) -> None:
        """Wait until every queued order was checked (tests, `shopdesk check`)."""
        while self._worker is not None and not self._worker.done() and (
                self._pending or self._pending_skus or self._busy or self._wake.is_set()):
            await asyncio.sleep(0.01)

    async def aclose(self) -> None:
        """Stop the worker (what it had queued stays due: the next sweep checks it)."""
        worker, self._worker = self._worker, None
        if worker is None:
            return
        if worker.get_loop() is not asyncio.get_running_loop():  # a test client's loop
            with contextlib.suppress(RuntimeError):
                worker.get_loop().call_soon_threadsafe(worker.cancel)
            return
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker

    def announce(self, report: CheckReport) -> None:
        """Tell front ends what detection did (the TUI shows a notice)."""
        if report.opened:
            self._services.changes.publish(Change(
                what="detection", ref=",".join(report.opened), level=len(report.opened),
                actor=DETECTION.name))
        if report.cleared or report.closed:
            cleared = report.cleared + report.closed
            self._services.changes.publish(Change(
                what="detection_cleared", ref=",".join(cleared), level=len(cleared),
                actor=DETECTION.name))

    # --- stock --------------------------------------------------------------------------------------

    async def _stock_reports_seen(self, now: datetime) -> None:
        """Orders a stock report may have made short since the last sweep are due now: the
        worker does it at once after intake, this makes it durable (a kill, another loop)."""
        reader = self._services.store.reader
        seen = await meta.get_value(reader, STOCK_SEEN_KEY) or ""
        skus, newest = await detection_rows.stock_changed_after(reader, seen)
        if not skus:
            return
        async with self._services.store.transaction() as conn:
            affected = await detection_rows.open_orders_with_skus(conn, skus)
            await detection_rows.mark_due(conn, affected, now)
            await meta.set_value(conn, STOCK_SEEN_KEY, newest)

    async def import_stock(self, levels: dict[str, int], *, source: str = "import") -> list[int]:
        """Store stock levels (SKU -> quantity on hand) and mark the orders they may make short
        due; returns those orders' ids."""
        now = self._services.now()
        async with self._services.store.transaction() as conn:
            await detection_rows.upsert_stock(conn, levels, source=source, at=now)
            affected = await detection_rows.open_orders_with_skus(conn, sorted(levels))
            await detection_rows.mark_due(conn, affected, now)
        return affected
