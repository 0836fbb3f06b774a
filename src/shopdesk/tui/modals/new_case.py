"""`N`: a case opened by hand — a customer phoned, mailed or chatted.

A FormModal (kind, level, urgent, title, description, customer, phone, order number) whose submit
is `services.cases_by_hand.open_by_hand`, the same call as `shopdesk cases open`: a refusal shows
under the field it names and keeps everything typed; success dismisses the form with the new case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shopdesk.domain import kinds
from shopdesk.domain.cases import Case
from shopdesk.services.cases_by_hand import open_by_hand
from shopdesk.tui.i18n import t
from shopdesk.tui.modals.forms import FormField, FormModal, Values
from shopdesk.tui.vocabulary import kind_label, level_label

if TYPE_CHECKING:
    from shopdesk.services import Services

DEFAULT_KIND = "complaint"


def new_case_fields() -> list[FormField]:
    return [
        FormField("kind", t("form.kind"), "select",
                  [(kind_label(kind), kind) for kind in kinds.KINDS], DEFAULT_KIND),
        FormField("level", t("form.level"), "select",
                  [(level_label(level), str(level)) for level in kinds.LEVELS], "1"),
        FormField("urgent", t("form.urgent"), "select",
                  [(t("form.no"), "no"), (t("form.yes"), "yes")], "no"),
        FormField("title", t("form.case_title"), placeholder=t("form.case_title.placeholder")),
        FormField("customer_name", t("form.customer_name")),
        FormField("customer_phone", t("form.customer_phone")),
        FormField("order_number", t("form.order_number"),
                  placeholder=t("form.order_number.placeholder")),
        FormField("description", t("form.description"), "text"),
    ]


def new_case_modal(services: Services, operator: str) -> FormModal[Case]:
    """The form; it opens the case itself and is dismissed with it (None on escape)."""
    actor = services.actor(operator)

    async def submit(values: Values) -> Case:
        return await open_by_hand(
            services, actor, kind=values["kind"], level=values["level"],
            urgent=values["urgent"] == "yes", title=values["title"],
            description=values["description"], customer_name=values["customer_name"],
            customer_phone=values["customer_phone"], order_number=values["order_number"],
        )

    return FormModal(t("form.new_case.title"), new_case_fields(), submit, id="new-case")
