"""The incident API: /api/v1/incidents — declare, team, link, bulk actions, stable, close, review.

The same services as `shopdesk incident` and the TUI's incident board. `{ref}` is I-0003, i-3 or 3.
A bulk action answers when every linked case has been tried: what was done, and each refused case
with its reason (200 even when some were refused: they are in `refused`). Sending the same bulk
request again after an interruption goes on where it stopped, without doing a case twice.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from shopdesk.api.auth import SECURITY, actor_of, require_token
from shopdesk.api.cases import KindOrGroup, Status, require_json, strictly
from shopdesk.api.errors import error_responses
from shopdesk.api.schemas import Said, TemplateId, Text
from shopdesk.domain import kinds
from shopdesk.domain.cases import Incident
from shopdesk.domain.errors import ValidationError
from shopdesk.domain.incidents import BulkResult, LinkResult, Review, TeamMember
from shopdesk.domain.intake.mapping import Level
from shopdesk.services import Services
from shopdesk.services.incidents import link_filter_from_text

_READ = {"guards": [require_token], "security": SECURITY, "tags": ["incidents"]}
_WRITE = {"guards": [require_token, require_json], "security": SECURITY, "tags": ["incidents"],
          "status_code": 200, "responses": error_responses(401, 403, 404, 409, 413, 415, 503)}
_REF = "The incident: I-0003, i-3 or 3. "
IncidentType = Literal[kinds.INCIDENT_TYPES]  # type: ignore[valid-type]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class IncidentRow(msgspec.Struct, kw_only=True):
    incident: Incident
    cases: int


class Declaration(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    type: IncidentType
    level: Level
    title: Said
    owner: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    """Who runs it (default: the token's operator)."""
    description: Text = ""


class Member(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    operator: Name
    role: Said
    phone: Annotated[str, msgspec.Meta(max_length=40)] = ""


class LinkFilter(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Which cases: at least one criterion. Without `statuses`, the active cases."""

    carrier: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    kinds: list[KindOrGroup] | None = None
    statuses: list[Status] | None = None
    source: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    shipped_from: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    """YYYY-MM-DD in the shop's zone, or an ISO-8601 time."""
    shipped_to: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    """YYYY-MM-DD (that day included), or an ISO-8601 time."""
    place: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    """A province or city: text the order's address contains."""


class Links(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Either `refs` or `filter`."""

    refs: list[Name] | None = None
    filter: LinkFilter | None = None
    follow: bool = True
    """With a filter: new cases matching it join while the incident is active."""


class Refs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    refs: Annotated[list[Name], msgspec.Meta(min_length=1)]


class Preview(msgspec.Struct, kw_only=True):
    matched: int


class Unlinked(msgspec.Struct, kw_only=True):
    unlinked: int


class Bulk(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """note: `text` is the note; escalate: the reason; resolve: the summary; contact: the
    summary (default: the template's name), sent on `channel` with `template`."""

    text: Text = ""
    channel: Literal[kinds.CHANNELS] = "sms"  # type: ignore[valid-type]
    template: TemplateId | None = None
    """contact: the message sent (default incident_notice)."""


class Closing(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    cause: Said
    impact: Text = ""
    lessons: Text = ""


class Empty(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


def _filter(services: Services, data: LinkFilter):
    return link_filter_from_text(
        services.settings.timezone, carrier=data.carrier, kinds=data.kinds,
        statuses=data.statuses, source=data.source, shipped_from=data.shipped_from,
        shipped_to=data.shipped_to, place=data.place)


@get("/api/v1/incidents", summary="Incidents, active first, with their linked case counts",
     responses=error_responses(401), **_READ)
async def list_incidents(services: NamedDependency[Services]) -> list[IncidentRow]:
    return [IncidentRow(incident=incident, cases=await services.incidents.count_cases(incident.id))
            for incident in await services.incidents.list()]


@post("/api/v1/incidents", summary="Declare an incident (紧急状态)",
      **dict(_WRITE, status_code=201))
async def declare(services: NamedDependency[Services], request: Request,
                  data: JSONBody[Declaration]) -> Incident:
    data = await strictly(request, Declaration)
    return await services.incidents.declare(
        actor_of(request), title=data.title, type=data.type, level=data.level,
        description=data.description, owner=data.owner)


@get("/api/v1/incidents/{ref:str}",
     summary="An incident with its computed impact, response team and timeline",
     description=_REF, responses=error_responses(401, 404), **_READ)
async def show(services: NamedDependency[Services], ref: FromPath[str]) -> Review:
    return await services.incidents.review((await services.incidents.find(ref)).id)


@post("/api/v1/incidents/{ref:str}/team",
      summary="Add a member to the response team (again: change their role and phone)",
      description=_REF, **_WRITE)
async def add_member(services: NamedDependency[Services], request: Request, ref: FromPath[str],
                     data: JSONBody[Member]) -> list[TeamMember]:
    data = await strictly(request, Member)
    incident = await services.incidents.find(ref)
    return await services.incidents.add_member(actor_of(request), incident.id,
                                               operator=data.operator, role=data.role,
                                               phone=data.phone)


@delete("/api/v1/incidents/{ref:str}/team/{operator:str}", status_code=200,
        summary="Remove a member from the response team", description=_REF,
        responses=error_responses(401, 404, 503), **_READ)
async def remove_member(services: NamedDependency[Services], request: Request,
                        ref: FromPath[str], operator: FromPath[str]) -> list[TeamMember]:
    incident = await services.incidents.find(ref)
    return await services.incidents.remove_member(actor_of(request), incident.id, operator)


@post("/api/v1/incidents/{ref:str}/preview",
      summary="How many cases a link by this filter would name (nothing is linked)",
      description=_REF, **_WRITE)
async def preview(services: NamedDependency[Services], request: Request, ref: FromPath[str],
                  data: JSONBody[LinkFilter]) -> Preview:
    data = await strictly(request, LinkFilter)
    await services.incidents.find(ref)
    return Preview(matched=await services.incidents.preview(_filter(services, data)))


@post("/api/v1/incidents/{ref:str}/link",
      summary="Link cases: by refs (an unknown ref links none: 404) or by a filter (one "
              "matching nothing: 400 naming `filter`)",
      description=_REF, **_WRITE)
async def link(services: NamedDependency[Services], request: Request, ref: FromPath[str],
               data: JSONBody[Links]) -> LinkResult:
    data = await strictly(request, Links)
    incident = await services.incidents.find(ref)
    if (data.refs is None) == (data.filter is None):
        raise ValidationError("send either refs or filter", field="refs")
    if data.refs is not None:
        return await services.incidents.link_refs(actor_of(request), incident.id, data.refs)
    assert data.filter is not None
    return await services.incidents.link_filter(actor_of(request), incident.id,
                                                _filter(services, data.filter),
                                                follow=data.follow)


@post("/api/v1/incidents/{ref:str}/unlink", summary="Unlink cases", description=_REF, **_WRITE)
async def unlink(services: NamedDependency[Services], request: Request, ref: FromPath[str],
                 data: JSONBody[Refs]) -> Unlinked:
    data = await strictly(request, Refs)
    incident = await services.incidents.find(ref)
    return Unlinked(unlinked=await services.incidents.unlink(actor_of(request), incident.id,
                                                             data.refs))


@post("/api/v1/incidents/{ref:str}/bulk/{action:str}",
      summary="A bulk action on every linked case: note, contact, escalate or resolve",
      description=_REF + "One timeline event per case; each case is done whole or not at all; "
                  "refused cases are listed by ref with the reason while the rest go on. The "
                  "same request sent again after an interruption finishes the rest.",
      **_WRITE)
async def bulk(services: NamedDependency[Services], request: Request, ref: FromPath[str],
               action: FromPath[str], data: JSONBody[Bulk]) -> BulkResult:
    data = await strictly(request, Bulk)
    incident = await services.incidents.find(ref)
    template = data.template
    if action == "contact" and template is None:
        template = "incident_notice"
    return await services.incidents.bulk(actor_of(request), incident.id, action, text=data.text,
                                         channel=data.channel, template=template)


@post("/api/v1/incidents/{ref:str}/stable",
      summary="Declare the incident under control (a supervisor): time to stable stops",
      description=_REF, **_WRITE)
async def stable(services: NamedDependency[Services], request: Request, ref: FromPath[str],
                 data: JSONBody[Empty]) -> Incident:
    await strictly(request, Empty)
    incident = await services.incidents.find(ref)
    return await services.incidents.stable(actor_of(request), incident.id)


@post("/api/v1/incidents/{ref:str}/close",
      summary="Close a stable incident with its review (a supervisor)", description=_REF,
      **_WRITE)
async def close(services: NamedDependency[Services], request: Request, ref: FromPath[str],
                data: JSONBody[Closing]) -> Incident:
    data = await strictly(request, Closing)
    incident = await services.incidents.find(ref)
    return await services.incidents.close(actor_of(request), incident.id, cause=data.cause,
                                          impact=data.impact, lessons=data.lessons)


@get("/api/v1/incidents/{ref:str}/review.md", summary="The review (总结与改进) as Markdown",
     description=_REF, responses=error_responses(401, 404), media_type="text/markdown", **_READ)
async def review_markdown(services: NamedDependency[Services], ref: FromPath[str]) -> Response:
    incident = await services.incidents.find(ref)
    return Response(await services.incidents.review_markdown(incident.id),
                    media_type="text/markdown; charset=utf-8")


@get("/api/v1/incidents/{ref:str}/review.csv", summary="The review as CSV (section, item, value)",
     description=_REF, responses=error_responses(401, 404), media_type="text/csv", **_READ)
async def review_csv(services: NamedDependency[Services], ref: FromPath[str]) -> Response:
    incident = await services.incidents.find(ref)
    return Response(await services.incidents.review_csv(incident.id),
                    media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="{incident.ref}-review.csv"'})


ROUTES = [list_incidents, declare, show, add_member, remove_member, preview, link, unlink, bulk,
          stable, close, review_markdown, review_csv]
