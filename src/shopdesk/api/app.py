"""The Litestar app: `create_app(services)` is called by runtime.py (TUI + API in one loop),
`shopdesk serve` (server.serve_api) and the tests, with the same Services object the TUI uses.

Handlers are thin: read the body, verify, decode, one service call, return a Struct (STYLE §1.3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.logging.config import LoggingConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components

from shopdesk import __version__
from shopdesk.api import (
    auth,
    case_actions,
    cases,
    exports,
    health,
    incidents,
    outbound,
    webhooks,
)
from shopdesk.api.errors import EXCEPTION_HANDLERS
from shopdesk.api.hosts import AllowedHostsMiddleware
from shopdesk.api.openapi import StrictStructSchemaPlugin

if TYPE_CHECKING:
    from litestar.logging.config import BaseLoggingConfig
    from litestar.types import Receive, Scope, Send

    from shopdesk.services import Services


class ShopdeskAPI(Litestar):
    """Litestar, with well-formed webhook deliveries answered by `webhooks.DirectDeliveries`
    before its routing (everything else, refusals included, is Litestar's as usual). Middleware
    and hooks given to Litestar below never see those deliveries: a new one that must (CORS,
    request logging …) belongs in DirectDeliveries too, or set `direct_deliveries` to None."""

    direct_deliveries: webhooks.DirectDeliveries | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # type: ignore[override]
        if scope["type"] == "http" and self.direct_deliveries is not None:
            passed_on = await self.direct_deliveries.answer(scope, receive, send)
            if passed_on is None:
                return
            receive = passed_on
        await super().__call__(scope, receive, send)


def _propagating_logging_config() -> LoggingConfig:
    """No handler of Litestar's own: its records go to the root logger, which
    logs.configure_file_logging points at the log file."""
    return LoggingConfig(
        handlers={
            "console": {"class": "logging.NullHandler"},
            "queue_listener": {"class": "logging.NullHandler"},
        },
        loggers={"litestar": {"level": "INFO", "handlers": [], "propagate": True}},
        configure_root_logger=False,
        log_exceptions="never",  # api.errors logs 500s with their traceback
    )


def create_app(services: Services, *, logging_config: BaseLoggingConfig | None = None) -> Litestar:
    """The API on `services`. Logging never goes to the terminal: pass server.file_logging_config()
    for a file of Litestar's own, or leave None to log through the root logger."""
    settings = services.settings.api
    intake_routes = webhooks.ROUTES

    async def stop_intake() -> None:  # the deliveries accepted are written before the answer
        await services.intake.aclose()
        await services.detection.aclose()

    app = ShopdeskAPI(
        route_handlers=[*health.ROUTES, *intake_routes, *cases.ROUTES, *case_actions.ROUTES,
                        *incidents.ROUTES, *exports.ROUTES, *outbound.ROUTES],
        dependencies={"services": Provide(lambda: services, use_cache=True, sync_to_thread=False)},
        state=State({"services": services}),
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[AllowedHostsMiddleware.factory(settings.allowed_hosts)],
        request_max_body_size=settings.max_body_bytes,
        logging_config=logging_config or _propagating_logging_config(),
        on_shutdown=[stop_intake],
        plugins=[StrictStructSchemaPlugin()],
        openapi_config=OpenAPIConfig(
            title="shopdesk",
            version=__version__,
            description="Webhook intake from shop plugins and the case API of shopdesk.",
            path="/schema",
            components=Components(security_schemes={auth.SCHEME: auth.SECURITY_SCHEME}),
        ),
        debug=False,
    )
    app.direct_deliveries = webhooks.DirectDeliveries(
        services, allowed_hosts=settings.allowed_hosts, max_body_bytes=settings.max_body_bytes)
    return app
