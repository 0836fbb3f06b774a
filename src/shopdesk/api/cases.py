"""The case API: /api/v1/cases — the same services the TUI calls, behind bearer tokens."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

import msgspec
from litestar import Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter

from shopdesk.api.auth import SECURITY, actor_of, require_token
from shopdesk.api.errors import error_responses
from shopdesk.api.schemas import CasePage, Escalation, NewCase, Note, Resolution
from shopdesk.domain import kinds, workflow
from shopdesk.domain.cases import Case, CaseDetail
from shopdesk.domain.errors import ValidationError
from shopdesk.domain.filters import CaseFilter
from shopdesk.domain.intake import generic
from shopdesk.domain.intake.mapping import UnmappableError, WrongContentType
from shopdesk.services import Services

MAX_PAGE = 200


async def require_json(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard: a body that is declared JSON (checked before the body is read)."""
    media_type = connection.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise WrongContentType(
            f"Content-Type must be application/json, not {media_type or 'missing'}",
            field="Content-Type",
        )


_PROTECTED = dict(guards=[require_token], security=SECURITY, tags=["cases"])
_PROTECTED_WRITE = dict(_PROTECTED, guards=[require_token, require_json])


class _Cursor(msgspec.Struct):
    o: int


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(_Cursor(o=offset))).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        offset = msgspec.json.decode(raw, type=_Cursor).o
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise ValidationError("cursor is not one this API gave out", field="cursor") from None
    if offset < 0:
        raise ValidationError("cursor is not one this API gave out", field="cursor")
    return offset


def _check_all(values: list[str] | None, allowed: tuple[str, ...], field: str) -> None:
    for value in values or []:
        if value not in allowed:
            raise ValidationError(
                f"unknown {field} {value!r}; expected one of: {', '.join(allowed)}", field=field
            )


@get(
    "/api/v1/cases",
    summary="List cases in queue order",
    description="Overdue first, then urgent, then level (L3 first), then due time. Cursor paging: "
                "follow `next_cursor` until it is null.",
    responses=error_responses(401),
    **_PROTECTED,
)
async def list_cases(
    services: NamedDependency[Services],
    status: Annotated[list[str] | None, QueryParameter(description="new, open, waiting, …")] = None,
    kind: Annotated[list[str] | None, QueryParameter(description="damaged, lost, …")] = None,
    level: Annotated[list[int] | None, QueryParameter(description="1, 2 or 3")] = None,
    urgent: FromQuery[bool | None] = None,
    assignee: FromQuery[str | None] = None,
    overdue: FromQuery[bool | None] = None,
    q: Annotated[str | None, QueryParameter(description="ref, order number, customer, tracking")]
    = None,
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[str | None, QueryParameter(description="next_cursor of the previous page")]
    = None,
) -> CasePage:
    _check_all(status, workflow.STATUSES, "status")
    _check_all(kind, kinds.KINDS, "kind")
    for value in level or []:
        kinds.check_level(value)
    offset = _decode_cursor(cursor) if cursor else 0
    case_filter = CaseFilter(
        statuses=status or None, kinds=kind or None, levels=level or None, urgent=urgent,
        assignee=assignee, overdue=overdue, q=q or None,
    )
    items = await services.cases.list(case_filter, limit=limit + 1, offset=offset)
    total = await services.cases.count(case_filter)
    more = len(items) > limit
    return CasePage(
        items=items[:limit], next_cursor=_encode_cursor(offset + limit) if more else None,
        total=total,
    )


@get("/api/v1/cases/{ref:str}", summary="A case with its order and timeline",
     responses=error_responses(401, 404), **_PROTECTED)
async def get_case(services: NamedDependency[Services], ref: FromPath[str]) -> CaseDetail:
    return await services.cases.detail(ref)


@post(
    "/api/v1/cases",
    summary="Report an exception: open a case",
    description="With an `Idempotency-Key` header, sending the same report again returns the "
                "case the first one opened (200) instead of opening another (201).",
    responses={200: ResponseSpec(data_container=Case, description="The case this Idempotency-Key "
                                 "opened before"),
               **error_responses(401, 404, 413, 415)},
    status_code=201,
    **_PROTECTED_WRITE,
)
async def open_case(
    services: NamedDependency[Services],
    request: Request,
    data: JSONBody[NewCase],
    idempotency_key: Annotated[
        str | None, HeaderParameter(name="Idempotency-Key", max_length=200)
    ] = None,
) -> Response[Case]:
    actor = actor_of(request)
    kinds.check_kind(data.kind)
    kinds.check_level(data.level)
    order_id = None
    if data.order is not None:
        try:
            order = generic.to_order(data.order_source, data.order)
        except UnmappableError as error:
            raise ValidationError(error.detail, field=error.field) from None
        order_id = await services.orders.upsert(order)
    dedupe_key = f"idempotency:{actor.name}:{idempotency_key}" if idempotency_key else None
    case, created = await services.cases.open(
        actor, kind=data.kind, level=data.level, urgent=data.urgent, title=data.title,
        description=data.description, order_id=order_id, customer=data.customer,
        evidence=list(data.evidence), source="api", dedupe_key=dedupe_key,
    )
    return Response(case, status_code=201 if created else 200)


_WRITE_ERRORS = error_responses(401, 403, 404, 409, 413, 415)


@post("/api/v1/cases/{ref:str}/notes", summary="Add a note to the timeline", status_code=200,
      responses=_WRITE_ERRORS, **_PROTECTED_WRITE)
async def add_note(
    services: NamedDependency[Services], request: Request, ref: FromPath[str],
    data: JSONBody[Note],
) -> Case:
    return await services.cases.add_note(
        actor_of(request), ref, data.text, expected_version=data.expected_version
    )


@post("/api/v1/cases/{ref:str}/escalate", summary="Escalate to the next tier (上报)",
      status_code=200, responses=_WRITE_ERRORS, **_PROTECTED_WRITE)
async def escalate(
    services: NamedDependency[Services], request: Request, ref: FromPath[str],
    data: JSONBody[Escalation],
) -> Case:
    return await services.cases.escalate(
        actor_of(request), ref, data.reason, expected_version=data.expected_version
    )


@post("/api/v1/cases/{ref:str}/resolve", summary="Resolve: remedy done and customer told",
      status_code=200, responses=_WRITE_ERRORS, **_PROTECTED_WRITE)
async def resolve(
    services: NamedDependency[Services], request: Request, ref: FromPath[str],
    data: JSONBody[Resolution],
) -> Case:
    return await services.cases.resolve(
        actor_of(request), ref, data.summary, expected_version=data.expected_version
    )


ROUTES = [list_cases, get_case, open_case, add_note, escalate, resolve]
