"""Performs one registry action on a case for any screen: asks with a form, calls the service in a
worker, says what happened.

`run_action(screen, action_id, case)` is all a screen calls. Every service call passes the version
the operator saw (`expected_version`); a refusal keeps the form open with what was typed, shows the
reason next to the field and raises an error notification. After a stale-version refusal the form
holds the current version, so ctrl+s again applies the same input to the case as it now is.

Actions with no key of their own live inside the nearest one: responsibility (责任划分) in triage,
marking an approved remedy done in approve, the satisfaction survey in close, a supervisor's
decision on an escalated case (back to work) in reopen.
"""

from __future__ import annotations

import getpass
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from textual.screen import Screen

from shopdesk.domain import kinds, money, templates, workflow
from shopdesk.domain.cases import Actor, Case, Order, Remedy, case_ref
from shopdesk.domain.errors import (
    ConflictError,
    ShopdeskError,
    TransitionError,
    ValidationError,
)
from shopdesk.domain.follow_ups import follow_up_at
from shopdesk.domain.sla import BusinessCalendar
from shopdesk.tui.actions import ACTIONS_BY_ID, ACTIONS_BY_MOVE, MOVE_LABELS, ActionSpec
from shopdesk.tui.i18n import language, t
from shopdesk.tui.modals.forms import FormField, FormModal, Submit, Values
from shopdesk.tui.refusals import refusal_text
from shopdesk.tui.vocabulary import (
    channel_label,
    department_label,
    direction_label,
    kind_label,
    level_label,
    local_time,
    party_label,
    remedy_label,
    remedy_status_label,
    status_label,
    wait_on_label,
)

if TYPE_CHECKING:
    from shopdesk.services import Services

log = logging.getLogger(__name__)

WAIT_ON: tuple[str, ...] = ("customer", "carrier", "supplier", "warehouse", "platform")


def services_of(screen: Screen) -> Services:
    found = getattr(screen, "services", None) or getattr(screen.app, "services", None)
    if found is None:
        raise RuntimeError("neither the screen nor the app holds the services")
    return found


def actor_of(screen: Screen, services: Services) -> Actor:
    """Who is working: the app's operator (a name or an Actor), with the role config gives them."""
    operator = getattr(screen.app, "operator", None)
    if isinstance(operator, Actor):
        return operator
    return services.actor(operator or getpass.getuser())


def move_label(move: str) -> str:
    """A workflow move as the keys name it: "t Triage" for acknowledge, "o Decide" for return."""
    spec = ACTIONS_BY_MOVE.get(move)
    if spec is None:
        return move
    return f"{spec.key} {t(MOVE_LABELS.get(move, spec.label))}"


def refusal(spec: ActionSpec, error: TransitionError) -> str:
    """A move the case's status does not allow, with the keys that are allowed instead."""
    if error.status not in workflow.STATUSES:  # e.g. escalating past the owner: its own words
        return refusal_text(error)
    allowed = list(dict.fromkeys(move_label(move) for move in error.allowed))
    return t(
        "refused.move",
        action=t(MOVE_LABELS.get(spec.moves[0], spec.label)) if spec.moves else t(spec.label),
        status=status_label(error.status),
        allowed=t("refused.sep").join(allowed) if allowed else t("refused.nothing"),
    )


def check_allowed(spec: ActionSpec, status: str, *, role: str | None = None,
                  tier: str | None = None) -> None:
    """Refuse `spec` at once when the domain allows none of its moves from `status`, or (given
    the actor's `role` and the case's `tier`) when each move it may make is a decision of a tier
    above the actor (resolving an escalated case as an operator)."""
    if not spec.moves:
        return
    possible = [move for move in spec.moves if workflow.may(move, status)]
    if not possible:
        raise TransitionError(spec.moves[0], status, workflow.allowed_actions(status))
    if role is not None and tier:
        for move in possible:
            try:
                workflow.require_decider(role, move, status, tier)
                return
            except ShopdeskError:
                if move == possible[-1]:
                    raise


@dataclass
class ActionContext:
    """One action in flight: where it was asked, by whom, on which case at which version."""

    screen: Screen
    services: Services
    actor: Actor
    case: Case
    version: int
    spec: ActionSpec

    @property
    def ref(self) -> str:
        return self.case.ref

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.services.settings.timezone)

    def notify_done(self, key: str, **values: object) -> None:
        values.setdefault("ref", self.ref)
        self.screen.notify(t(key, **values), markup=False)

    def guarded(self, call: Submit) -> Submit:
        """`call`, but a stale version takes the current one so the next submit can apply."""

        async def submit(values: Values) -> Any:
            try:
                return await call(values)
            except TransitionError as error:  # the case moved on while the form was open
                raise ShopdeskError(refusal(self.spec, error), field=error.field) from error
            except ConflictError as error:
                if error.field != "version":
                    raise ShopdeskError(refusal_text(error), field=error.field) from error
                fresh = await self.services.cases.get(self.ref)
                self.version = fresh.version
                raise ConflictError(
                    t("form.stale_then", reason=refusal_text(error), retry=t("form.stale_retry")),
                    field="version",
                ) from error
            except ShopdeskError as error:  # worded in the UI language (the detail is English)
                raise ShopdeskError(refusal_text(error), field=error.field) from error

        return submit

    async def form(
        self,
        title_key: str,
        fields: list[FormField],
        call: Callable[[Values], Awaitable[Any]],
        done_key: str | Callable[[Any], str],
        **options: Any,
    ) -> None:
        """Push a form; on success say `done_key` (or the key it gives for the result)."""

        def finished(result: Any) -> None:
            if result is None:
                return
            key = done_key if isinstance(done_key, str) else done_key(result)
            if isinstance(result, Remedy):
                self.notify_done(key, ref=case_ref(result.case_id), id=result.id)
            else:
                self.notify_done(key)

        modal: FormModal[Any] = FormModal(
            t(title_key, ref=self.ref), fields, self.guarded(call), **options
        )
        await self.screen.app.push_screen(modal, finished)

    async def direct(
        self, call: Callable[[], Awaitable[Any]], done_key: str, **values: object
    ) -> None:
        """A call without a form (toggle urgent, close): refusal or success as a notification."""
        try:
            await call()
        except TransitionError as error:
            self.screen.notify(refusal(self.spec, error), severity="error", markup=False)
        except ShopdeskError as error:
            self.screen.notify(refusal_text(error), severity="error", markup=False)
        else:
            self.notify_done(done_key, **values)


# --- the flows, one per action ----------------------------------------------------------------


def _options(codes: tuple[str, ...], label: Callable[[str], str]) -> list[tuple[str, str]]:
    return [(label(code), code) for code in codes]


def _optional(codes: tuple[str, ...], label: Callable[[str], str]) -> list[tuple[str, str]]:
    return [(t("form.none"), ""), *_options(codes, label)]


async def _triage(ctx: ActionContext) -> None:
    case = ctx.case
    fields = [
        FormField("kind", t("form.kind"), "select", _options(kinds.KINDS, kind_label), case.kind),
        FormField(
            "level", t("form.level"), "select",
            [(level_label(level), str(level)) for level in kinds.LEVELS], str(case.level),
        ),
        FormField(
            "urgent", t("form.urgent"), "select",
            [(t("form.no"), "no"), (t("form.yes"), "yes")], "yes" if case.urgent else "no",
        ),
        FormField(
            "party", t("form.party"), "select", _optional(kinds.PARTIES, party_label),
            case.responsible_party or "",
        ),
        FormField(
            "department", t("form.department"), "select",
            _optional(kinds.DEPARTMENTS, department_label), case.responsible_department or "",
        ),
        FormField(
            "joint_department", t("form.joint_department"), "select",
            _optional(kinds.DEPARTMENTS, department_label), case.joint_department or "",
        ),
        FormField("root_cause", t("form.root_cause"), value=case.root_cause),
    ]

    async def call(values: Values) -> Case:
        services, ref = ctx.services, ctx.ref
        result = ctx.case
        grading = (values["kind"], int(values["level"]), values["urgent"] == "yes")
        if case.status == "new" or grading != (case.kind, case.level, case.urgent):
            result = await services.cases.triage(
                ctx.actor, ref, kind=grading[0], level=grading[1], urgent=grading[2],
                expected_version=ctx.version,
            )
            ctx.version = result.version
        blame = (
            values["party"] or None, values["department"] or None,
            values["joint_department"] or None, values["root_cause"].strip(),
        )
        known = (
            case.responsible_party, case.responsible_department, case.joint_department,
            case.root_cause,
        )
        if blame != known:
            if blame[0] is None:
                raise ValidationError(t("form.party_needed"), field="party")
            result = await services.cases.set_responsibility(
                ctx.actor, ref, party=blame[0], department=blame[1], joint_department=blame[2],
                root_cause=blame[3], expected_version=ctx.version,
            )
            ctx.version = result.version
        return result

    await ctx.form("form.triage.title", fields, call, "done.triage")


def assignee_named(typed: str, operators: list[str], me: str) -> str:
    """The name to assign: yourself, nobody (""), or one of the config's operators in the config's
    spelling; another name is refused under the field. With no operators configured, any name."""
    name = typed.strip()
    if not name or name == me or not operators:
        return name
    for operator in operators:
        if operator.casefold() == name.casefold():
            return operator
    raise ValidationError(
        t("form.assignee_unknown", name=name, names=", ".join(operators)), field="assignee"
    )


async def _assign(ctx: ActionContext) -> None:
    operators = ctx.services.operators.active_names()  # the store's: no phantom assignee
    intro = t("form.assign.intro")
    if operators:
        intro += "\n" + t("form.assign.operators", names=", ".join(operators))
    fields = [
        FormField(
            "assignee", t("form.assignee"), value=ctx.actor.name,
            placeholder=t("form.assignee_placeholder"), suggestions=operators,
        )
    ]

    async def call(values: Values) -> Case:
        name = assignee_named(values["assignee"], operators, ctx.actor.name)
        if name == ctx.actor.name:
            return await ctx.services.cases.take(ctx.actor, ctx.ref, expected_version=ctx.version)
        return await ctx.services.cases.assign(
            ctx.actor, ctx.ref, name or None, expected_version=ctx.version
        )

    await ctx.form("form.assign.title", fields, call, "done.assign", intro=intro)


async def _note(ctx: ActionContext) -> None:
    fields = [FormField("text", t("form.note"), "text")]

    async def call(values: Values) -> Case:
        return await ctx.services.cases.add_note(
            ctx.actor, ctx.ref, values["text"], expected_version=ctx.version
        )

    await ctx.form("form.note.title", fields, call, "done.note")


def parse_follow_up(text: str, now: datetime, calendar: BusinessCalendar) -> datetime | None:
    """domain.follow_ups: "2h", "1d" count business time like the SLA; "10:00" is as given."""
    try:
        return follow_up_at(text, now, calendar)
    except ValidationError:
        raise ValidationError(
            t("form.follow_up_invalid", text=text.strip()), field="next_follow_up_at"
        ) from None


async def _contact(ctx: ActionContext) -> None:
    detail = await ctx.services.cases.detail(ctx.ref)
    shop = ctx.services.settings.shop_name
    ui_lang = language()
    template_options = [(t("form.no_template"), "")] + [
        (templates.title(template_id, ui_lang), template_id)
        for template_id in templates.TEMPLATE_IDS
    ]
    fields = [
        FormField("template", t("form.template"), "select", template_options, ""),
        FormField(
            "lang", t("form.template_lang"), "select",
            [("中文", "zh"), ("English", "en")],
            templates.suggested_language(detail.case, detail.order, ui_lang),
        ),
        FormField("preview", t("form.preview"), "preview"),
        FormField("channel", t("form.channel"), "select", _options(kinds.CHANNELS, channel_label)),
        FormField(
            "direction", t("form.direction"), "select",
            _options(kinds.DIRECTIONS, direction_label),
        ),
        FormField("summary", t("form.summary"), placeholder=t("form.contact_summary_placeholder")),
        FormField(
            "follow_up", t("form.follow_up"), placeholder=t("form.follow_up_placeholder"),
            error_fields=("next_follow_up_at",),
        ),
    ]
    auto_summaries = {
        t("form.contact_sent", template=templates.title(template_id, ui_lang))
        for template_id in templates.TEMPLATE_IDS
    }

    def preview(values: Values) -> str:
        template_id = values.get("template", "")
        if not template_id:
            return t("form.preview_none")
        return templates.render(template_id, values.get("lang", ui_lang), detail.case,
                                detail.order, shop)

    def derive(changed: str, values: Values) -> Values:
        """Choosing a template fills a summary the operator has not written themselves."""
        if changed != "template" or not values["template"]:
            return {}
        if values["summary"].strip() and values["summary"] not in auto_summaries:
            return {}
        title = templates.title(values["template"], ui_lang)
        return {"summary": t("form.contact_sent", template=title)}

    async def call(values: Values) -> Case:
        follow_up = parse_follow_up(
            values["follow_up"], ctx.services.now(), ctx.services.policy.calendar
        )
        return await ctx.services.cases.log_contact(
            ctx.actor, ctx.ref, channel=values["channel"], direction=values["direction"],
            summary=values["summary"], template=values["template"] or None,
            next_follow_up_at=follow_up, expected_version=ctx.version,
        )

    await ctx.form(
        "form.contact.title", fields, call, "done.contact", preview=preview, derive=derive
    )


async def _remedy(ctx: ActionContext) -> None:
    detail = await ctx.services.cases.detail(ctx.ref)
    currency = detail.order.currency if detail.order else ctx.services.settings.currency
    fields = [
        FormField(
            "type", t("form.remedy_type"), "select",
            _options(kinds.REMEDY_TYPES, remedy_label), "refund_partial",
        ),
        FormField(
            "amount", t("form.amount"), placeholder=t("form.amount_placeholder"),
            error_fields=("amount_minor",),
        ),
        FormField("currency", t("form.currency"), value=currency),
        FormField("note", t("form.remedy_note")),
    ]

    async def call(values: Values) -> Remedy:
        code = values["currency"].strip().upper() or currency
        return await ctx.services.cases.propose_remedy(
            ctx.actor, ctx.ref, type=values["type"],
            amount_minor=money.to_minor(values["amount"], code, field="amount"),
            currency=code, note=values["note"], expected_version=ctx.version,
        )

    def done(remedy: Remedy) -> str:
        if remedy.status == "approved":
            return "done.remedy_approved"
        if ctx.services.cases.approver_role(remedy) == "owner":
            return "done.remedy_proposed_owner"
        return "done.remedy_proposed"

    await ctx.form("form.remedy.title", fields, call, done)


def _remedy_choice(remedy: Remedy) -> str:
    amount = money.format_minor(remedy.amount_minor, remedy.currency) if remedy.amount_minor else ""
    parts = [f"#{remedy.id}", case_ref(remedy.case_id), remedy_label(remedy.type), amount,
             remedy_status_label(remedy.status)]
    return " ".join(part for part in parts if part)


def remedy_brief(remedy: Remedy, order: Order | None, zone: ZoneInfo, now: datetime) -> str:
    """What a supervisor weighs before deciding: who proposed the remedy and when (shop time),
    its note, and what the customer paid on the case's order."""
    lines = [t("form.approve.proposed", by=remedy.proposed_by,
               at=local_time(remedy.proposed_at, zone, now))]
    if remedy.decided_by and remedy.status == "approved":
        lines.append(t("form.approve.approved", by=remedy.decided_by,
                       at=local_time(remedy.decided_at, zone, now)))
    lines.append(t("form.approve.note", note=remedy.note.strip() or "—"))
    if order is None:
        lines.append(t("form.approve.no_order"))
    else:
        lines.append(t(
            "form.approve.order", number=order.number or order.external_id,
            total=money.format_minor(order.total_minor, order.currency),
            paid=money.format_minor(order.paid_minor, order.currency),
        ))
    return "\n".join(lines)


async def _orders_of(ctx: ActionContext, remedies: list[Remedy],
                     known: dict[int, Order | None]) -> dict[int, Order | None]:
    """The order of each remedy's case (None for a case without one), by case id."""
    found = dict(known)
    for remedy in remedies:
        if remedy.case_id in found:
            continue
        case = await ctx.services.cases.get(case_ref(remedy.case_id))
        found[remedy.case_id] = (await ctx.services.orders.get(case.order_id)
                                 if case.order_id else None)
    return found


async def _approve(ctx: ActionContext) -> None:
    detail = await ctx.services.cases.detail(ctx.ref)
    waiting = [r for r in detail.remedies if r.status in ("proposed", "approved")]
    intro = t("form.approve.intro_case", ref=ctx.ref)
    deciding = workflow.role_rank(ctx.actor.role) >= workflow.role_rank("supervisor")
    if not deciding:  # an operator marks approved remedies done; deciding is a supervisor's
        waiting = [r for r in waiting if r.status == "approved"]
        if not waiting:
            ctx.screen.notify(t("refused.approve_operator", ref=ctx.ref), severity="error",
                              markup=False)
            return
    if not waiting:
        waiting = await ctx.services.cases.pending_remedies()
        intro = t("form.approve.intro_all", ref=ctx.ref)
    if not waiting:
        ctx.screen.notify(t("form.approve.none"), severity="warning")
        return
    orders = await _orders_of(ctx, waiting, {detail.case.id: detail.order})
    by_id = {str(remedy.id): remedy for remedy in waiting}
    now = ctx.services.now()

    def brief(values: Values) -> str:
        remedy = by_id.get(values.get("remedy", ""))
        if remedy is None:
            return ""
        return remedy_brief(remedy, orders.get(remedy.case_id), ctx.zone, now)

    fields = [
        FormField(
            "remedy", t("form.remedy"), "select",
            [(_remedy_choice(remedy), str(remedy.id)) for remedy in waiting],
            str(waiting[0].id), error_fields=("remedy_id",),
        ),
        FormField("brief", t("form.approve.brief"), "preview"),
        FormField(
            "decision", t("form.decision"), "select",
            [(t("form.decision.approve"), "approve"), (t("form.decision.reject"), "reject"),
             (t("form.decision.done"), "done")] if deciding else [(t("form.decision.done"), "done")],
            "done" if waiting[0].status == "approved" else "approve",
            error_fields=("role",),
        ),
        FormField("reason", t("form.decision_reason"), placeholder=t("form.reason_placeholder")),
    ]

    async def call(values: Values) -> Remedy:
        remedy_id = int(values["remedy"])
        cases = ctx.services.cases
        if values["decision"] == "reject":
            return await cases.reject_remedy(ctx.actor, remedy_id, values["reason"])
        if values["decision"] == "done":
            return await cases.complete_remedy(ctx.actor, remedy_id, values["reason"])
        return await cases.approve_remedy(ctx.actor, remedy_id, values["reason"])

    def done(remedy: Remedy) -> str:
        return f"done.remedy_{remedy.status}"

    await ctx.form("form.approve.title", fields, call, done, intro=intro, preview=brief)


async def _wait(ctx: ActionContext) -> None:
    if ctx.case.status == "waiting":
        fields = [FormField("note", t("form.resume_note"))]

        async def resume(values: Values) -> Case:
            return await ctx.services.cases.resume(
                ctx.actor, ctx.ref, note=values["note"], expected_version=ctx.version
            )

        await ctx.form("form.resume.title", fields, resume, "done.resume")
        return
    fields = [
        FormField("on", t("form.wait_on"), "select", _options(WAIT_ON, wait_on_label), "customer"),
        FormField("note", t("form.wait_note")),
    ]

    async def wait(values: Values) -> Case:
        return await ctx.services.cases.wait(
            ctx.actor, ctx.ref, on=values["on"], note=values["note"], expected_version=ctx.version
        )

    await ctx.form("form.wait.title", fields, wait, "done.wait")


def _one_field_flow(
    title_key: str, field_name: str, label_key: str, done_key: str,
    method: str, *, confirm_key: str | None = None,
) -> Callable[[ActionContext], Awaitable[None]]:
    """A form with one required line of text passed on to `services.cases.<method>`."""

    async def flow(ctx: ActionContext) -> None:
        fields = [FormField(field_name, t(label_key), placeholder=t("form.required"))]

        async def call(values: Values) -> Case:
            service = getattr(ctx.services.cases, method)
            return await service(ctx.actor, ctx.ref, values[field_name],
                                 expected_version=ctx.version)

        confirm = t(confirm_key, ref=ctx.ref) if confirm_key else None
        await ctx.form(title_key, fields, call, done_key, confirm=confirm)

    return flow


_escalate = _one_field_flow(
    "form.escalate.title", "reason", "form.reason", "done.escalate", "escalate"
)
def _score_options() -> list[tuple[str, str]]:
    """Satisfaction scores 5..1, the ends saying what they mean."""
    return [(t(f"form.score.{score}") if score in (5, 1) else str(score), str(score))
            for score in range(5, 0, -1)]


async def _resolve(ctx: ActionContext) -> None:
    """Resolve, closing out in one form: approved remedies marked done, the survey recorded or
    requested (a remedy still awaiting a decision blocks it: A)."""
    detail = await ctx.services.cases.detail(ctx.ref)
    approved = [r for r in detail.remedies if r.status == "approved"]
    fields = [FormField("summary", t("form.resolution"), placeholder=t("form.required"))]
    if approved:
        listed = ", ".join(f"#{r.id} {remedy_label(r.type)}" for r in approved)
        fields.append(FormField(
            "remedies_done", t("form.resolve.remedies"), "select",
            [(t("form.resolve.mark_done", remedies=listed), "yes"),
             (t("form.resolve.leave"), "no")], "yes"))
    fields.append(FormField(
        "survey", t("form.survey_score"), "select",
        [(t("form.no_survey"), ""), (t("form.resolve.request_survey"), "request"),
         *_score_options()], ""))

    async def call(values: Values) -> Case:
        cases = ctx.services.cases
        version: int | None = ctx.version
        for remedy in detail.remedies:  # awaiting a decision: nothing is done, A unblocks it
            if remedy.status == "proposed":
                raise ValidationError(
                    f"remedy #{remedy.id} is proposed", field="remedies", code="remedy_pending",
                    params={"remedy": remedy.id, "type": remedy.type, "status": remedy.status,
                            "action": "resolve"})
        if approved and values.get("remedies_done") == "yes":
            for remedy in approved:
                await cases.complete_remedy(ctx.actor, remedy.id)
            version = None  # marking them done moved the case on: resolve it as it now is
        case = await cases.resolve(ctx.actor, ctx.ref, values["summary"], expected_version=version)
        survey = values.get("survey", "")
        if survey == "request":
            case = await cases.add_note(ctx.actor, ctx.ref, t("form.resolve.survey_note"))
        elif survey:
            case = await cases.record_survey(ctx.actor, ctx.ref, int(survey))
        return case

    await ctx.form("form.resolve.title", fields, call, "done.resolve", focus="summary")
_void = _one_field_flow(
    "form.void.title", "reason", "form.reason", "done.void", "void", confirm_key="form.void.confirm"
)
_reopen_case = _one_field_flow(
    "form.reopen.title", "reason", "form.reason", "done.reopen", "reopen"
)
_return_case = _one_field_flow(
    "form.return.title", "decision", "form.decision_text", "done.return", "return_to_operator"
)


async def _reopen(ctx: ActionContext) -> None:
    """Reopen a resolved or closed case; on an escalated one, the decision sends it back to work."""
    flow = _return_case if ctx.case.status == "escalated" else _reopen_case
    await flow(ctx)


async def _close(ctx: ActionContext) -> None:
    """Close; with a satisfaction score the survey is recorded, which closes a resolved case."""
    fields = [
        FormField(
            "score", t("form.survey_score"), "select",
            [(t("form.no_survey"), ""), *_score_options()],
            "",
        ),
        FormField("comment", t("form.survey_comment")),
    ]

    async def call(values: Values) -> Case:
        if values["score"]:
            return await ctx.services.cases.record_survey(
                ctx.actor, ctx.ref, int(values["score"]), values["comment"],
                expected_version=ctx.version,
            )
        return await ctx.services.cases.close(ctx.actor, ctx.ref, expected_version=ctx.version)

    await ctx.form("form.close.title", fields, call, "done.close", focus="score")


async def _urgent(ctx: ActionContext) -> None:
    urgent = not ctx.case.urgent
    await ctx.direct(
        lambda: ctx.services.cases.set_urgent(
            ctx.actor, ctx.ref, urgent, expected_version=ctx.version
        ),
        "done.urgent_on" if urgent else "done.urgent_off",
    )


FLOWS: dict[str, Callable[[ActionContext], Awaitable[None]]] = {
    "triage": _triage,
    "assign": _assign,
    "note": _note,
    "contact": _contact,
    "remedy": _remedy,
    "approve": _approve,
    "wait": _wait,
    "escalate": _escalate,
    "resolve": _resolve,
    "close": _close,
    "reopen": _reopen,
    "void": _void,
    "urgent": _urgent,
}
"""The actions of the registry that work on a case (`needs_case`), except open."""


def refused_for_role(ctx: ActionContext) -> str | None:
    """Why this operator's role may not use the key at all (its form then does not open)."""
    spec, actor = ctx.spec, ctx.actor
    if actor.role == "reader" and spec.needs_case and spec.id != "open_case":
        return t("refused.reader", name=actor.name)
    if spec.id != "approve" and workflow.role_rank(actor.role) < workflow.role_rank(spec.role):
        return t("refused.role", action=t(spec.label), needed=t(f"role.{spec.role}"),
                 name=actor.name, role=t(f"role.{actor.role}"))
    return None


async def _run(ctx: ActionContext, action_id: str) -> None:
    try:
        refused = refused_for_role(ctx)
        if refused:
            ctx.screen.notify(refused, severity="error", markup=False)
            return
        if ctx.spec.moves:  # judged on the status as it is now (the row may be a moment old)
            current = await ctx.services.cases.get(ctx.ref)
            check_allowed(ctx.spec, current.status, role=ctx.actor.role, tier=current.tier)
        await FLOWS[action_id](ctx)
    except TransitionError as error:
        ctx.screen.notify(refusal(ctx.spec, error), severity="error", markup=False)
    except ShopdeskError as error:
        ctx.screen.notify(refusal_text(error), severity="error", markup=False)
    except Exception as error:  # a bug must not end the app; it is logged and shown
        log.exception("action %s on %s failed", action_id, ctx.ref)
        ctx.screen.notify(t("run.failed", action=action_id, error=str(error)), severity="error",
                          markup=False)


async def run_action(screen: Screen, action_id: str, case: Case | None) -> None:
    """Run registry action `action_id` on `case` from `screen` (in a worker; returns at once)."""
    spec = ACTIONS_BY_ID.get(action_id)
    if spec is None or action_id not in FLOWS:
        screen.notify(t("run.unknown", action=action_id), severity="error", markup=False)
        return
    if case is None:
        screen.notify(t("run.no_case"), severity="warning")
        return
    services = services_of(screen)
    ctx = ActionContext(
        screen=screen, services=services, actor=actor_of(screen, services), case=case,
        version=case.version, spec=spec,
    )
    screen.run_worker(
        _run(ctx, action_id), name=f"action:{action_id}", group="actions", exit_on_error=False
    )
