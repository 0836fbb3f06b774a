"""What the case screen shows, as Rich renderables built from a `CaseDetail` (no I/O, no widgets):
the header with its SLA clocks, order and customer, the case's facts, responsibility, remedies,
survey, incidents and the timeline (newest first).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from shopdesk.domain import money, templates
from shopdesk.domain.cases import CaseDetail, CaseEvent, Contact, Remedy
from shopdesk.domain.sla import ClockState, fraction_left
from shopdesk.domain.workflow import is_active
from shopdesk.tui.i18n import language, t
from shopdesk.tui.safe_text import PlainTable, plain_copy
from shopdesk.tui.vocabulary import (
    business_span,
    channel_label,
    department_label,
    kind_label,
    level_label,
    local_time,
    order_status_label,
    party_label,
    remedy_label,
    remedy_status_label,
    source_label,
    status_label,
    tier_label,
    wait_on_label,
)

LEVEL_STYLES = {1: "", 2: "bold yellow", 3: "bold red"}
STATUS_STYLES = {
    "new": "bold cyan",
    "open": "bold",
    "waiting": "magenta",
    "escalated": "bold yellow",
    "resolved": "green",
    "closed": "dim",
    "void": "dim strike",
}
REMEDY_STYLES = {"proposed": "yellow", "approved": "cyan", "done": "green", "rejected": "dim"}
URGENT_STYLE = "bold white on red"
LABEL_STYLE = "dim"


def same_name(first: str, second: str) -> bool:
    """Two spellings of one name: case and spacing aside."""
    return " ".join(first.split()).casefold() == " ".join(second.split()).casefold()


class Presenter:
    """Renders one case detail in the shop's time zone at `now`."""

    def __init__(
        self,
        detail: CaseDetail,
        clocks: tuple[ClockState | None, ClockState | None],
        *,
        zone: ZoneInfo,
        now: datetime,
        business_day: timedelta,
        compact: bool = False,
        pushed_by: tuple[str | None, str | None] = (None, None),
    ) -> None:
        detail = plain_copy(detail)  # a store may hold control characters from before
        self.detail = detail
        self.case = detail.case
        self.clocks = clocks
        self.zone = zone
        self.now = now
        self.business_day = business_day
        self.compact = compact  # a narrow terminal: fold short rows together
        # The holiday that pushed each clock's due time later, named ("National Day"), if any.
        self.pushed_by = pushed_by

    def time(self, moment: datetime | None) -> str:
        return local_time(moment, self.zone, self.now)

    def money(self, amount_minor: int, currency: str) -> str:
        return money.format_minor(amount_minor, currency)

    # --- header ---------------------------------------------------------------------------------

    def header(self) -> Text:
        case = self.case
        line = Text()
        line.append(case.ref, style="bold")
        line.append("  ")
        if case.urgent:
            line.append(f" {t('case.urgent_marker')} ", style=URGENT_STYLE)
            line.append(" ")
        line.append(level_label(case.level), style=LEVEL_STYLES.get(case.level, ""))
        line.append("  ")
        line.append(status_label(case.status), style=STATUS_STYLES.get(case.status, ""))
        line.append("  ")
        line.append(f"{t('case.tier')} ", style=LABEL_STYLE)
        line.append(tier_label(case.tier))
        line.append("  ")
        line.append(f"{t('case.assignee')} ", style=LABEL_STYLE)
        line.append(case.assignee or t("case.unassigned"), style="" if case.assignee else "italic")
        line.append("\n")
        line.append(kind_label(case.kind), style="bold")
        if case.title and case.title != case.kind.replace("_", " "):
            line.append(" · ")
            line.append(case.title)
        return line

    def clocks_table(self) -> Table:
        table = PlainTable.grid(padding=(0, 1))
        table.add_column(style=LABEL_STYLE, no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column()
        first, resolution = self.clocks
        table.add_row(
            t("case.sla_first_response"),
            *self._clock(first, self.case.first_response_at, "case.clock_no_response",
                         self.pushed_by[0]),
        )
        table.add_row(
            t("case.sla_resolution"),
            *self._clock(resolution, self.case.resolved_at, "case.clock_stopped",
                         self.pushed_by[1]),
        )
        return table

    def _clock(
        self, clock: ClockState | None, stopped_at: datetime | None, ended_key: str,
        holiday: str | None = None,
    ) -> tuple[Text, Text]:
        if clock is None:
            return Text("—"), Text("")
        if not clock.stopped and not is_active(self.case.status):
            # The case ended (resolved without a contact, or voided) with this clock not met.
            status = status_label(self.case.status)
            return (Text(f"{t('case.due')} {self.time(clock.due_at)}" if clock.due_at else "—"),
                    Text(t(ended_key, status=status), style="dim"))
        due = Text(f"{t('case.due')} {self.time(clock.due_at)}" if clock.due_at else
                   t("case.due_unknown"))
        if clock.due_at and holiday and not clock.stopped:
            due.append(f" — {t('calendar.pushed', name=holiday)}", style="cyan")
        left = business_span(clock.remaining, self.business_day)
        if clock.stopped:
            if clock.breached:
                state = Text(f"✗ {t('case.clock_met_late', at=self.time(stopped_at))}",
                             style="red")
            else:
                state = Text(f"✓ {t('case.clock_met', at=self.time(stopped_at))}", style="green")
        elif clock.breached and abs(clock.remaining) < timedelta(minutes=1) and clock.due_at:
            # due at closing time and now after hours: no business time over yet ("0m over")
            mark = "‖" if clock.paused else "!"
            state = Text(f"{mark} {t('case.clock_breached_since', at=self.time(clock.due_at))}",
                         style="bold red")
        elif clock.paused and clock.breached:
            state = Text(f"‖ {t('case.clock_paused_over', over=left)}", style="bold red")
        elif clock.paused:
            state = Text(f"‖ {t('case.clock_paused', left=left)}", style="magenta")
        elif clock.breached:
            state = Text(f"! {t('case.clock_breached', over=left)}", style="bold red")
        elif fraction_left(clock) < 0.25:
            state = Text(t("case.clock_left", left=left), style="bold yellow")
        else:
            state = Text(t("case.clock_left", left=left))
        return due, state

    # --- panels ---------------------------------------------------------------------------------

    @staticmethod
    def _grid() -> Table:
        table = PlainTable.grid(padding=(0, 1), expand=True)
        table.add_column(style=LABEL_STYLE, no_wrap=True)
        table.add_column(ratio=1, overflow="fold")
        return table

    def order_panel(self) -> RenderableType:
        case, order = self.case, self.detail.order
        # Who the case is about (the caller of a case opened by hand, a gift's recipient) comes
        # first; the order's buyer only stands in when the case names nobody.
        customer = case.customer
        if not (customer.name or customer.phone or customer.email) and order is not None:
            customer = order.customer
        table = self._grid()
        table.add_row(t("case.customer"), customer.name or "—")
        if self.compact and customer.phone and customer.email:
            table.add_row(t("case.contact"), f"{customer.phone} · {customer.email}")
        else:
            if customer.phone:
                table.add_row(t("case.phone"), customer.phone)
            if customer.email:
                table.add_row(t("case.email"), customer.email)
        if order is None:
            table.add_row(t("case.order"), Text(t("case.no_order"), style="italic"))
            return table
        buyer = order.customer
        if buyer.name and not same_name(buyer.name, customer.name):
            table.add_row(t("case.buyer"), Text.assemble(
                buyer.name, (f"  {buyer.phone or buyer.email}" if buyer.phone or buyer.email
                             else "", LABEL_STYLE),
            ))
        if order.address:
            table.add_row(t("case.address"), order.address)
        number = order.number or order.external_id
        table.add_row(t("case.order"), Text.assemble(
            (number, "bold"), (f"  {order.source}", LABEL_STYLE),
            (f"  {order_status_label(order.status)}" if order.status else "", ""),
        ))
        for index, item in enumerate(order.items):
            price = f"  {self.money(item.price_minor, order.currency)}" if item.price_minor else ""
            table.add_row(t("case.items") if index == 0 else "",
                          f"{item.quantity} × {item.name}{price}")
        amount = Text(self.money(order.total_minor, order.currency))
        if order.paid_minor != order.total_minor:
            amount.append(f"  {t('case.paid')} {self.money(order.paid_minor, order.currency)}",
                          style="bold yellow")
        table.add_row(t("case.amount"), amount)
        if self.compact:
            table.add_row(t("case.carrier"), " · ".join(
                part for part in (order.carrier, order.tracking_number) if part) or "—")
        else:
            table.add_row(t("case.carrier"), order.carrier or "—")
            table.add_row(t("case.tracking"), order.tracking_number or "—")
        if order.ship_by or order.deliver_by:
            table.add_row(t("case.promised"), t(
                "case.promised_value", ship=self.time(order.ship_by),
                deliver=self.time(order.deliver_by),
            ))
        return table

    def facts_panel(self) -> RenderableType:
        case = self.case
        table = self._grid()
        table.add_row(t("case.kind"), f"{kind_label(case.kind)} ({case.kind})")
        if not self.compact:  # a narrow screen has them in the header only
            table.add_row(t("case.level"), Text(level_label(case.level),
                                                style=LEVEL_STYLES.get(case.level, "")))
            table.add_row(t("case.status"), Text(status_label(case.status),
                                                 style=STATUS_STYLES.get(case.status, "")))
        if case.department:
            table.add_row(t("case.department"), department_label(case.department))
        table.add_row(t("case.opened"), t("case.opened_value", at=self.time(case.opened_at),
                                           by=case.opened_by, source=source_label(case.source)))
        follow_ups = [c.next_follow_up_at for c in self.detail.contacts if c.next_follow_up_at]
        if follow_ups and case.status not in ("resolved", "closed", "void"):
            follow_up = follow_ups[-1]
            table.add_row(t("case.next_follow_up"), Text(
                self.time(follow_up), style="bold red" if follow_up < self.now else ""
            ))
        if case.rule:
            table.add_row(t("case.rule"), Text(t("case.rule_value", rule=case.rule,
                                                 evidence=case.rule_evidence), style="bold"))
            if case.cleared_at is not None:
                table.add_row("", Text(t("case.cleared", at=self.time(case.cleared_at)),
                                       style="italic green"))
        if case.description and case.description != case.rule_evidence:
            table.add_row(t("case.description"), case.description)
        for index, evidence in enumerate(case.evidence):
            table.add_row(t("case.evidence") if index == 0 else "", evidence)
        if case.resolution:
            table.add_row(t("case.resolution"), case.resolution)
        return table

    def responsibility_panel(self) -> RenderableType:
        case = self.case
        if not (case.responsible_party or case.responsible_department or case.root_cause):
            return Text(t("case.responsibility_none"), style="italic dim")
        table = self._grid()
        table.add_row(t("case.party"), party_label(case.responsible_party))
        table.add_row(t("case.resp_department"), Text.assemble(
            department_label(case.responsible_department),
            ("  −1" if case.responsible_department else "", LABEL_STYLE),
        ))
        if case.joint_department:
            table.add_row(t("case.joint_department"), Text.assemble(
                department_label(case.joint_department), ("  −0.5", LABEL_STYLE)
            ))
        if case.root_cause:
            table.add_row(t("case.root_cause"), case.root_cause)
        return table

    def remedies_panel(self) -> RenderableType | None:
        if not self.detail.remedies:
            return None
        return Group(*(self._remedy(remedy) for remedy in self.detail.remedies))

    def _remedy(self, remedy: Remedy) -> Text:
        line = Text()
        line.append(f"#{remedy.id} ", style=LABEL_STYLE)
        line.append(remedy_label(remedy.type), style="bold")
        if remedy.amount_minor:
            line.append(f" {self.money(remedy.amount_minor, remedy.currency)}")
        line.append("  ")
        line.append(remedy_status_label(remedy.status), style=REMEDY_STYLES.get(remedy.status, ""))
        who = remedy.decided_by if remedy.decided_by else remedy.proposed_by
        when = remedy.done_at or remedy.decided_at or remedy.proposed_at
        line.append(f"  {who} {self.time(when)}", style=LABEL_STYLE)
        if remedy.note:
            line.append(f"\n   {remedy.note}")
        return line

    def survey_panel(self) -> RenderableType | None:
        survey = self.detail.survey
        if survey is None:
            return None
        line = Text()
        line.append("★" * survey.score, style="bold yellow")
        line.append("☆" * (5 - survey.score), style=LABEL_STYLE)
        line.append(f" {survey.score}/5  ")
        who = t("case.survey_by_customer") if survey.answered_by == "customer" else survey.actor
        line.append(f"{who} {self.time(survey.at)}", style=LABEL_STYLE)
        if survey.comment:
            line.append(f"\n{survey.comment}")
        return line

    def incidents_panel(self) -> RenderableType | None:
        if not self.detail.incidents:
            return None
        lines = []
        for incident in self.detail.incidents:
            line = Text()
            line.append(f"{incident.ref} ", style="bold")
            line.append(f"L{incident.level} ", style=LEVEL_STYLES.get(incident.level, ""))
            line.append(incident.title)
            line.append(f"  {t('case.incident_' + incident.status)}", style=LABEL_STYLE)
            lines.append(line)
        return Group(*lines)

    # --- timeline -------------------------------------------------------------------------------

    def timeline(self) -> RenderableType:
        events = sorted(self.detail.events, key=lambda event: (event.at, event.id), reverse=True)
        if not events:
            return Text(t("case.timeline_empty"), style="italic dim")
        follow_ups = {contact.at: contact for contact in self.detail.contacts}
        table = PlainTable.grid(padding=(0, 1), expand=True)
        table.add_column(style=LABEL_STYLE, no_wrap=True)
        table.add_column(no_wrap=True, max_width=12, overflow="ellipsis")
        table.add_column(ratio=1, overflow="fold")
        for event in events:
            table.add_row(self.time(event.at), event.actor,
                          self.describe(event, follow_ups.get(event.at)))
        return table

    def describe(self, event: CaseEvent, contact: Contact | None = None) -> Text:
        data = event.data
        what = Text()
        key = f"event.{event.type}"
        label = t(key)
        what.append(event.type.replace("_", " ") if label == key else label, style="bold")
        detail = self._event_detail(event.type, data, contact)
        if detail:
            what.append("  ")
            what.append(detail)
        return what

    def _event_detail(self, kind: str, data: dict[str, Any], contact: Contact | None) -> str:
        def moved(name: str, label: Any = str) -> str:
            change = data.get(name)
            if isinstance(change, dict):
                return f"{label(change.get('from'))} → {label(change.get('to'))}"
            return ""

        if kind == "opened":
            parts = [kind_label(str(data.get("kind", ""))), level_label(int(data.get("level", 1)))]
            if data.get("urgent"):
                parts.append(t("case.urgent_marker"))
            if data.get("rule"):
                parts.append(f"{data['rule']}: {data.get('evidence', '')}")
            return " · ".join(parts)
        if kind in ("cleared", "found_again"):
            closed = f" → {status_label('closed')}" if data.get("closed") else ""
            return f"{data.get('rule', '')}: {data.get('evidence') or data.get('reason', '')}{closed}"
        if kind == "triaged":
            changes = [
                moved("kind", kind_label), moved("level", lambda v: f"L{v}"),
                moved("urgent", lambda v: t("form.yes") if v else t("form.no")),
                moved("status", status_label),
            ]
            return " · ".join(change for change in changes if change)
        if kind == "assigned":
            return f"{data.get('from') or '—'} → {data.get('to') or '—'}"
        if kind == "note":
            return str(data.get("text", ""))
        if kind == "contact":
            arrow = "←" if data.get("direction") == "inbound" else "→"
            parts = [f"{channel_label(str(data.get('channel', '')))} {arrow}"]
            if data.get("template"):
                template_id = str(data["template"])
                known = template_id in templates.TEMPLATE_IDS
                title = templates.title(template_id, language()) if known else template_id
                parts.append(f"[{title}]")
            text = " · ".join(parts) + f": {data.get('summary', '')}"
            if data.get("first_response"):
                text += f"  ({t('case.first_response_made')})"
            if contact is not None and contact.next_follow_up_at is not None:
                text += f"  {t('case.follow_up_at', at=self.time(contact.next_follow_up_at))}"
            return text
        if kind == "wait":
            return " ".join(part for part in (wait_on_label(str(data.get("on", ""))),
                                               str(data.get("note", ""))) if part)
        if kind in ("resume", "reopened", "voided"):
            return str(data.get("note") or data.get("reason") or "")
        if kind == "escalated":
            return f"→ {tier_label(str(data.get('tier', '')))}: {data.get('reason', '')}"
        if kind == "decided":
            return str(data.get("decision", ""))
        if kind == "resolved":
            return str(data.get("summary", ""))
        if kind == "responsibility":
            parts = [party_label(data.get("responsible_party"))]
            if data.get("responsible_department"):
                parts.append(department_label(data["responsible_department"]))
            if data.get("joint_department"):
                parts.append("+ " + department_label(data["joint_department"]))
            if data.get("root_cause"):
                parts.append(str(data["root_cause"]))
            return " · ".join(parts)
        if kind.startswith("remedy_"):
            amount = data.get("amount_minor") or 0
            parts = [f"#{data.get('remedy_id', '?')}", remedy_label(str(data.get("type", "")))]
            if amount:
                parts.append(self.money(int(amount), str(data.get("currency", ""))))
            if data.get("status"):
                parts.append(remedy_status_label(str(data["status"])))
            extra = data.get("reason") or data.get("note")
            return " ".join(parts) + (f": {extra}" if extra else "")
        if kind == "survey":
            return f"{data.get('score', '?')}/5 {data.get('comment', '')}".strip()
        if kind == "incident_linked":
            return f"{data.get('incident', '')} {data.get('title', '')}".strip()
        if kind in ("urgent_set", "urgent_cleared", "closed"):
            return ""
        if kind in ("email_sent", "email_failed", "hook_failed"):  # what the outbox did
            target = f"→ {data.get('to', '')}"
            if data.get("subject"):
                target += f" [{data['subject']}]"
            if kind != "email_sent" and not data.get("final", True):
                target += f" ({t('outbox.retrying')})"
            return f"{target}: {data.get('answer', '')} (outbox #{data.get('outbox', '?')})"
        return ", ".join(
            f"{name}={value}" for name, value in data.items() if value not in ("", None)
        )
