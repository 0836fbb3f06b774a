"""The incident forms of the TUI: declare, link marked cases, link by filter (with a live count),
the response team, bulk actions (progress as notifications, refused cases listed), stable, close
with the review, and the review written as Markdown and CSV files.

Each flow asks with a FormModal whose submit calls `services.incidents`; refusals stay in the form.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from shopdesk.domain import kinds
from shopdesk.domain.errors import ShopdeskError
from shopdesk.domain.templates import TEMPLATE_IDS
from shopdesk.tui.action_runner import actor_of, services_of
from shopdesk.tui.i18n import t
from shopdesk.tui.modals.forms import FormField, FormModal, Values
from shopdesk.tui.refusals import refusal_text
from shopdesk.tui.vocabulary import incident_type_label

if TYPE_CHECKING:
    from shopdesk.domain.cases import Incident


def _worded(call):
    """A form's submit whose refusals are worded in the UI language."""

    async def submit(values: Values) -> Any:
        try:
            return await call(values)
        except ShopdeskError as error:
            raise ShopdeskError(refusal_text(error), field=error.field) from error

    return submit


async def _form(screen: Screen, title: str, fields: list[FormField], call,
                done: Callable[[Any], str], **options: Any) -> None:
    def finished(result: Any) -> None:
        if result is not None:
            screen.notify(done(result), markup=False, timeout=8)

    await screen.app.push_screen(FormModal(title, fields, _worded(call), **options), finished)


async def declare(screen: Screen) -> None:
    services = services_of(screen)
    actor = actor_of(screen, services)
    fields = [
        FormField("type", t("incident.form.type"), "select",
                  [(incident_type_label(code), code) for code in kinds.INCIDENT_TYPES],
                  "carrier_outage"),
        FormField("level", t("incident.form.level"), "select",
                  [("L1", "1"), ("L2", "2"), ("L3", "3")], "2"),
        FormField("title", t("incident.form.title"), placeholder=t("form.required")),
        FormField("owner", t("incident.form.owner"), value=actor.name),
        FormField("description", t("incident.form.description"), "text"),
    ]

    async def call(values: Values) -> Incident:
        return await services.incidents.declare(
            actor, title=values["title"], type=values["type"], level=int(values["level"]),
            owner=values["owner"], description=values["description"])

    await _form(screen, t("incident.form.declare"), fields, call,
                lambda incident: t("incident.done.declared", ref=incident.ref), focus="title")


async def link_marked(screen: Screen, refs: list[str], on_linked: Callable[[], None]) -> None:
    """Link the cases `refs` to an active or stable incident the operator picks."""
    services = services_of(screen)
    actor = actor_of(screen, services)
    open_incidents = [incident for incident in await services.incidents.list()
                      if incident.status != "closed"]
    if not open_incidents:
        screen.notify(t("incident.none_open"), severity="warning")
        return
    fields = [FormField(
        "incident", t("incident.form.incident"), "select",
        [(f"{incident.ref} {incident.title}", str(incident.id)) for incident in open_incidents],
        str(open_incidents[0].id))]

    async def call(values: Values):
        result = await services.incidents.link_refs(actor, int(values["incident"]), refs)
        incident = await services.incidents.get(int(values["incident"]))
        on_linked()
        return result, incident

    await _form(screen, t("incident.form.link_marked", count=len(refs)), fields, call,
                lambda done: t("incident.done.linked", linked=done[0].linked, ref=done[1].ref))


async def link_filter(screen: Screen, incident: Incident) -> None:
    services = services_of(screen)
    actor = actor_of(screen, services)
    from shopdesk.services.incidents import link_filter_from_text

    fields = [
        FormField("carrier", t("incident.form.carrier")),
        FormField("kinds", t("incident.form.kinds"), placeholder=t("incident.form.kinds_hint")),
        FormField("statuses", t("incident.form.statuses"),
                  placeholder=t("incident.form.statuses_hint")),
        FormField("source", t("incident.form.source")),
        FormField("shipped_from", t("incident.form.shipped_from"), placeholder="YYYY-MM-DD"),
        FormField("shipped_to", t("incident.form.shipped_to"), placeholder="YYYY-MM-DD"),
        FormField("place", t("incident.form.place")),
        FormField("preview", t("incident.form.preview"), "preview"),
    ]

    def case_filter(values: Values):
        return link_filter_from_text(
            services.settings.timezone, carrier=values["carrier"] or None,
            kinds=values["kinds"] or None, statuses=values["statuses"] or None,
            source=values["source"], shipped_from=values["shipped_from"] or None,
            shipped_to=values["shipped_to"] or None, place=values["place"])

    counted: dict[str, str] = {}

    def preview(values: Values) -> str:
        """The count for the filter as typed (the form refreshes this on every change)."""
        try:
            wanted = case_filter(values)
        except ShopdeskError as error:
            return refusal_text(error)
        key = repr(wanted)
        if key not in counted:
            counted[key] = "…"

            async def count() -> None:
                with contextlib.suppress(Exception):
                    counted[key] = t("incident.preview_count",
                                     count=await services.incidents.preview(wanted))
                    top = screen.app.screen
                    if isinstance(top, FormModal):
                        top._refresh_preview()  # show the count now it is known
            screen.run_worker(count(), exit_on_error=False)
        return counted[key]

    async def call(values: Values):
        return await services.incidents.link_filter(actor, incident.id, case_filter(values))

    await _form(screen, t("incident.form.link_filter", ref=incident.ref), fields, call,
                lambda result: t("incident.done.linked", linked=result.linked, ref=incident.ref),
                preview=preview)


async def team(screen: Screen, incident: Incident) -> None:
    services = services_of(screen)
    actor = actor_of(screen, services)
    operators = [operator.name for operator in services.settings.operators]
    fields = [
        FormField("operator", t("incident.form.operator"), suggestions=operators),
        FormField("role", t("incident.form.role"), placeholder="lead, comms, logistics …"),
        FormField("phone", t("incident.form.phone")),
    ]

    async def call(values: Values):
        await services.incidents.add_member(actor, incident.id, operator=values["operator"],
                                            role=values["role"], phone=values["phone"])
        return values["operator"].strip()

    await _form(screen, t("incident.form.team", ref=incident.ref), fields, call,
                lambda operator: t("incident.done.team", operator=operator, ref=incident.ref))


async def bulk(screen: Screen, incident: Incident) -> None:
    services = services_of(screen)
    actor = actor_of(screen, services)
    fields = [
        FormField("action", t("incident.form.action"), "select",
                  [(t(f"incident.bulk.{action}"), action)
                   for action in ("note", "contact", "escalate", "resolve")], "note"),
        FormField("text", t("incident.form.text")),
        FormField("channel", t("incident.form.channel"), "select",
                  [(channel, channel) for channel in kinds.CHANNELS], "sms"),
        FormField("template", t("incident.form.template"), "select",
                  [(template, template) for template in TEMPLATE_IDS], "incident_notice"),
    ]

    async def call(values: Values):
        action = values["action"]
        label = t(f"incident.bulk.{action}")
        shown = {"at": -1}

        def progress(done: int, total: int) -> None:
            # A line now and then on long runs (each batch is a fraction of a second).
            if total >= 100 and done - shown["at"] >= max(100, total // 5) or done == total > 0:
                shown["at"] = done
                screen.notify(t("incident.progress", action=label, done=done, total=total),
                              timeout=3)

        result = await services.incidents.bulk(
            actor, incident.id, action, text=values["text"], channel=values["channel"],
            template=values["template"] if action == "contact" else None, progress=progress)
        for refused in result.refused[:10]:
            screen.notify(t("incident.bulk_refused", ref=refused.ref, detail=refused.detail),
                          severity="warning", markup=False, timeout=12)
        return label, result

    await _form(screen, t("incident.form.bulk", ref=incident.ref), fields, call,
                lambda done: t("incident.done.bulk", action=done[0],
                               done=done[1].done + done[1].done_before,
                               refused=len(done[1].refused)))


async def stable(screen: Screen, incident: Incident) -> None:
    services = services_of(screen)
    try:
        await services.incidents.stable(actor_of(screen, services), incident.id)
    except ShopdeskError as error:
        screen.notify(refusal_text(error), severity="error", markup=False)
    else:
        screen.notify(t("incident.done.stable", ref=incident.ref))


async def close(screen: Screen, incident: Incident) -> None:
    services = services_of(screen)
    actor = actor_of(screen, services)
    fields = [
        FormField("cause", t("incident.form.cause"), "text", value=incident.review_cause),
        FormField("impact", t("incident.form.impact"), "text", value=incident.review_impact),
        FormField("lessons", t("incident.form.lessons"), "text", value=incident.review_changes),
    ]

    async def call(values: Values):
        return await services.incidents.close(actor, incident.id, cause=values["cause"],
                                              impact=values["impact"],
                                              lessons=values["lessons"])

    await _form(screen, t("incident.form.close", ref=incident.ref), fields, call,
                lambda closed: t("incident.done.closed", ref=closed.ref))


async def write_review(screen: Screen, incident: Incident) -> None:
    """The review as two files beside the exports: I-0003-review.md and I-0003-review.csv."""
    from shopdesk.tui.export_view import export_directory

    services = services_of(screen)
    try:
        directory = export_directory()
        markdown = directory / f"shopdesk-{incident.ref}-review.md"
        table = directory / f"shopdesk-{incident.ref}-review.csv"
        markdown.write_text(await services.incidents.review_markdown(incident.id),
                            encoding="utf-8")
        table.write_text(await services.incidents.review_csv(incident.id), encoding="utf-8",
                         newline="")
    except (OSError, ShopdeskError) as error:
        screen.notify(str(error), severity="error", markup=False)
        return
    screen.notify(t("incident.done.review", paths=f"{markdown}, {table}"), markup=False,
                  timeout=10)
