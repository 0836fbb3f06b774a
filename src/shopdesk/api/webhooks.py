"""POST /webhooks/{source}: order events from shop plugins (generic, WooCommerce, Shopify).

The handler reads the raw body (the signature covers those exact bytes) and hands it to the intake
service; everything else — verification, mapping, storing, deduplication — happens there.

`DirectDeliveries` answers the common case before Litestar routes it: Litestar's per-request
machinery — routing, middleware, kwargs, the Request and Response objects — costs more per delivery
than verifying, mapping and storing it (measured: docs/design.md, where the figures say why this
second way in is kept). A well-formed delivery (POST /webhooks/{source} with a JSON Content-Type, a
Content-Length within api.max_body_bytes and an allowed Host) makes the same service call and gets
the same answer as from `receive_webhook`. Every other request, and every delivery the service
refuses (401, 400, 404, 409, …), goes on to Litestar with its body replayed, so it is routed,
refused and worded by api/hosts.py and api/errors.py exactly as before; the route stays declared
for the OpenAPI schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

import msgspec
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
from litestar.types import HTTPScope, Message, Receive, Send

from shopdesk.api.errors import error_responses
from shopdesk.api.hosts import host_name, is_allowed
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
        "readable as an order event; kept in quarantine for an operator. 409: a generic event "
        "id delivered before with another event. See docs/webhooks.md."
    ),
    tags=["webhooks"],
    status_code=200,
    operation_class=_WebhookOperation,
    responses={
        202: ResponseSpec(data_container=Receipt,
                          description="Signed but unmappable: stored in quarantine"),
        **error_responses(401, 404, 409, 413, 415, 503),
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


PREFIX = "/webhooks/"
# Host values answered directly: a subset of what Litestar's router accepts (others go there).
_PLAIN_HOST = re.compile(rb"[0-9A-Za-z.\-]+(:[0-9]+)?|\[[0-9A-Fa-f:.]+\](:[0-9]+)?")
_encoder = msgspec.json.Encoder()


class DirectDeliveries:
    """Well-formed webhook deliveries answered without Litestar's per-request machinery (see the
    module's docstring); `answer()` is called by the app for every HTTP request."""

    def __init__(self, services: Services, *, allowed_hosts: list[str], max_body_bytes: int):
        self._services = services
        self._allowed_hosts = list(allowed_hosts)
        self._max_body_bytes = max_body_bytes
        self._hosts_seen: dict[bytes, bool] = {}  # Host header -> allowed (a few values)

    async def answer(self, scope: HTTPScope, receive: Receive, send: Send) -> Receive | None:
        """None when this request was answered here; else the `receive` Litestar is to use (the
        request's own, or one that replays the body read here)."""
        path = scope["path"]
        if (scope["method"] != "POST" or not path.startswith(PREFIX) or scope.get("root_path")
                or "/" in path[len(PREFIX):] or len(path) == len(PREFIX)):
            return receive
        headers: dict[str, str] = {}
        host = length = None
        for name, value in scope["headers"]:  # ASGI: names already lower-case
            if name == b"host":
                host = value
            elif name == b"content-length":
                length = value
            headers[name.decode("latin-1")] = value.decode("latin-1")
        media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if (media_type != JSON or host is None or not self._is_allowed(host) or length is None
                or not length.isdigit() or int(length) > self._max_body_bytes):
            return receive
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None  # nobody to answer; nothing was stored
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if len(body) > self._max_body_bytes:
            return _replay(body, receive)
        try:
            receipt = await self._services.intake.receive(
                path[len(PREFIX):], headers, body, content_type=media_type)
        except Exception:  # noqa: BLE001 - refused or failed: Litestar answers it as it always did
            return _replay(body, receive)
        content = _encoder.encode(receipt)
        await send({
            "type": "http.response.start",
            "status": 202 if receipt.status == "quarantined" else 200,
            "headers": [(b"content-type", JSON.encode()),
                        (b"content-length", str(len(content)).encode())],
        })
        await send({"type": "http.response.body", "body": content})
        return None

    def _is_allowed(self, host: bytes) -> bool:
        allowed = self._hosts_seen.get(host)
        if allowed is None:
            allowed = bool(_PLAIN_HOST.fullmatch(host)) and is_allowed(
                host_name(host.decode("latin-1")), self._allowed_hosts)
            if len(self._hosts_seen) < 64:
                self._hosts_seen[host] = allowed
        return allowed


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives `body` (already read from the request) first, then the request's."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
