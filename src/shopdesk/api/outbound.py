"""What shopdesk sends, in the OpenAPI document: the body of a `shopdesk`-format hook
(`OutboundEvent`, docs/outbound.md) published as the answer of a documented example route."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from shopdesk.api.auth import SECURITY, actor_of, require_token
from shopdesk.api.cases import _case_ref, require_json, strictly
from shopdesk.api.errors import error_responses
from shopdesk.domain.cases import Case
from shopdesk.domain.outbound import EVENTS, EventCase, EventOrder, EventRemedy, OutboundEvent
from shopdesk.services import Services

_HOOK_DOC = (
    "What a hook of format `shopdesk` receives: this JSON as the POST body, with headers "
    "`Shopdesk-Event` (the type), `Shopdesk-Event-Id` (the id) and, when the hook has a secret, "
    "`Shopdesk-Signature: t=<unix>,v1=<hex HMAC-SHA256 of \"t.body\">` — the scheme of inbound "
    "generic webhooks. The id is stable: a message tried again (after a timeout, a 5xx, a restart) "
    "carries the same id, so dedupe on it. Answer 2xx once stored; 3xx is not followed; 4xx fails "
    "the message for good (`shopdesk outbox retry ID` sends it again); 5xx and timeouts are tried "
    "again with backoff for a day. Types: " + ", ".join(EVENTS) + ". This route answers an example."
)


@get("/api/v1/outbound/example-event", summary="The event a `shopdesk`-format hook receives",
     description=_HOOK_DOC, guards=[require_token], security=SECURITY, tags=["outbound"],
     sync_to_thread=False, responses=error_responses(401))
def example_event(services: NamedDependency[Services]) -> OutboundEvent:
    return OutboundEvent(
        id="3f9c1a2b7e-ev1042", type="remedy.approved",
        occurred_at=datetime(2026, 11, 23, 2, 0, tzinfo=UTC), shop=services.settings.shop_name,
        summary="C-000012: remedy #7 (refund_partial 35.00 CNY) approved",
        case=EventCase(ref="C-000012", kind="damaged", level=2, urgent=False, status="open",
                       tier="operator", title="Teapot arrived cracked", assignee="li.na",
                       order=EventOrder(source="woo", external_id="4711", number="SO-4711"),
                       customer_name="Wang Fang"),
        remedy=EventRemedy(id=7, type="refund_partial", amount_minor=3500, currency="CNY",
                           status="approved"),
        data={"remedy_id": 7, "type": "refund_partial", "amount_minor": 3500, "currency": "CNY",
              "note": "half the price back"},
    )


class CustomerSurvey(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The customer's own answer, as a plugin brings it back."""

    token: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    """The `survey.token` of the survey.requested event (or of the survey email's link)."""
    score: Annotated[int, msgspec.Meta(ge=1, le=5)]
    """1 (very unhappy) .. 5 (very happy)."""
    comment: Annotated[str, msgspec.Meta(max_length=4000)] = ""


@post("/api/v1/cases/{ref:str}/customer-survey",
      summary="The customer's own survey answer (满意度调查), with the survey token",
      description="What a plugin posts when the customer answers the survey that "
                  "survey.requested asked for: recorded as the customer's answer (an operator's "
                  "score is recorded apart, by the case screen or the CLI). Once per case, after "
                  "resolution; a resolved case closes with it. 403 for a token that is not this "
                  "case's, 409 when the case has its survey already.",
      guards=[require_token, require_json], security=SECURITY, tags=["cases"], status_code=200,
      responses=error_responses(400, 401, 403, 404, 409, 413, 415, 503))
async def customer_survey(services: NamedDependency[Services], request: Request,
                          ref: FromPath[str], data: JSONBody[CustomerSurvey]) -> Case:
    data = await strictly(request, CustomerSurvey)
    return await services.outbound.customer_survey(
        actor_of(request), await _case_ref(services, ref), token=data.token, score=data.score,
        comment=data.comment)


ROUTES = [example_event, customer_survey]
