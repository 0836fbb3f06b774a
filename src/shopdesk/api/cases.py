"""The case API: /api/v1/cases — the same services the TUI calls, behind bearer tokens."""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal, TypeVar

import msgspec
from litestar import HttpMethod, Request, Response, get, post, route
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import (
    FromPath,
    FromQuery,
    HeaderParameter,
    JSONBody,
    QueryParameter,
)

from shopdesk.api.auth import SECURITY, actor_of, require_token
from shopdesk.api.errors import ALLOWED_IN_QUERY, error_responses
from shopdesk.api.schemas import (
    CURSOR_PATTERN,
    CasePage,
    Escalation,
    NewCase,
    Note,
    Resolution,
)
from shopdesk.domain import workflow
from shopdesk.domain.cases import Case, CaseDetail
from shopdesk.domain.errors import ConflictError, ValidationError
from shopdesk.domain.filters import CaseFilter
from shopdesk.domain.intake import generic
from shopdesk.domain.intake.mapping import (
    ALLOWED_BY_FIELD,
    UnmappableError,
    WrongContentType,
)
from shopdesk.domain.kinds import KIND_GROUPS, KINDS, expand_kinds
from shopdesk.domain.plain_text import plain_copy
from shopdesk.services import Services

MAX_PAGE = 200
T = TypeVar("T")


async def require_json(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard: a body that is declared JSON (checked before the body is read)."""
    media_type = connection.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise WrongContentType(
            f"Content-Type must be application/json, not {media_type or 'missing'}",
            field="Content-Type",
        )


async def strictly(request: Request, body_type: type[T]) -> T:
    """The body decoded strictly. Litestar converts `data` leniently (a unix time where a date is
    expected, "1" where a number is), which the schema does not promise; handlers use this."""
    return msgspec.convert(_integral(msgspec.json.decode(await request.body())), body_type,
                           strict=True)


def _integral(value):
    """JSON Schema counts 3.0 as an integer; msgspec's strict int does not: make them ints."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, dict):
        return {key: _integral(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral(item) for item in value]
    return value


_PROTECTED = dict(guards=[require_token], security=SECURITY, tags=["cases"])
_PROTECTED_WRITE = dict(_PROTECTED, guards=[require_token, require_json])


Status = Literal[workflow.STATUSES]  # type: ignore[valid-type]
KINDS_OR_GROUPS: tuple[str, ...] = tuple(dict.fromkeys((*KINDS, *KIND_GROUPS)))
KindOrGroup = Literal[KINDS_OR_GROUPS]  # type: ignore[valid-type]
ALLOWED_IN_QUERY["kind"] = KINDS_OR_GROUPS
ALLOWED_BY_FIELD.setdefault("status", workflow.STATUSES)


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
    status: Annotated[list[Status] | None, QueryParameter(description="repeatable")] = None,
    kind: Annotated[list[KindOrGroup] | None, QueryParameter(
        description="a kind (lost, damaged, …) or a group of kinds (" + ", ".join(KIND_GROUPS)
                    + "); repeatable")] = None,
    level: Annotated[list[Literal[1, 2, 3]] | None,
                     QueryParameter(description="1, 2 or 3; repeatable")] = None,
    urgent: FromQuery[bool | None] = None,
    assignee: FromQuery[str | None] = None,
    overdue: FromQuery[bool | None] = None,
    q: Annotated[str | None, QueryParameter(description="ref, order number, customer, tracking")]
    = None,
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[str | None, QueryParameter(
        description="next_cursor of the previous page", pattern=CURSOR_PATTERN)] = None,
) -> CasePage:
    offset = int(cursor) if cursor else 0
    case_filter = CaseFilter(
        statuses=status or None, kinds=expand_kinds(kind or []) or None, levels=level or None,
        urgent=urgent,
        assignee=assignee, overdue=overdue, q=q or None,
    )
    items = await services.cases.list(case_filter, limit=limit + 1, offset=offset)
    total = await services.cases.count(case_filter)
    more = len(items) > limit
    return CasePage(
        items=items[:limit], next_cursor=str(offset + limit) if more else None,
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
                "case the first one opened (200) instead of opening another (201); the same key "
                "with a different report is refused (409). An `order_source` must name a webhook "
                "source (404 otherwise).",
    responses={200: ResponseSpec(data_container=Case, description="The case this Idempotency-Key "
                                 "opened before"),
               **error_responses(401, 404, 409, 413, 415)},
    status_code=201,
    **_PROTECTED_WRITE,
)
async def open_case(
    services: NamedDependency[Services],
    request: Request,
    data: JSONBody[NewCase],
    idempotency_key: Annotated[
        str | None, HeaderParameter(name="Idempotency-Key", min_length=1, max_length=200,
                                    description="1 to 200 characters, unique per report")
    ] = None,
) -> Response[Case]:
    actor = actor_of(request)
    data = plain_copy(await strictly(request, NewCase))  # no control characters
    order = None
    if data.order is not None:
        try:
            order = generic.to_order(data.order_source, data.order)
        except UnmappableError as error:
            raise ValidationError(error.detail, field=error.field) from None
    dedupe_key = f"idempotency:{actor.name}:{idempotency_key}" if idempotency_key else None
    try:
        case, created = await services.cases.open(
            actor, kind=data.kind, level=data.level, urgent=data.urgent, title=data.title,
            description=data.description, order=order, customer=data.customer,
            evidence=list(data.evidence), source="api", dedupe_key=dedupe_key,
            request_hash=hashlib.sha256(msgspec.json.encode(data)).hexdigest(),
        )
    except ConflictError as error:
        if error.field != "dedupe_key":
            raise
        detail = error.detail.removeprefix("key ")
        raise ConflictError(f"Idempotency-Key {detail}", field="Idempotency-Key") from None
    return Response(case, status_code=201 if created else 200)


_WRITE_ERRORS = error_responses(401, 403, 404, 409, 413, 415)


@post("/api/v1/cases/{ref:str}/notes", summary="Add a note to the timeline", status_code=200,
      responses=_WRITE_ERRORS, **_PROTECTED_WRITE)
async def add_note(
    services: NamedDependency[Services], request: Request, ref: FromPath[str],
    data: JSONBody[Note],
) -> Case:
    data = await strictly(request, Note)
    return await services.cases.add_note(
        actor_of(request), ref, data.text, expected_version=data.expected_version
    )


@post("/api/v1/cases/{ref:str}/escalate", summary="Escalate to the next tier (上报)",
      status_code=200, responses=_WRITE_ERRORS, **_PROTECTED_WRITE)
async def escalate(
    services: NamedDependency[Services], request: Request, ref: FromPath[str],
    data: JSONBody[Escalation],
) -> Case:
    data = await strictly(request, Escalation)
    return await services.cases.escalate(
        actor_of(request), ref, data.reason, expected_version=data.expected_version
    )


@post("/api/v1/cases/{ref:str}/resolve", summary="Resolve: remedy done and customer told",
      status_code=200, responses=_WRITE_ERRORS, **_PROTECTED_WRITE)
async def resolve(
    services: NamedDependency[Services], request: Request, ref: FromPath[str],
    data: JSONBody[Resolution],
) -> Case:
    data = await strictly(request, Resolution)
    return await services.cases.resolve(
        actor_of(request), ref, data.summary, expected_version=data.expected_version
    )


@route("/api/v1/cases", http_method=[HttpMethod.OPTIONS], include_in_schema=False,
       sync_to_thread=False)
def cases_options() -> Response[None]:
    """Litestar's automatic OPTIONS answer lists only the first handler's methods of a path that
    has two handlers (GET and POST here); answer it ourselves."""
    return Response(None, status_code=204, headers={"Allow": "GET, OPTIONS, POST"})


# cases_options first: registered before GET, it keeps Litestar from adding its own.
ROUTES = [cases_options, list_cases, get_case, open_case, add_note, escalate, resolve]
