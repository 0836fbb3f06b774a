"""Bearer tokens for the case API (`shopdesk token create`): a guard that answers 401."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.spec import SecurityScheme

from shopdesk.domain.cases import Actor
from shopdesk.services import Services

SCHEME = "bearer"
SECURITY_SCHEME = SecurityScheme(
    type="http", scheme="bearer",
    description="A token from `shopdesk token create NAME`, sent as `Authorization: Bearer <token>`.",
)
SECURITY = [{SCHEME: []}]


async def require_token(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard: a valid, unrevoked bearer token; the request then acts as the token's operator."""
    services: Services = connection.app.state.services
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise NotAuthorizedException(
            "missing Authorization header; send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException(
            "Authorization must be Bearer <token>", headers={"WWW-Authenticate": "Bearer"}
        )
    record = await services.tokens.verify(token.strip())
    if record is None:
        raise NotAuthorizedException(
            "unknown or revoked token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
        )
    await services.operators.refresh()  # an operator disabled or re-roled by the CLI counts
    connection.state.actor = services.actor(record.operator)


def actor_of(connection: ASGIConnection) -> Actor:
    return connection.state.actor
