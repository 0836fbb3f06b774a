"""The case API: /api/v1/cases — the same services the TUI calls, behind bearer tokens."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

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
    Triage,
)
from shopdesk.domain import workflow
from shopdesk.domain.cases import Case, CaseDetail
from shopdesk.domain.detection import RULE_NAMES
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

RuleName = Literal[RULE_NAMES]  # type: ignore[valid-type]

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


_PROTECTED = {"guards": [require_token], "security": SECURITY, "tags": ["cases"]}
_PROTECTED_WRITE = dict(_PROTECTED, guards=[require_token, require_json])


Status = Literal[workflow.STATUSES]  # type: ignore[valid-type]
KINDS_OR_GROUPS: tuple[str, ...] = tuple(dict.fromkeys((*KINDS, *KIND_GROUPS)))
KindOrGroup = Literal[KINDS_OR_GROUPS]  # type: ignore[valid-type]
ALLOWED_IN_QUERY["kind"] = KINDS_OR_GROUPS
ALLOWED_BY_FIELD.setdefault("status", workflow.STATUSES)


ACTIVE: tuple[str, ...] = tuple(s for s in workflow.STATUSES if s in workflow.ACTIVE_STATUSES)


def _cursor(position: list[Any], now: datetime) -> str:
    """Opaque to clients: when the walk began and where the page ended in queue order
    (store.cases.queue_position), as "<now>.<overdue urgent level>.<due>.<id>" — any text the
    schema's pattern allows reads as some place in the queue."""
    overdue, urgent, level, due, case_id = position
    due_epoch = str(int(due.timestamp())) if due is not None else ""
    return f"{int(now.timestamp())}.{int(overdue)}{int(urgent)}{level}.{due_epoch}.{case_id}"


def _read_cursor(cursor: str) -> tuple[list[Any], datetime]:
    """`_cursor`'s position and start time (the query's pattern has checked the shape)."""
    now_text, flags, due_text, id_text = cursor.split(".")
    due = datetime.fromtimestamp(int(due_text), UTC) if due_text else None
    position = [flags[0] == "1", flags[1] == "1", int(flags[2]), due, int(id_text)]
    return position, datetime.fromtimestamp(int(now_text), UTC)


@get(
    "/api/v1/cases",
    summary="List cases in queue order",
    description="Overdue first, then urgent, then level (L3 first), then due time. Without "
                "`status`, the active cases (new, open, waiting, escalated), as in the CLI and "
                "the TUI; repeat `status` to choose any (resolved, closed, void too). Cursor "
                "paging: follow `next_cursor` until it is null; a case that changes or arrives "
                "while you walk does not make another one be skipped or come twice (the walk "
                "keeps the order, and the overdue cut-off, of its first page).",
    responses=error_responses(401),
    **_PROTECTED,
)
async def list_cases(
    services: NamedDependency[Services],
    status: Annotated[list[Status] | None, QueryParameter(
        description="repeatable; default: new, open, waiting and escalated")] = None,
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
    rule: Annotated[RuleName | None, QueryParameter(
        description="only cases a detection rule opened (see `shopdesk rules`); such cases "
                    "carry `rule`, `rule_evidence` and, once the rule no longer holds, "
                    "`cleared_at`")] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[str | None, QueryParameter(
        description="next_cursor of the previous page", pattern=CURSOR_PATTERN)] = None,
) -> CasePage:
    after, now = _read_cursor(cursor) if cursor else (None, services.now())
    case_filter = CaseFilter(
        statuses=status or list(ACTIVE), kinds=expand_kinds(kind or []) or None,
        levels=level or None, urgent=urgent, assignee=assignee, overdue=overdue, q=q or None,
        rule=rule,
    )
    items, position = await services.cases.page(case_filter, limit=limit, after=after, now=now)
    total = await services.cases.count(case_filter)
    return CasePage(
        items=items, next_cursor=_cursor(position, now) if position is not None else None,
        total=total,
    )


_REF_DOC = ("The case: C-000120 or c-120; a bare 120 only when no order number, tracking number "
            "or phone is 120 too (else 400 naming the cases it could be)")


async def _case_ref(services: Services, ref: str) -> str:
    """The ref a path names, as the CLI reads it (services.cases.find_one)."""
    return (await services.cases.find_one(ref)).ref


@get("/api/v1/cases/{ref:str}", summary="A case with its order and timeline",
     description=_REF_DOC, responses=error_responses(401, 404), **_PROTECTED)
async def get_case(services: NamedDependency[Services], ref: FromPath[str]) -> CaseDetail:
    return await services.cases.detail(await _case_ref(services, ref))


@post(
    "/api/v1/cases",
    summary="Report an exception: open a case",
    description="With an `Idempotency-Key` header, sending the same report again returns the "
                "case the first one opened (200) instead of opening another (201); the same key "
                "with a different report is refused (409). An `order_source` must name a webhook "
                "source (404 otherwise).",
    responses={200: ResponseSpec(data_container=Case, description="The case this Idempotency-Key "
                                 "opened before"),
               **error_responses(401, 404, 409, 413, 415, 503)},
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


_WRITE_ERRORS = error_responses(401, 403, 404, 409, 413, 415, 503)


@post("/api/v1/cases/{ref:str}/notes", summary="Add a note to the timeline", status_code=200,
      responses=_WRITE_ERRORS, **_PROTECTED_WRITE)
async def add_note(
    services: NamedDependency[Services], request: Request, ref: FromPath[str],
    data: JSONBody[Note],
) -> Case:
    data = await strictly(request, Note)
    return await services.cases.add_note(
        actor_of(request), await _case_ref(services, ref), data.text, expected_version=data.expected_version
    )


@post("/api/v1/cases/{ref:str}/escalate", summary="Escalate to the next tier (上报)",
      status_code=200, responses=_WRITE_ERRORS, **_PROTECTED_WRITE)
async def escalate(
    services: NamedDependency[Services], request: Request, ref: FromPath[str],
    data: JSONBody[Escalation],
) -> Case:
    data = await strictly(request, Escalation)
    return await services.cases.escalate(
        actor_of(request), await _case_ref(services, ref), data.reason, expected_version=data.expected_version
    )


@post("/api/v1/cases/{ref:str}/resolve", summary="Resolve: remedy done and customer told",
      status_code=200, responses=_WRITE_ERRORS, **_PROTECTED_WRITE)
async def resolve(
    services: NamedDependency[Services], request: Request, ref: FromPath[str],
    data: JSONBody[Resolution],
) -> Case:
    data = await strictly(request, Resolution)
    return await services.cases.resolve(
        actor_of(request), await _case_ref(services, ref), data.summary, expected_version=data.expected_version
    )


@post("/api/v1/cases/{ref:str}/triage",
      summary="Triage: acknowledge a case (new → open), with its kind, level and urgency if given",
      description="Verified, classified, graded (核对信息、分类、分级). `kind`, `level` and "
                  "`urgent` are optional: an empty object just acknowledges. A new case becomes "
                  "open; an active one keeps its status and takes the new values; a resolved, "
                  "closed or void one is refused (409). " + _REF_DOC,
      status_code=200, responses=_WRITE_ERRORS, **_PROTECTED_WRITE)
async def triage(
    services: NamedDependency[Services], request: Request, ref: FromPath[str],
    data: JSONBody[Triage],
) -> Case:
    data = await strictly(request, Triage)
    return await services.cases.triage(
        actor_of(request), await _case_ref(services, ref), kind=data.kind, level=data.level,
        urgent=data.urgent, expected_version=data.expected_version,
    )


@route("/api/v1/cases", http_method=[HttpMethod.OPTIONS], include_in_schema=False,
       sync_to_thread=False)
def cases_options() -> Response[None]:
    """Litestar's automatic OPTIONS answer lists only the first handler's methods of a path that
    has two handlers (GET and POST here); answer it ourselves."""
    return Response(None, status_code=204, headers={"Allow": "GET, OPTIONS, POST"})


# cases_options first: registered before GET, it keeps Litestar from adding its own.
ROUTES = [cases_options, list_cases, get_case, open_case, add_note, escalate, resolve,
          triage]
