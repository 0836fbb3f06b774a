"""POST /webhooks/{source}: order events from shop plugins (generic, WooCommerce, Shopify).

The handler reads the raw body (the signature covers those exact bytes) and hands it to the intake
service; everything else — verification, mapping, storing, deduplication — happens there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, Response, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.params import PathParameter

from shopdesk.api.errors import error_responses
from shopdesk.domain.intake.mapping import WrongContentType
from shopdesk.services import Services
from shopdesk.services.intake import Receipt

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@dataclass
class _WebhookOperation(Operation):
    """The body is read raw (the signature covers its bytes), so declare it here: a JSON object
    in the source's format (shopdesk's generic event, a WooCommerce order, a Shopify order …)."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description="The event as the shop sends it; see docs/webhooks.md for each format.",
            content={JSON: OpenAPIMediaType(schema=Schema(type=OpenAPIType.OBJECT))},
        )


@post(
    "/webhooks/{source:str}",
    summary="Receive a webhook from a shop",
    description=(
        "The raw body must be signed with the source's secret: `Shopdesk-Signature` (generic), "
        "`X-WC-Webhook-Signature` (WooCommerce) or `X-Shopify-Hmac-Sha256` (Shopify). "
        "200: stored (or a replay, or a test or ping: nothing changed). 202: signed but not "
        "readable as an order event; kept in quarantine for an operator. See docs/webhooks.md."
    ),
    tags=["webhooks"],
    status_code=200,
    operation_class=_WebhookOperation,
    responses={
        202: ResponseSpec(data_container=Receipt,
                          description="Signed but unmappable: stored in quarantine"),
        **error_responses(401, 404, 413, 415),
    },
)
async def receive_webhook(
    request: Request,
    source: Annotated[
        str, PathParameter(description="The source's name, from `shopdesk source add NAME`")
    ],
) -> Response[Receipt]:
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in (JSON, FORM):
        raise WrongContentType(
            f"Content-Type must be {JSON}, not {media_type or 'missing'}", field="Content-Type"
        )
    body = await request.body()
    headers = {name.decode("latin-1"): value.decode("latin-1")
               for name, value in request.scope["headers"]}  # ASGI: names already lower-case
    # The app's state, not a dependency: resolving one costs every delivery more than this line.
    services: Services = request.app.state.services
    receipt = await services.intake.receive(source, headers, body, content_type=media_type)
    return Response(receipt, status_code=202 if receipt.status == "quarantined" else 200)


ROUTES = [receive_webhook]
