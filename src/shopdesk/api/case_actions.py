"""Every other case action of the TUI, as `POST /api/v1/cases/{ref}/{action}`: the same service
calls, so the same refusals (409 naming the moves allowed, 403 naming the role needed, 400 naming
the field, 404, 409 `field: version` for a stale `expected_version`).

Each route answers the case as it is now (a remedy route: the remedy).
"""

from __future__ import annotations

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from shopdesk.api.auth import actor_of
from shopdesk.api.cases import _PROTECTED_WRITE, _REF_DOC, _WRITE_ERRORS, _case_ref, strictly
from shopdesk.api.schemas import (
    Assignment,
    Closing,
    ContactLog,
    Decision,
    Reason,
    RemedyDecision,
    RemedyProposal,
    RemedyRejection,
    Responsibility,
    Resumption,
    SurveyAnswer,
    Urgency,
    Waiting,
)
from shopdesk.domain.cases import Case, Remedy
from shopdesk.services import Services

_WRITE = {"status_code": 200, "responses": _WRITE_ERRORS, **_PROTECTED_WRITE}


@post("/api/v1/cases/{ref:str}/assign", summary="Assign the case to an operator (or nobody)",
      description=_REF_DOC, **_WRITE)
async def assign(services: NamedDependency[Services], request: Request, ref: FromPath[str],
                 data: JSONBody[Assignment]) -> Case:
    data = await strictly(request, Assignment)
    return await services.cases.assign(
        actor_of(request), await _case_ref(services, ref), data.assignee,
        expected_version=data.expected_version)


@post("/api/v1/cases/{ref:str}/contact",
      summary="Log a contact with the customer (沟通与反馈)",
      description="The first outbound contact is the case's first response. A `template` "
                  "(apology, delay_notice, …) is recorded with the contact; without a summary "
                  "the summary says the template was sent. " + _REF_DOC, **_WRITE)
async def contact(services: NamedDependency[Services], request: Request, ref: FromPath[str],
                  data: JSONBody[ContactLog]) -> Case:
    data = await strictly(request, ContactLog)
    return await services.cases.log_contact(
        actor_of(request), await _case_ref(services, ref), channel=data.channel,
        direction=data.direction, summary=data.summary, template=data.template,
        next_follow_up_at=data.next_follow_up_at, expected_version=data.expected_version)


@post("/api/v1/cases/{ref:str}/remedies", summary="Propose a remedy (处理措施/补偿)",
      description="Within your approval limit it is approved at once (`status: approved`), "
                  "else it awaits a supervisor or the owner (`status: proposed`). A refund "
                  "beyond what the customer paid is refused (400). " + _REF_DOC,
      status_code=201, responses=_WRITE_ERRORS, **_PROTECTED_WRITE)
async def propose_remedy(services: NamedDependency[Services], request: Request,
                         ref: FromPath[str], data: JSONBody[RemedyProposal]) -> Remedy:
    data = await strictly(request, RemedyProposal)
    return await services.cases.propose_remedy(
        actor_of(request), await _case_ref(services, ref), type=data.type,
        amount_minor=data.amount_minor, currency=data.currency, note=data.note,
        expected_version=data.expected_version)


_REMEDY_DOC = ("403 names the role needed when the amount is above your approval limit; 404 when "
               "the case has no such remedy. ")


@post("/api/v1/cases/{ref:str}/remedies/{remedy_id:int}/approve", summary="Approve a remedy",
      description=_REMEDY_DOC + _REF_DOC, **_WRITE)
async def approve_remedy(services: NamedDependency[Services], request: Request,
                         ref: FromPath[str], remedy_id: FromPath[int],
                         data: JSONBody[RemedyDecision]) -> Remedy:
    data = await strictly(request, RemedyDecision)
    return await services.cases.approve_remedy(
        actor_of(request), remedy_id, data.note, case_ref=await _case_ref(services, ref))


@post("/api/v1/cases/{ref:str}/remedies/{remedy_id:int}/reject",
      summary="Reject a remedy (a supervisor's decision)", description=_REMEDY_DOC + _REF_DOC,
      **_WRITE)
async def reject_remedy(services: NamedDependency[Services], request: Request,
                        ref: FromPath[str], remedy_id: FromPath[int],
                        data: JSONBody[RemedyRejection]) -> Remedy:
    data = await strictly(request, RemedyRejection)
    return await services.cases.reject_remedy(
        actor_of(request), remedy_id, data.reason, case_ref=await _case_ref(services, ref))


@post("/api/v1/cases/{ref:str}/remedies/{remedy_id:int}/done",
      summary="Mark an approved remedy done (the refund paid, the parcel reshipped …)",
      description=_REMEDY_DOC + _REF_DOC, **_WRITE)
async def complete_remedy(services: NamedDependency[Services], request: Request,
                          ref: FromPath[str], remedy_id: FromPath[int],
                          data: JSONBody[RemedyDecision]) -> Remedy:
    data = await strictly(request, RemedyDecision)
    return await services.cases.complete_remedy(
        actor_of(request), remedy_id, data.note, case_ref=await _case_ref(services, ref))


@post("/api/v1/cases/{ref:str}/wait",
      summary="Wait on the customer, carrier or supplier (the SLA clock pauses)",
      description=_REF_DOC, **_WRITE)
async def wait(services: NamedDependency[Services], request: Request, ref: FromPath[str],
               data: JSONBody[Waiting]) -> Case:
    data = await strictly(request, Waiting)
    return await services.cases.wait(
        actor_of(request), await _case_ref(services, ref), on=data.on, note=data.note,
        expected_version=data.expected_version)


@post("/api/v1/cases/{ref:str}/resume", summary="Resume a waiting case (waiting → open)",
      description=_REF_DOC, **_WRITE)
async def resume(services: NamedDependency[Services], request: Request, ref: FromPath[str],
                 data: JSONBody[Resumption]) -> Case:
    data = await strictly(request, Resumption)
    return await services.cases.resume(
        actor_of(request), await _case_ref(services, ref), note=data.note,
        expected_version=data.expected_version)


@post("/api/v1/cases/{ref:str}/return",
      summary="Decide an escalated case and send it back to work (escalated → open)",
      description="Needs the role the case was escalated to (403 otherwise). " + _REF_DOC,
      **_WRITE)
async def return_to_operator(services: NamedDependency[Services], request: Request,
                             ref: FromPath[str], data: JSONBody[Decision]) -> Case:
    data = await strictly(request, Decision)
    return await services.cases.return_to_operator(
        actor_of(request), await _case_ref(services, ref), data.decision,
        expected_version=data.expected_version)


@post("/api/v1/cases/{ref:str}/reopen", summary="Reopen a resolved or closed case",
      description=_REF_DOC, **_WRITE)
async def reopen(services: NamedDependency[Services], request: Request, ref: FromPath[str],
                 data: JSONBody[Reason]) -> Case:
    data = await strictly(request, Reason)
    return await services.cases.reopen(
        actor_of(request), await _case_ref(services, ref), data.reason,
        expected_version=data.expected_version)


@post("/api/v1/cases/{ref:str}/void",
      summary="Void a case that was a mistake or a duplicate", description=_REF_DOC, **_WRITE)
async def void(services: NamedDependency[Services], request: Request, ref: FromPath[str],
               data: JSONBody[Reason]) -> Case:
    data = await strictly(request, Reason)
    return await services.cases.void(
        actor_of(request), await _case_ref(services, ref), data.reason,
        expected_version=data.expected_version)


@post("/api/v1/cases/{ref:str}/close", summary="Close a resolved case", description=_REF_DOC,
      **_WRITE)
async def close(services: NamedDependency[Services], request: Request, ref: FromPath[str],
                data: JSONBody[Closing]) -> Case:
    data = await strictly(request, Closing)
    return await services.cases.close(
        actor_of(request), await _case_ref(services, ref), expected_version=data.expected_version)


@post("/api/v1/cases/{ref:str}/survey",
      summary="Record the customer's satisfaction (满意度调查): closes a resolved case",
      description="Once per case, after resolution (400 before, 409 a second time). " + _REF_DOC,
      **_WRITE)
async def survey(services: NamedDependency[Services], request: Request, ref: FromPath[str],
                 data: JSONBody[SurveyAnswer]) -> Case:
    data = await strictly(request, SurveyAnswer)
    return await services.cases.record_survey(
        actor_of(request), await _case_ref(services, ref), data.score, data.comment,
        expected_version=data.expected_version)


@post("/api/v1/cases/{ref:str}/responsibility",
      summary="Record who is responsible (责任划分)", description=_REF_DOC, **_WRITE)
async def responsibility(services: NamedDependency[Services], request: Request,
                         ref: FromPath[str], data: JSONBody[Responsibility]) -> Case:
    data = await strictly(request, Responsibility)
    return await services.cases.set_responsibility(
        actor_of(request), await _case_ref(services, ref), party=data.party,
        department=data.department, joint_department=data.joint_department,
        root_cause=data.root_cause, expected_version=data.expected_version)


@post("/api/v1/cases/{ref:str}/urgent", summary="Mark the case urgent, or not",
      description=_REF_DOC, **_WRITE)
async def urgent(services: NamedDependency[Services], request: Request, ref: FromPath[str],
                 data: JSONBody[Urgency]) -> Case:
    data = await strictly(request, Urgency)
    return await services.cases.set_urgent(
        actor_of(request), await _case_ref(services, ref), data.urgent,
        expected_version=data.expected_version)


ROUTES = [assign, contact, propose_remedy, approve_remedy, reject_remedy, complete_remedy, wait,
          resume, return_to_operator, reopen, void, close, survey, responsibility, urgent]
